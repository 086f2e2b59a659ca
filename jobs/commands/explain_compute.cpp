// `explain`: one pair through the engine's own code (prepare_exact /
// prepare_fuzzy on 1-row tables, exact_name_passes, score_fuzzy_pair,
// kernels::vote), keeping every intermediate value for explain_print.cpp.
#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "jobs/commands/explain_pair.hpp"
#include "kernels/metrics.hpp"
#include "src/log.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/engine.hpp"
#include "src/match/exact_rule.hpp"
#include "src/text/normalize.hpp"

namespace nm::jobs::explain {
namespace {

RawTable one_row_table(const ExplainedPerson& s) {
  RawTable t;
  t.source = s.from_file ? s.source : "command line";
  t.push({s.id, "", s.name[0], s.name[1], s.name[2], ""}, s.birthdate, s.line);
  return t;
}

// The metrics of the full strings, and the rule's result on them.
void score_names(FuzzyExplanation& e, const kernels::FuzzyView& va, const kernels::FuzzyView& vb,
                 uint32_t max_len) {
  auto pattern = std::make_unique<kernels::Pattern64>();
  pattern->reset_all();
  const bool use_pattern = kernels::uses_pattern(vb.full_len);
  if (use_pattern) pattern->build(vb.full, vb.full_len);
  const kernels::Pattern64* pb = use_pattern ? pattern.get() : nullptr;
  std::vector<uint32_t> scratch(kernels::metric_scratch_words(max_len) + 8);
  if (const std::string note = long_pair_note(va.full_len, vb.full_len); !note.empty())
    log(LogLevel::kInfo, "explain: " + note);

  e.s = kernels::score_fuzzy_pair(va, vb, pb, e.with_middle, scratch.data(), /*all_metrics=*/true);
  e.len_a = va.full_len;
  e.len_b = vb.full_len;
  e.bytes_a = va.full_bytes;
  e.bytes_b = vb.full_bytes;
  e.empty = va.full_len == 0 || vb.full_len == 0;
  if (e.empty) {  // the rule scored nothing; show what the metrics would be
    e.dist = kernels::levenshtein(va.full, va.full_len, vb.full, vb.full_len, pb, scratch.data());
    e.jaro = kernels::jaro(va.full, va.full_len, vb.full, vb.full_len, pb, scratch.data());
    e.lev = kernels::levenshtein_pct(e.dist, e.bytes_a, e.bytes_b);
    e.jw =
        kernels::jaro_winkler_from_jaro(e.jaro, va.full, va.full_len, vb.full, vb.full_len) * 100.0;
    e.mp = 0;
  } else {  // all_metrics: the rule computed each metric once (long names: seconds)
    e.dist = e.s.dist;
    e.jaro = e.s.jaro;
    e.lev = e.s.lev;
    e.jw = e.s.jw;
    e.mp = e.s.mp;
  }
  e.vote = kernels::vote(e.lev, e.jw, e.mp);
  // The rule checked the names when it voted on two different, non-empty full strings.
  if (!e.empty && e.s.label != kernels::kDirect && e.vote.name_check) {
    for (int k = 0; k < 3; ++k) {
      if (k == 1 && !e.with_middle) continue;
      e.part_dist[static_cast<size_t>(k)] = static_cast<int>(kernels::levenshtein(
          va.part[k], va.part_len[k], vb.part[k], vb.part_len[k], nullptr, scratch.data()));
    }
  }
}

std::string label_reason(const FuzzyExplanation& e) {
  if (e.empty) return "a full string is empty: no pair";
  switch (e.s.label) {
    case kernels::kDirect:
      return "the full strings are identical";
    case kernels::kCase1:
      return "all three votes pass";
    case kernels::kCase2:
      return e.vote.name_check
                 ? fmt::format("two votes pass; score >= {} but a name differs by more than {}",
                               kernels::kCase3Score, kernels::kCase3NameDistance)
                 : fmt::format("two votes pass; score below {}", kernels::kCase3Score);
    case kernels::kCase3:
      return fmt::format("two votes pass, score >= {} and every name within distance {}",
                         kernels::kCase3Score, kernels::kCase3NameDistance);
    default:
      return fmt::format("{} of 3 votes pass; two are needed", e.vote.count);
  }
}

}  // namespace

bool birthdates_match(const ExplainedPerson& a, const ExplainedPerson& b) {
  return a.birthdate != kNoDate && a.birthdate == b.birthdate;
}

ExactExplanation explain_exact(const ExplainedPerson& a, const ExplainedPerson& b,
                               const MatchOptions& m, bool rows) {
  ExactExplanation e;
  e.with_middle = algorithm_traits(m.algorithm).middle_in_rule;
  const ExactKeys ka = prepare_exact(one_row_table(a), m.fuzzy_normalization, true, 1);
  const ExactKeys kb = prepare_exact(one_row_table(b), m.fuzzy_normalization, true, 1);
  for (const int k : {kExactFirst, kExactMiddle, kExactLast}) {
    if (k == kExactMiddle && !e.with_middle) continue;
    ExactName n;
    n.slot = static_cast<size_t>(k);
    n.text = {normalize_text(a.name[n.slot]), normalize_text(b.name[n.slot])};
    if (m.fuzzy_normalization) n.simple = {normalize_simple(n.text[0]), normalize_simple(n.text[1])};
    const std::string_view ca = ka.get(0, k), cb = kb.get(0, k);
    n.compared = {std::string(ca), std::string(cb)};
    n.equal = ca == cb;
    n.ok = exact_name_passes(k, ca, cb);
    n.verdict = ca.empty() && cb.empty()   ? "both missing"
                : ca.empty() || cb.empty() ? "one missing"
                : n.equal                  ? "equal"
                                           : "differ";
    if (!n.ok && e.reason.empty()) e.reason = std::string(kNameFields[n.slot]) + ": " + n.verdict;
    e.names.push_back(std::move(n));
  }
  if (e.reason.empty() && rows && !birthdates_match(a, b))
    e.reason = "birthdates differ or are missing";
  e.match = e.reason.empty();
  return e;
}

FuzzyExplanation explain_fuzzy(const ExplainedPerson& a, const ExplainedPerson& b,
                               const MatchOptions& m, bool rows) {
  FuzzyExplanation e;
  const AlgorithmTraits alg = algorithm_traits(m.algorithm);
  e.with_middle = alg.middle_in_rule;
  e.households = alg.households;
  e.threshold = alg.households ? m.household_threshold : m.threshold;
  e.ta = trace_fuzzy(a.name[0], a.name[1], a.name[2], e.with_middle);
  e.tb = trace_fuzzy(b.name[0], b.name[1], b.name[2], e.with_middle);
  const FuzzyTable fa = prepare_fuzzy(one_row_table(a), e.with_middle, 1);
  const FuzzyTable fb = prepare_fuzzy(one_row_table(b), e.with_middle, 1);
  score_names(e, fa.view(0), fb.view(0), std::max(fa.max_len, fb.max_len));

  e.names_match = e.s.label != kernels::kNoMatch;
  e.birthdates_ok = !rows || birthdates_match(a, b);
  e.passes = e.names_match && e.s.confidence >= e.threshold;
  e.written = e.passes && e.birthdates_ok;
  e.label = e.birthdates_ok ? e.s.label : static_cast<uint8_t>(kernels::kNoMatch);
  e.reason = !e.birthdates_ok ? "birthdates differ or are missing: the pair is never scored"
                              : label_reason(e);
  return e;
}

}  // namespace nm::jobs::explain
