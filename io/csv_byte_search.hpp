// Byte searches of the CSV reader over spans of its buffer: SSE2 where the
// target has it (x86-64 always does), plain loops elsewhere or when
// NAME_MATCHER_DISABLE_SIMD is set. Only io/csv_reader.cpp uses them.
#pragma once
#include <cstddef>
#include <cstring>

#include "src/env_flag.hpp"

// SSE2 is part of x86-64; elsewhere (or with -DNM_CSV_NO_SIMD, which the
// tests use to cover it) plain loops do the same job.
#if defined(__SSE2__) && !defined(NM_CSV_NO_SIMD)
#define NM_CSV_SSE2 1
#include <emmintrin.h>
#endif

namespace nm::io::csv_search {

// NAME_MATCHER_DISABLE_SIMD (the original tool's rollback switch): the plain
// loops instead of SSE2. Read once per process.
[[maybe_unused]] inline const bool kUseSimd = !env_flag_set("NAME_MATCHER_DISABLE_SIMD");
inline constexpr size_t kPadding = 16;

// The searches below run over spans [p, e) of the reader's buffer, which
// has kPadding bytes after its capacity: the last 16-byte load may reach past
// e, and hits beyond e are masked off. Spans are mostly short (a field, a
// line), where an inline loop beats the call overhead of memchr.
#ifdef NM_CSV_SSE2
inline unsigned mask_until(const char* p, const char* e) {
  return e - p >= 16 ? 0xFFFFu : (1u << (e - p)) - 1;
}
inline __m128i load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline unsigned movemask(__m128i v) { return static_cast<unsigned>(_mm_movemask_epi8(v)); }
#endif

// First c in [p, e), or nullptr.
inline const char* find_byte(const char* p, const char* e, char c) {
#ifdef NM_CSV_SSE2
  if (kUseSimd) {
    const __m128i cv = _mm_set1_epi8(c);
    for (; p < e; p += 16) {
      if (const unsigned m = movemask(_mm_cmpeq_epi8(load16(p), cv)) & mask_until(p, e)) {
        return p + __builtin_ctz(m);
      }
    }
    return nullptr;
  }
#endif
  return static_cast<const char*>(std::memchr(p, c, static_cast<size_t>(e - p)));
}

// First LF, CR or quote in [p, e), or e.
inline const char* find_line_special(const char* p, const char* e) {
#ifdef NM_CSV_SSE2
  if (kUseSimd) {
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), qu = _mm_set1_epi8('"');
    for (; p < e; p += 16) {
      const __m128i v = load16(p);
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
                                       _mm_cmpeq_epi8(v, qu));
      if (const unsigned m = movemask(hit) & mask_until(p, e)) return p + __builtin_ctz(m);
    }
    return e;
  }
#endif
  for (; p < e; ++p) {
    if (*p == '\n' || *p == '\r' || *p == '"') return p;
  }
  return e;
}

}  // namespace nm::io::csv_search
