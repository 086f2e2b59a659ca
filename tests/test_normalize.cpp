// The contract's three normalisers (matching.md section 2).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "src/text/normalize.hpp"

namespace {

struct Row {
  std::string_view input, text, simple, phonetic;
};

// The table of matching.md section 2, all three columns.
constexpr Row kContractTable[] = {
    {"Álvaro", "alvaro", "alvaro", "alvaro"},
    {"  José  ", "jose", "jose", "jose"},
    {"Łukasz", "łukasz", "łukasz", "ukasz"},
    {"Renée-Marie", "renee-marie", "renee marie", "reneemarie"},
    {"Dela Cruz, Jr.", "dela cruz, jr.", "dela cruz, jr", "dela cruz jr"},
    {"Æsa Ø", "æsa ø", "æsa ø", "aesa o"},
    {"straße", "straße", "straße", "strasse"},
    {"ΟΔΥΣΣΕΥΣ", "οδυσσευς", "οδυσσευς", ""},
};

}  // namespace

TEST_CASE("normalize: the contract's table, all three columns") {
  int rows = 0;
  for (const Row& r : kContractTable) {
    CAPTURE(r.input);
    CHECK(nm::normalize_text(r.input) == r.text);
    CHECK(nm::normalize_simple(nm::normalize_text(r.input)) == r.simple);
    CHECK(nm::normalize_for_phonetic(r.input) == r.phonetic);
    ++rows;
  }
  CHECK(rows == 8);
}

TEST_CASE("normalize_text: final sigma needs word context") {
  // Σ at the end of a word becomes ς, elsewhere σ.
  CHECK(nm::normalize_text("ΟΔΥΣΣΕΥΣ") == "οδυσσευς");
  CHECK(nm::normalize_text("ΣΑΣ ΣΑΣ") == "σας σας");
  CHECK(nm::normalize_text("Σοφία") == "σοφια");
  // normalize_simple lowercases per character: no final form.
  CHECK(nm::normalize_simple("ΟΔΥΣΣΕΥΣ") == "οδυσσευσ");
  CHECK(nm::normalize_simple("ΣΑΣ ΣΑΣ") == "σασ σασ");
  // ...but keeps a ς that is already there.
  CHECK(nm::normalize_simple("οδυσσευς") == "οδυσσευς");
}

TEST_CASE("normalize_text: nothing but NFD, marks, lowercase, trim") {
  // Letters without a decomposition stay.
  CHECK(nm::normalize_text("ŁØĐÆ ß ı") == "łøđæ ß ı");
  // Inner spaces are not collapsed, punctuation is kept.
  CHECK(nm::normalize_text("Mary  Ann") == "mary  ann");
  CHECK(nm::normalize_text("O'Brien-Smith, Jr.") == "o'brien-smith, jr.");
  // Marks of every kind are dropped, precomposed or not.
  CHECK(nm::normalize_text("Nguye\u0302\u0303n") == "nguyen");
  CHECK(nm::normalize_text("Nguyễn Văn") == "nguyen van");
  CHECK(nm::normalize_text("Zoë") == "zoe");
  // Unicode White_Space at the ends is trimmed (NBSP, em space, ideographic
  // space, tab, newline), inner ones kept.
  CHECK(nm::normalize_text("\u00A0José\u2003") == "jose");
  CHECK(nm::normalize_text("\u3000\tAnn\n") == "ann");
  CHECK(nm::normalize_text(" Ann\u00A0Lee ") == "ann\u00A0lee");
  CHECK(nm::normalize_text("\vAnn\v") == "ann");
  CHECK(nm::normalize_text("") == "");
  CHECK(nm::normalize_text("   ") == "");
}

TEST_CASE("is_blank") {
  CHECK(nm::is_blank(""));
  CHECK(nm::is_blank("  "));
  CHECK(nm::is_blank("\u00A0"));
  CHECK_FALSE(nm::is_blank("a"));
  CHECK(nm::is_blank("\t\n\v\f\r \u2003\u3000"));
  CHECK_FALSE(nm::is_blank(" . "));
  CHECK_FALSE(nm::is_blank("\u00A0é"));
}

TEST_CASE("normalize_simple: trim first, '.' dropped, '-' to space, no trim after") {
  CHECK(nm::normalize_simple("ann-") == "ann ");
  CHECK(nm::normalize_simple("  ann-  ") == "ann ");
  CHECK(nm::normalize_simple("Ann.") == "ann");
  CHECK(nm::normalize_simple("Ma. Luisa") == "ma luisa");
  CHECK(nm::normalize_simple("-ann") == " ann");
  CHECK(nm::normalize_simple("Smith-Jones") == "smith jones");
  CHECK(nm::normalize_simple("a  b") == "a  b");  // no space collapsing
  CHECK(nm::normalize_simple("José") == "josé");  // no accent removal
  CHECK(nm::normalize_simple("ÉLODIE-MARIE") == "élodie marie");
  CHECK(nm::normalize_simple("\u00A0Łukasz.\u00A0") == "łukasz");
  CHECK(nm::normalize_simple("ann -") == "ann  ");
  CHECK(nm::normalize_simple(".") == "");
  CHECK(nm::normalize_simple("-") == " ");
}

TEST_CASE("normalize_for_phonetic: letters, mapped letters and single spaces") {
  CHECK(nm::normalize_for_phonetic("Jean  Luc") == "jean luc");
  CHECK(nm::normalize_for_phonetic("Jean\t\n\f\rLuc") == "jean luc");
  CHECK(nm::normalize_for_phonetic("ŒŁ2Ann") == "ann");  // œ, ł, digits dropped
  CHECK(nm::normalize_for_phonetic("ẞ") == "ss");        // capital sharp s lowercases to ß
  CHECK(nm::normalize_for_phonetic("ǼÆĐØ") == "aeaedo");
  CHECK(nm::normalize_for_phonetic("ǽ") == "ae");
  CHECK(nm::normalize_for_phonetic("García") == "garcia");
  // A whitespace character appends a space unless the output already ends
  // with one; an empty output does not, and only trailing spaces are dropped.
  CHECK(nm::normalize_for_phonetic("王 Li") == " li");
  CHECK(nm::normalize_for_phonetic("Li 王") == "li");
  CHECK(nm::normalize_for_phonetic("Ann .") == "ann");  // trailing space dropped
  CHECK(nm::normalize_for_phonetic("Ann - Lee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("") == "");
  CHECK(nm::normalize_for_phonetic("  ") == "");
}

TEST_CASE("normalize_for_phonetic: \\v is trimmed at the ends but is not a space inside") {
  // Step 1 trims Unicode White_Space, which includes U+000B.
  CHECK(nm::normalize_for_phonetic("\vann\v") == "ann");
  CHECK(nm::normalize_for_phonetic("\v José \v") == "jose");
  // Inside, \v is not one of the ASCII whitespace characters of step 2, so it
  // is "everything else": dropped, not turned into a space.
  CHECK(nm::normalize_for_phonetic("ann\vlee") == "annlee");
  CHECK(nm::normalize_for_phonetic("José\vLuis") == "joseluis");  // non-ASCII path
  // A space next to a dropped \v is still only one space.
  CHECK(nm::normalize_for_phonetic("ann \v lee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("ann\v lee") == "ann lee");
  // The real ASCII whitespace characters each become a (single) space.
  CHECK(nm::normalize_for_phonetic("ann\tlee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("ann\nlee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("ann\flee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("ann\rlee") == "ann lee");
  CHECK(nm::normalize_for_phonetic("Ann\r\n\tLee") == "ann lee");
}
