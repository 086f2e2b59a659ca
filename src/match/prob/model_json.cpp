// The model file: Model <-> JSON (model.hpp). Writing keeps the keys in a
// fixed order (ordered_json) so two trainings of the same data give the same
// bytes; reading checks every field and names the one that is wrong, since a
// model file may have been edited by hand.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "src/errors.hpp"
#include "src/match/prob/model.hpp"

namespace nm::prob {

namespace {

using Json = nlohmann::ordered_json;

// m and u of a comparison may miss 1 by rounding in a hand-edited file, not more.
constexpr double kSumTolerance = 1e-6;

Json comparison_to_json(const Comparison& c) {
  Json levels = Json::array();
  for (size_t l = 0; l < c.levels.size(); ++l) {
    const double m = l < c.m.size() ? c.m[l] : 0, u = l < c.u.size() ? c.u[l] : 0;
    Json level;
    level["name"] = c.levels[l];
    level["m"] = m;
    level["u"] = u;
    level["weight"] = std::log2(m / u);
    levels.push_back(std::move(level));
  }
  Json j;
  j["column"] = c.column;
  j["kind"] = compare_kind_name(c.kind);
  j["term_frequency"] = c.term_frequency;
  j["levels"] = std::move(levels);
  return j;
}

// Reads fields out of the parsed document; every failure is an InputError
// "<source>: <path>: <what>", the path written as in the file
// (comparisons[1].levels[0].m).
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(path.empty() ? fmt::format("{}: {}", source_, what)
                                  : fmt::format("{}: {}: {}", source_, path, what));
  }
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
  }

  const Json& field(const Json& obj, const std::string& path, const char* key) const {
    const auto it = obj.find(key);
    if (it == obj.end()) fail(path, fmt::format("missing \"{}\"", key));
    return *it;
  }
  template <class Test>
  const Json& get(const Json& obj, const std::string& path, const char* key, Test is_ok,
                  const char* expected) const {
    const Json& v = field(obj, path, key);
    if (!is_ok(v))
      fail(join(path, key), fmt::format("expected {}, found {}", expected, v.type_name()));
    return v;
  }
  double number(const Json& obj, const std::string& path, const char* key) const {
    return get(
               obj, path, key, [](const Json& v) { return v.is_number(); }, "a number")
        .get<double>();
  }
  uint64_t count(const Json& obj, const std::string& path, const char* key) const {
    return get(
               obj, path, key, [](const Json& v) { return v.is_number_unsigned(); },
               "a whole number >= 0")
        .get<uint64_t>();
  }
  bool boolean(const Json& obj, const std::string& path, const char* key) const {
    return get(
               obj, path, key, [](const Json& v) { return v.is_boolean(); }, "true or false")
        .get<bool>();
  }
  std::string text(const Json& obj, const std::string& path, const char* key) const {
    return get(
               obj, path, key, [](const Json& v) { return v.is_string(); }, "a string")
        .get<std::string>();
  }
  const Json& array(const Json& obj, const std::string& path, const char* key) const {
    return get(
        obj, path, key, [](const Json& v) { return v.is_array(); }, "an array");
  }
  const Json& object(const Json& obj, const std::string& path, const char* key) const {
    return get(
        obj, path, key, [](const Json& v) { return v.is_object(); }, "an object");
  }
  const Json& element_object(const Json& v, const std::string& path) const {
    if (!v.is_object()) fail(path, fmt::format("expected an object, found {}", v.type_name()));
    return v;
  }

 private:
  const std::string& source_;
};

// A probability read from the file: m and u in (0, 1] (0 would give an
// infinite weight), the prior in (0, 1).
double probability(const Reader& r, const Json& obj, const std::string& path, const char* key,
                   bool one_allowed) {
  const double p = r.number(obj, path, key);
  if (!(p > 0 && (one_allowed ? p <= 1 : p < 1)))
    r.fail(Reader::join(path, key),
           fmt::format("{} is not a probability in (0, 1{}", p, one_allowed ? "]" : ")"));
  return p;
}

Comparison read_comparison(const Reader& r, const Json& j, const std::string& path) {
  r.element_object(j, path);
  Comparison c;
  c.column = r.text(j, path, "column");
  const std::string kind = r.text(j, path, "kind");
  const std::optional<CompareKind> k = compare_kind_from_name(kind);
  if (!k)
    r.fail(Reader::join(path, "kind"),
           fmt::format("\"{}\" is not one of name, date, exact, prefix, numeric", kind));
  c.kind = *k;
  c.term_frequency = r.boolean(j, path, "term_frequency");
  const Json& levels = r.array(j, path, "levels");
  if (levels.size() < 2 || levels.size() >= kNullLevel)
    r.fail(Reader::join(path, "levels"),
           fmt::format("{} levels; a comparison has 2 to {}", levels.size(), kNullLevel - 1));
  double m_sum = 0, u_sum = 0;
  for (size_t l = 0; l < levels.size(); ++l) {
    const std::string lp = fmt::format("{}.levels[{}]", path, l);
    const Json& level = r.element_object(levels[l], lp);
    c.levels.push_back(r.text(level, lp, "name"));
    c.m.push_back(probability(r, level, lp, "m", true));
    c.u.push_back(probability(r, level, lp, "u", true));
    m_sum += c.m.back();
    u_sum += c.u.back();
  }
  for (const auto& [name, sum] : {std::pair{"m", m_sum}, std::pair{"u", u_sum}})
    if (std::abs(sum - 1) > kSumTolerance)
      r.fail(path, fmt::format("{} of the levels sums to {}, not 1", name, sum));
  return c;
}

void read_training(const Reader& r, const Json& doc, Model& model) {
  if (!doc.contains("training")) return;  // a hand-written model need not say how it was learned
  const Json& t = r.object(doc, "", "training");
  const std::string p = "training";
  model.u_sample_pairs = r.count(t, p, "u_sample_pairs");
  model.candidate_pairs = r.count(t, p, "candidate_pairs");
  model.distinct_patterns = r.count(t, p, "distinct_patterns");
  const uint64_t it = r.count(t, p, "em_iterations");
  if (it > UINT32_MAX) r.fail("training.em_iterations", fmt::format("{} is too large", it));
  model.em_iterations = static_cast<uint32_t>(it);
  model.em_converged = r.boolean(t, p, "em_converged");
  model.matches_estimated = r.number(t, p, "matches_estimated");
}

void read_tf_top(const Reader& r, const Json& doc, Model& model) {
  if (!doc.contains("term_frequency")) return;
  const Json& tf = r.object(doc, "", "term_frequency");
  for (const auto& [column, values] : tf.items()) {
    const std::string path = "term_frequency." + column;
    if (!values.is_array())
      r.fail(path, fmt::format("expected an array, found {}", values.type_name()));
    auto& top = model.tf_top.emplace_back(column, std::vector<std::pair<std::string, uint64_t>>{});
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string vp = fmt::format("{}[{}]", path, i);
      const Json& v = r.element_object(values[i], vp);
      std::string value = r.text(v, vp, "value");  // read first: its error comes first
      top.second.emplace_back(std::move(value), r.count(v, vp, "count"));
    }
  }
}

}  // namespace

std::string model_to_json(const Model& model) {
  Json j;
  j["format"] = Model::kFormat;
  j["version"] = Model::kVersion;
  j["dedupe"] = model.dedupe;
  j["blocking"] = model.blocking;
  j["prior"] = model.prior;
  j["prior_weight"] = std::log2(model.prior / (1 - model.prior));
  Json comparisons = Json::array();
  for (const Comparison& c : model.comparisons) comparisons.push_back(comparison_to_json(c));
  j["comparisons"] = std::move(comparisons);
  Json training;
  training["u_sample_pairs"] = model.u_sample_pairs;
  training["candidate_pairs"] = model.candidate_pairs;
  training["distinct_patterns"] = model.distinct_patterns;
  training["em_iterations"] = model.em_iterations;
  training["em_converged"] = model.em_converged;
  training["matches_estimated"] = model.matches_estimated;
  j["training"] = std::move(training);
  if (!model.tf_top.empty()) {
    Json tf = Json::object();
    for (const auto& [column, top] : model.tf_top) {
      Json values = Json::array();
      for (const auto& [value, count] : top) values.push_back({{"value", value}, {"count", count}});
      tf[column] = std::move(values);
    }
    j["term_frequency"] = std::move(tf);
  }
  // Values come from the input; invalid UTF-8 is replaced rather than refused.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Model model_from_json(std::string_view text, const std::string& source) {
  const Reader r(source);
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.what() starts "[json.exception.parse_error.101] ": the id is noise to a user.
    const std::string what = e.what();
    const size_t at = what.find("] ");
    r.fail("", "not JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
  }
  const std::string wanted = fmt::format("(expected \"format\": \"{}\")", Model::kFormat);
  if (!doc.is_object() || !doc.contains("format"))
    r.fail("", "not a name_matcher probabilistic model " + wanted);
  const Json& format = doc["format"];
  if (!format.is_string() || format.get<std::string>() != Model::kFormat)
    r.fail("", fmt::format("not a name_matcher probabilistic model: \"format\" is {} {}",
                           format.dump(), wanted));
  const Json& version = r.get(
      doc, "", "version", [](const Json& v) { return v.is_number_integer(); }, "a whole number");
  if (version.get<int64_t>() != Model::kVersion)
    r.fail("", fmt::format("written by model format version {}; this build reads version {}",
                           version.dump(), Model::kVersion));

  Model model;
  model.dedupe = r.boolean(doc, "", "dedupe");
  const Json& blocking = r.array(doc, "", "blocking");
  for (size_t i = 0; i < blocking.size(); ++i) {
    if (!blocking[i].is_string())
      r.fail(fmt::format("blocking[{}]", i),
             fmt::format("expected a string, found {}", blocking[i].type_name()));
    model.blocking.push_back(blocking[i].get<std::string>());
  }
  model.prior = probability(r, doc, "", "prior", false);
  const Json& comparisons = r.array(doc, "", "comparisons");
  if (comparisons.empty() || comparisons.size() > kMaxComparisons)
    r.fail("comparisons",
           fmt::format("{} comparisons; a model has 1 to {}", comparisons.size(), kMaxComparisons));
  for (size_t i = 0; i < comparisons.size(); ++i) {
    const std::string path = fmt::format("comparisons[{}]", i);
    Comparison c = read_comparison(r, comparisons[i], path);
    for (const Comparison& earlier : model.comparisons)
      if (earlier.column == c.column)
        r.fail(path + ".column", fmt::format("\"{}\" is compared twice", c.column));
    model.comparisons.push_back(std::move(c));
  }
  read_training(r, doc, model);
  read_tf_top(r, doc, model);
  return model;
}

}  // namespace nm::prob
