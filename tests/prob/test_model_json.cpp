// The model file (src/match/prob/model.hpp): an exact round trip, a stable
// layout, and one clear message for each way a file can be wrong.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/errors.hpp"
#include "src/match/prob/model.hpp"

namespace {

using Json = nlohmann::ordered_json;

nm::prob::Model sample_model() {
  nm::prob::Model model;
  model.prior = 1.0 / 3e5;
  model.blocking = {"last_name", "birthdate year + first_name[0]"};
  model.dedupe = true;
  model.u_sample_pairs = 1'000'000;
  model.candidate_pairs = 123'456'789'012ULL;
  model.distinct_patterns = 4321;
  model.em_iterations = 57;
  model.em_converged = true;
  model.matches_estimated = 41234.56789012345;
  nm::prob::Comparison a;
  a.column = "first_name";
  a.levels = {"exact", "swap", "jw>=0.92", "else"};
  // Values that do not print short: a lossy writer would change them.
  a.m = {0.1 + 0.2, 1.0 / 3, std::nextafter(0.2, 1.0), 0.0};
  a.m[3] = 1 - a.m[0] - a.m[1] - a.m[2];
  a.u = {1e-9, 2.5e-5, 0.01, 1 - 1e-9 - 2.5e-5 - 0.01};
  a.term_frequency = true;
  nm::prob::Comparison b;
  b.column = "zip";
  b.kind = nm::prob::CompareKind::kPrefix;
  b.levels = {"exact", "else"};
  b.m = {0.9, 0.1};
  b.u = {0.02, 0.98};
  model.comparisons = {a, b};
  model.tf_top = {{"first_name", {{"MARÍA", 1200}, {"JOHN", 800}}}, {"zip", {}}};
  return model;
}

std::string bad(const std::function<void(Json&)>& edit) {
  Json j = Json::parse(nm::prob::model_to_json(sample_model()));
  edit(j);
  return j.dump();
}

std::string error_of(const std::string& text) {
  try {
    nm::prob::model_from_json(text, "model.json");
  } catch (const nm::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("prob model json: the round trip is exact") {
  const nm::prob::Model a = sample_model();
  const std::string text = nm::prob::model_to_json(a);
  const nm::prob::Model b = nm::prob::model_from_json(text, "model.json");
  CHECK(nm::prob::model_to_json(b) == text);
  CHECK(b.prior == a.prior);
  CHECK(b.blocking == a.blocking);
  CHECK(b.dedupe == a.dedupe);
  CHECK(b.u_sample_pairs == a.u_sample_pairs);
  CHECK(b.candidate_pairs == a.candidate_pairs);
  CHECK(b.distinct_patterns == a.distinct_patterns);
  CHECK(b.em_iterations == a.em_iterations);
  CHECK(b.em_converged == a.em_converged);
  CHECK(b.matches_estimated == a.matches_estimated);
  CHECK(b.tf_top == a.tf_top);
  REQUIRE(b.comparisons.size() == 2);
  for (size_t c = 0; c < 2; ++c) {
    CHECK(b.comparisons[c].column == a.comparisons[c].column);
    CHECK(b.comparisons[c].kind == a.comparisons[c].kind);
    CHECK(b.comparisons[c].levels == a.comparisons[c].levels);
    CHECK(b.comparisons[c].m == a.comparisons[c].m);  // bit for bit
    CHECK(b.comparisons[c].u == a.comparisons[c].u);
    CHECK(b.comparisons[c].term_frequency == a.comparisons[c].term_frequency);
  }
  const auto wa = nm::prob::fixed_weights(a), wb = nm::prob::fixed_weights(b);
  CHECK(wa.prior == wb.prior);
  CHECK(wa.level == wb.level);
}

TEST_CASE("prob model json: keys in a fixed order, readable") {
  const std::string text = nm::prob::model_to_json(sample_model());
  const std::vector<std::string> keys = {"\"format\"",      "\"version\"",  "\"dedupe\"",
                                         "\"blocking\"",    "\"prior\"",    "\"prior_weight\"",
                                         "\"comparisons\"", "\"training\"", "\"term_frequency\""};
  size_t at = 0;
  for (const std::string& k : keys) {
    const size_t next = text.find(k, at);
    INFO(k);
    REQUIRE(next != std::string::npos);
    at = next;
  }
  CHECK(text.find("\"kind\": \"prefix\"") != std::string::npos);
  CHECK(text.find("\"weight\": ") != std::string::npos);
  const Json j = Json::parse(text);
  CHECK(j["comparisons"][1]["levels"][0]["weight"].get<double>() == std::log2(0.9 / 0.02));
  // A model without the optional parts reads too.
  Json minimal = j;
  minimal.erase("training");
  minimal.erase("term_frequency");
  const auto m = nm::prob::model_from_json(minimal.dump(), "m.json");
  CHECK(m.em_iterations == 0);
  CHECK(m.tf_top.empty());
}

TEST_CASE("prob model json: every bad model names the file and the fault") {
  const std::string f = "model.json: ";
  CHECK(error_of("{\"format\": ").rfind(f + "not JSON: parse error at line 1, column 12", 0) == 0);
  const std::string not_model =
      "not a name_matcher probabilistic model (expected \"format\": \"name_matcher-prob-model\")";
  CHECK(error_of("[1, 2]") == f + not_model);
  CHECK(error_of("{\"version\": 1}") == f + not_model);
  CHECK(error_of(bad([](Json& j) { j["format"] = "splink"; })) ==
        f + "not a name_matcher probabilistic model: \"format\" is \"splink\" (expected "
            "\"format\": \"name_matcher-prob-model\")");
  CHECK(error_of(bad([](Json& j) { j["version"] = 2; })) ==
        f + "written by model format version 2; this build reads version 1");
  CHECK(error_of(bad([](Json& j) { j.erase("version"); })) == f + "missing \"version\"");
  CHECK(error_of(bad([](Json& j) { j.erase("prior"); })) == f + "missing \"prior\"");
  CHECK(error_of(bad([](Json& j) { j["prior"] = "0.1"; })) ==
        f + "prior: expected a number, found string");
  CHECK(error_of(bad([](Json& j) { j["prior"] = 1; })) ==
        f + "prior: 1 is not a probability in (0, 1)");
  CHECK(error_of(bad([](Json& j) { j["dedupe"] = 0; })) ==
        f + "dedupe: expected true or false, found number");
  CHECK(error_of(bad([](Json& j) { j["blocking"][1] = 3; })) ==
        f + "blocking[1]: expected a string, found number");
  CHECK(error_of(bad([](Json& j) { j["comparisons"] = Json::array(); })) ==
        f + "comparisons: 0 comparisons; a model has 1 to 16");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1] = 7; })) ==
        f + "comparisons[1]: expected an object, found number");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][0].erase("column"); })) ==
        f + "comparisons[0]: missing \"column\"");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["kind"] = "fuzzy"; })) ==
        f + "comparisons[1].kind: \"fuzzy\" is not one of name, date, exact, prefix, numeric");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["column"] = "first_name"; })) ==
        f + "comparisons[1].column: \"first_name\" is compared twice");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][0]["levels"][2].erase("name"); })) ==
        f + "comparisons[0].levels[2]: missing \"name\"");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["levels"][1]["m"] = 1.5; })) ==
        f + "comparisons[1].levels[1].m: 1.5 is not a probability in (0, 1]");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["levels"][0]["u"] = 0; })) ==
        f + "comparisons[1].levels[0].u: 0 is not a probability in (0, 1]");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["levels"][0]["u"] = nullptr; })) ==
        f + "comparisons[1].levels[0].u: expected a number, found null");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["levels"][0]["m"] = 0.5; })) ==
        f + "comparisons[1]: m of the levels sums to 0.6, not 1");
  CHECK(error_of(bad([](Json& j) { j["comparisons"][1]["levels"].erase(1); })) ==
        f + "comparisons[1].levels: 1 levels; a comparison has 2 to 14");
  CHECK(error_of(bad([](Json& j) { j["training"]["em_iterations"] = -1; })) ==
        f + "training.em_iterations: expected a whole number >= 0, found number");
  CHECK(error_of(bad([](Json& j) {
          j["term_frequency"]["zip"] = Json::array({{{"value", 1}}});
        })) == f + "term_frequency.zip[0].value: expected a string, found number");
  CHECK(error_of(bad([](Json& j) {
          j["term_frequency"]["zip"] = Json::array({{{"value", "1"}, {"count", 1.5}}});
        })) == f + "term_frequency.zip[0].count: expected a whole number >= 0, found number");
}

TEST_CASE("prob model json: a compared column the input lacks") {
  const nm::prob::Model model = sample_model();
  CHECK_NOTHROW(nm::prob::check_model_columns(model, {"id", "zip", "first_name"}, "people.csv"));
  CHECK_THROWS_WITH_AS(nm::prob::check_model_columns(model, {"id", "first_name"}, "people.csv"),
                       "people.csv: has no column \"zip\", which the model compares (prefix); "
                       "its columns: id, first_name",
                       nm::InputError);
}
