#include "src/match/prepare.hpp"

#include "src/text/double_metaphone.hpp"
#include "src/text/normalize.hpp"
#include "src/text/utf8.hpp"
#include "src/parallel.hpp"

namespace nm {
namespace {
constexpr size_t kChunkRows = 1 << 14;

size_t chunk_count(size_t rows) { return (rows + kChunkRows - 1) / kChunkRows; }

// Runs fill(chunk, lo, hi) over fixed chunks of rows in parallel; the chunks
// are merged in order by the caller, so the result does not depend on threads.
template <class Chunk, class Fill>
std::vector<Chunk> fill_chunks(size_t rows, unsigned threads, Fill fill) {
  std::vector<Chunk> chunks(chunk_count(rows));
  parallel_for(chunks.size(), threads, [&](size_t c, unsigned) {
    const size_t lo = c * kChunkRows;
    fill(chunks[c], lo, std::min(rows, lo + kChunkRows));
  });
  return chunks;
}
}  // namespace

uint32_t pack_metaphone(std::string_view code) {
  uint32_t v = 0;
  for (size_t i = 0; i < code.size() && i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(code[i])) << (8 * i);
  return v;
}

uint64_t char_class_mask(const uint32_t* cps, uint32_t n) {
  uint64_t m = 0;
  for (uint32_t i = 0; i < n; ++i) m |= uint64_t{1} << (cps[i] & 63u);
  return m;
}

ExactKeys prepare_exact(const RawTable& t, bool fuzzy_normalization, bool with_middle,
                        unsigned threads) {
  const size_t n = t.size();
  auto chunks = fill_chunks<ExactKeys>(n, threads, [&](ExactKeys& out, size_t lo, size_t hi) {
    out.names.reserve(hi - lo);
    static constexpr Field kNames[3] = {Field::kFirst, Field::kMiddle, Field::kLast};
    for (size_t r = lo; r < hi; ++r) {
      std::array<StrRef, 3> refs;
      for (int k = 0; k < 3; ++k) {
        if (k == 1 && !with_middle) {
          refs[1] = StrRef{};
          continue;
        }
        std::string v = normalize_text(t.get(r, kNames[k]));
        if (fuzzy_normalization) v = normalize_simple(v);
        if (is_blank(v)) v.clear();
        refs[static_cast<size_t>(k)] = out.arena.append(v);
      }
      out.names.push_back(refs);
    }
  });
  ExactKeys all;
  all.names.reserve(n);
  for (auto& ch : chunks) {
    const uint64_t base = all.arena.bytes();
    all.arena.append(ch.arena.view(StrRef{0, static_cast<uint32_t>(ch.arena.bytes())}));
    for (auto refs : ch.names) {
      for (auto& r : refs) r.offset += base;
      all.names.push_back(refs);
    }
  }
  return all;
}

FuzzyTrace trace_fuzzy(std::string_view first, std::string_view middle, std::string_view last,
                       bool with_middle) {
  FuzzyTrace tr;
  tr.first_nt = normalize_text(first);
  tr.middle_nt = with_middle ? normalize_text(middle) : std::string();
  tr.last_nt = normalize_text(last);
  std::string joined = tr.first_nt;
  joined += ' ';
  if (with_middle) {
    joined += tr.middle_nt;
    joined += ' ';
  }
  joined += tr.last_nt;
  tr.full = normalize_simple(joined);
  if (is_blank(tr.full)) tr.full.clear();
  tr.parts[0] = normalize_simple(tr.first_nt);
  tr.parts[1] = normalize_simple(tr.middle_nt);
  tr.parts[2] = normalize_simple(tr.last_nt);
  tr.phonetic = normalize_for_phonetic(tr.full);
  if (!tr.phonetic.empty()) tr.metaphone = double_metaphone_primary(tr.phonetic, 4);
  return tr;
}

FuzzyTable prepare_fuzzy(const RawTable& t, bool with_middle, unsigned threads) {
  const size_t n = t.size();
  auto chunks = fill_chunks<FuzzyTable>(n, threads, [&](FuzzyTable& out, size_t lo, size_t hi) {
    out.records.reserve(hi - lo);
    for (size_t r = lo; r < hi; ++r) {
      FuzzyTrace tr = trace_fuzzy(t.get(r, Field::kFirst), t.get(r, Field::kMiddle),
                                  t.get(r, Field::kLast), with_middle);
      FuzzyRecord rec{};
      rec.offset = out.code_points.size();
      decode_utf8(tr.full, out.code_points);
      rec.full_len = static_cast<uint32_t>(out.code_points.size() - rec.offset);
      rec.full_bytes = static_cast<uint32_t>(tr.full.size());
      rec.char_mask = char_class_mask(out.code_points.data() + rec.offset, rec.full_len);
      rec.phon_code = tr.phonetic.empty() ? 0 : pack_metaphone(tr.metaphone);
      for (int k = 0; k < 3; ++k) {
        const size_t before = out.code_points.size();
        decode_utf8(tr.parts[k], out.code_points);
        rec.part_len[k] = static_cast<uint32_t>(out.code_points.size() - before);
        out.max_len = std::max(out.max_len, rec.part_len[k]);
      }
      out.max_len = std::max(out.max_len, rec.full_len);
      out.records.push_back(rec);
    }
  });
  FuzzyTable all;
  all.records.reserve(n);
  size_t total = 0;
  for (auto& ch : chunks) total += ch.code_points.size();
  all.code_points.reserve(total);
  for (auto& ch : chunks) {
    const uint64_t base = all.code_points.size();
    all.code_points.insert(all.code_points.end(), ch.code_points.begin(), ch.code_points.end());
    for (auto rec : ch.records) {
      rec.offset += base;
      all.records.push_back(rec);
    }
    all.max_len = std::max(all.max_len, ch.max_len);
    ch = FuzzyTable{};
  }
  return all;
}

}  // namespace nm
