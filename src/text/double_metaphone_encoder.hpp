// The Double Metaphone encoder, internal to src/text/double_metaphone*.cpp:
// the word as the codec sees it (Word: one byte per UTF-16 unit of the
// upper-cased Java string, see double_metaphone.cpp) and the codec's rules
// (Encoder). The rules are defined in double_metaphone_rules.cpp, which
// instantiates the encoder for both kAlternate values.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace nm::metaphone {

using Pos = std::ptrdiff_t;

// Unit values for the non-ASCII code units. They are never equal to an ASCII
// letter, a space or '\0' (what the codec's charAt returns out of range).
constexpr char kCCedilla = '\xC7';  // Ç
constexpr char kNTilde = '\xD1';    // Ñ
constexpr char kOther = '\x80';     // any other non-ASCII code unit

// ---------------------------------------------------------------------------
// The word being encoded, with the codec's two accessors: charAt (returns
// '\0' out of range) and contains (false when the range does not fit).

class Word {
 public:
  explicit Word(std::string_view units) : s_(units), n_(static_cast<Pos>(units.size())) {}

  Pos size() const { return n_; }
  Pos last() const { return n_ - 1; }

  char at(Pos i) const { return (i < 0 || i >= n_) ? '\0' : s_[static_cast<std::size_t>(i)]; }

  static bool vowel(char c) {
    switch (c) {
      case 'A':
      case 'E':
      case 'I':
      case 'O':
      case 'U':
      case 'Y':
        return true;
      default:
        return false;
    }
  }
  bool vowel_at(Pos i) const { return vowel(at(i)); }

  // True when the substring at start equals one of the candidates, all of
  // which have the same length (as in every call the codec makes).
  template <std::size_t N, std::size_t... Ns>
  bool has(Pos start, const char (&first)[N], const char (&... rest)[Ns]) const {
    static_assert(((Ns == N) && ...), "candidates must have the same length");
    constexpr Pos len = static_cast<Pos>(N - 1);
    if (start < 0 || start + len > n_) return false;
    const char* sub = s_.data() + start;
    return equal<N - 1>(sub, first) || (equal<N - 1>(sub, rest) || ...);
  }

  bool starts_with(std::string_view p) const { return s_.starts_with(p); }

  // The codec's "Slavo-Germanic" test: contains W, K, CZ or WITZ.
  bool slavo_germanic() const {
    char prev = '\0';
    for (const char c : s_) {
      if (c == 'W' || c == 'K' || (c == 'Z' && prev == 'C')) return true;
      prev = c;
    }
    return false;
  }

 private:
  // Candidates are short literals: a plain loop beats a memcmp call.
  template <std::size_t L>
  static bool equal(const char* a, const char* b) {
    for (std::size_t k = 0; k < L; ++k) {
      if (a[k] != b[k]) return false;
    }
    return true;
  }

  std::string_view s_;
  Pos n_;
};

// ---------------------------------------------------------------------------
// The encoder. kAlternate = false skips all work on the alternate code.

template <bool kAlternate>
class Encoder {
 public:
  Encoder(std::string_view units, std::size_t max_len, std::string& primary, std::string* alternate)
      : w_(units),
        max_(max_len),
        primary_(primary),
        alternate_(alternate),
        slavo_germanic_(w_.slavo_germanic()) {}

  // Flattened: the letter rules inline into the loop, as when the encoder
  // was one function (about 15% fewer instructions per word).
  [[gnu::flatten]] void run();

 private:
  // --- code building: appends are cut at the maximum length, like the codec.
  void add_primary(char c) {
    if (primary_.size() < max_) primary_.push_back(c);
  }
  void add_alternate(char c) {
    if constexpr (kAlternate) {
      if (alternate_->size() < max_) alternate_->push_back(c);
    } else {
      (void)c;
    }
  }
  void add_primary(std::string_view s) { primary_.append(s.substr(0, max_ - primary_.size())); }
  void add_alternate(std::string_view s) {
    if constexpr (kAlternate) {
      alternate_->append(s.substr(0, max_ - alternate_->size()));
    } else {
      (void)s;
    }
  }
  void add(char c) { add_primary(c), add_alternate(c); }
  void add(char p, char a) { add_primary(p), add_alternate(a); }
  void add(std::string_view s) { add_primary(s), add_alternate(s); }
  void add(std::string_view p, std::string_view a) { add_primary(p), add_alternate(a); }

  bool complete() const {
    if constexpr (kAlternate) {
      return primary_.size() >= max_ && alternate_->size() >= max_;
    } else {
      return primary_.size() >= max_;  // later steps cannot change it
    }
  }

  // A letter coded as c, skipping a doubled letter.
  Pos simple(Pos i, char c, char code) {
    add(code);
    return w_.at(i + 1) == c ? i + 2 : i + 1;
  }

  Pos step(Pos i);

  // --- C ---------------------------------------------------------------
  bool c_is_k_ach(Pos i) const;
  Pos letter_c(Pos i);
  Pos letter_cc(Pos i);
  bool ch_is_greek_start(Pos i) const;

  bool germanic_start() const { return w_.has(0, "VAN ", "VON ") || w_.has(0, "SCH"); }

  bool ch_is_k(Pos i) const;
  Pos letter_ch(Pos i);

  // --- D ---------------------------------------------------------------
  Pos letter_d(Pos i);

  // --- G ---------------------------------------------------------------
  Pos letter_g(Pos i);
  Pos letter_gh(Pos i);

  // --- H ---------------------------------------------------------------
  Pos letter_h(Pos i);

  // --- J ---------------------------------------------------------------
  Pos letter_j(Pos i);

  // --- L ---------------------------------------------------------------
  bool ll_is_spanish(Pos i) const;
  Pos letter_l(Pos i);

  // --- M ---------------------------------------------------------------
  bool m_skips_next(Pos i) const;

  // --- P ---------------------------------------------------------------
  Pos letter_p(Pos i);

  // --- R ---------------------------------------------------------------
  Pos letter_r(Pos i);

  // --- S ---------------------------------------------------------------
  Pos letter_s(Pos i);
  Pos letter_sc(Pos i);

  // --- T ---------------------------------------------------------------
  Pos letter_t(Pos i);

  // --- W ---------------------------------------------------------------
  Pos letter_w(Pos i);

  // --- X ---------------------------------------------------------------
  Pos letter_x(Pos i);

  // --- Z ---------------------------------------------------------------
  Pos letter_z(Pos i);

  Word w_;
  std::size_t max_;
  std::string& primary_;
  std::string* alternate_;
  bool slavo_germanic_;
};

extern template class Encoder<true>;
extern template class Encoder<false>;

}  // namespace nm::metaphone
