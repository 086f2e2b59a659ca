// The "normalise" stage: everything the scorer needs, computed once per record.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "kernels/pair_scoring.hpp"
#include "src/match/table.hpp"

namespace nm {

// A1/A2: the compared names of each record (normalize_text, or with fuzzy
// normalisation normalize_simple(normalize_text(x)); blank -> empty = missing).
struct ExactKeys {
  StringArena arena;
  std::vector<std::array<StrRef, 3>> names;  // first, middle, last
  std::string_view get(size_t row, int k) const {
    return arena.view(names[row][static_cast<size_t>(k)]);
  }
};
// The middle name is only normalised when with_middle (A2); else it is left empty.
ExactKeys prepare_exact(const RawTable& t, bool fuzzy_normalization, bool with_middle,
                        unsigned threads);

// A3–A6: full string, per-field strings (code points), metaphone code.
struct FuzzyRecord {
  uint64_t offset;  // into code_points: full, then first, middle, last
  uint32_t full_len;
  uint32_t full_bytes;
  uint32_t phon_code;  // packed primary Double Metaphone; 0 = none
  uint32_t part_len[3];
  uint64_t char_mask;  // see kernels::FuzzyView::char_mask
};

struct FuzzyTable {
  std::vector<uint32_t> code_points;
  std::vector<FuzzyRecord> records;
  uint32_t max_len = 0;  // longest string (code points), for scratch sizing

  kernels::FuzzyView view(size_t row) const {
    const FuzzyRecord& r = records[row];
    return kernels::fuzzy_view_at(code_points.data() + r.offset, r.full_len, r.full_bytes,
                                  r.phon_code, r.char_mask, r.part_len);
  }
};
FuzzyTable prepare_fuzzy(const RawTable& t, bool with_middle, unsigned threads);

// The pieces of one record's fuzzy preparation, as text (for `explain`).
struct FuzzyTrace {
  std::string first_nt, middle_nt, last_nt;  // normalize_text
  std::string full;                          // normalize_simple of the joined fields
  std::string parts[3];                      // normalize_simple of each field
  std::string phonetic;                      // normalize_for_phonetic(full)
  std::string metaphone;                     // primary code
};
FuzzyTrace trace_fuzzy(std::string_view first, std::string_view middle, std::string_view last,
                       bool with_middle);

uint32_t pack_metaphone(std::string_view code);
uint64_t char_class_mask(const uint32_t* cps, uint32_t n);

}  // namespace nm
