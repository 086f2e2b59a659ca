#include "jobs/prob/prob_output.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "io/csv_writer.hpp"
#include "io/db/url.hpp"
#include "io/xlsx_writer.hpp"
#include "jobs/prob/prob_engine.hpp"
#include "jobs/run_io.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/match/prob/clusters.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs {

ProbPaths prob_paths(const ProbConfig& cfg) {
  ProbPaths p;
  std::vector<io::NamedPath> inputs, outputs;
  if (!db::is_db_url(cfg.left)) inputs.push_back({cfg.left, "--left"});
  if (!cfg.dedupe && !db::is_db_url(cfg.right)) inputs.push_back({cfg.right, "--right"});
  if (!cfg.model_in.empty()) inputs.push_back({cfg.model_in, "--model"});
  add_db_option_inputs(cfg.db, inputs);
  auto url_of = [](const std::string& s) {
    return db::is_db_url(s) ? std::optional(db::parse_db_url(s, true)) : std::nullopt;
  };
  check_db_output_not_input(url_of(cfg.out_db), url_of(cfg.left),
                            cfg.dedupe ? std::nullopt : url_of(cfg.right));
  if (!cfg.out.empty()) p.out = io::resolve_output_path(cfg.out);
  if (!cfg.clusters.empty()) p.clusters = io::resolve_output_path(cfg.clusters);
  p.xlsx = cfg.out_xlsx;
  p.table = cfg.out_db;
  // Side files are named after the result (the model for `train`).
  const std::string base = !cfg.side_base.empty()                      ? cfg.side_base
                           : !p.out.empty() && !io::is_stdout_path(p.out) ? p.out
                           : !cfg.model_out.empty()                     ? cfg.model_out
                                                                        : std::string();
  if (!cfg.model_out.empty())
    p.model = io::resolve_output_path(cfg.model_out);
  else if (cfg.model_in.empty() && !base.empty())
    p.model = base + ".model.json";
  if (!base.empty()) {
    p.summary = base + ".summary.json";
    p.rejects = base + ".rejects.csv";
  }
  if (!p.out.empty() && !cfg.out_is_temporary) outputs.push_back({p.out, "--out"});
  if (!p.xlsx.empty()) outputs.push_back({p.xlsx, "--out"});
  if (!p.clusters.empty()) outputs.push_back({p.clusters, "--clusters"});
  if (!cfg.pairs.empty()) outputs.push_back({cfg.pairs, "--pairs"});
  if (!p.model.empty()) outputs.push_back({p.model, cfg.model_out.empty() ? "the model file" : "--model-out"});
  if (!p.summary.empty()) {
    outputs.push_back({p.summary, "the summary file", false});
    outputs.push_back({p.rejects, "the rejects file", false});
  }
  if (cfg.skip_bad_rows && p.rejects.empty())
    throw UsageError("--skip-bad-rows writes the bad rows beside the output: with the pairs on "
                     "standard output, give --model-out (the rejects go beside it)");
  io::check_output_paths(inputs, outputs);
  return p;
}

std::vector<std::string> prob_pair_columns(const std::vector<prob::Comparison>& comparisons) {
  std::vector<std::string> names;
  for (const char* table : {"Table1_", "Table2_"})
    for (const char* field : {"ID", "FirstName", "MiddleName", "LastName", "Birthdate"})
      names.push_back(std::string(table) + field);
  names.emplace_back("MatchWeight");
  names.emplace_back("MatchProbability");
  for (const auto& c : comparisons) names.push_back("Level_" + c.column);
  return names;
}

namespace {

// The pairs' CSV header line (without its newline).
std::string pairs_header(const std::vector<prob::Comparison>& comparisons) {
  std::string h;
  for (const auto& name : prob_pair_columns(comparisons)) {
    if (!h.empty()) h.push_back(',');
    io::append_csv_field(h, name);
  }
  return h;
}

// The output table's columns: the CSV's, typed so each field is kept as
// written (the weight with its 4 decimals, the probability with its 6; an
// empty birthdate is NULL).
db::ResultColumns table_columns(const std::vector<prob::Comparison>& comparisons) {
  db::ResultColumns cols;
  for (const auto& name : prob_pair_columns(comparisons)) {
    std::string type = "TEXT NOT NULL";
    if (name.ends_with("_Birthdate")) type = "DATE NULL";
    else if (name == "MatchWeight") type = "DECIMAL(16,4) NOT NULL";
    else if (name == "MatchProbability") type = "DECIMAL(7,6) NOT NULL";
    else if (name.starts_with("Level_")) type = "VARCHAR(255) NOT NULL";
    cols.emplace_back(name, type);
  }
  return cols;
}

const char* const kTableWhat = "the probabilistic pairs with these comparisons";

}  // namespace

void check_prob_table_output(const ProbConfig& cfg, const ProbPaths& paths,
                             const std::vector<prob::Comparison>& comparisons) {
  if (paths.table.empty()) return;
  const db::DbUrl url = db::parse_db_url(paths.table, true);
  const db::TableWriteOptions w = checked_db_options(cfg.db);
  db::Connection c =
      db::Connection::open(db_connect_settings(cfg.db, url, cfg.db.out_password_env), nullptr);
  db::check_output_table(c, url, table_columns(comparisons), kTableWhat, w.if_exists, w.method);
}

void write_text_output(const std::string& path, const std::string& text, io::CommitGroup& group,
                       io::CommitKind kind) {
  io::OutputFile f(path, &group, kind);
  f.buffer() = text;
  f.close();
}

void keep_one_to_one(std::vector<prob::ScoredLink>& links) {
  std::vector<prob::LinkedPair> pairs;
  pairs.reserve(links.size());
  for (const auto& l : links) pairs.push_back({l.left, l.right, l.weight});
  const std::vector<size_t> keep = prob::one_to_one(pairs);
  std::vector<prob::ScoredLink> out;
  out.reserve(keep.size());
  for (size_t i : keep) out.push_back(links[i]);  // ascending: (left, right) order stays
  links.swap(out);
}

namespace {

void append_person(std::string& b, const RawTable& t, uint32_t row) {
  io::append_csv_field(b, t.get(row, Field::kId));
  for (Field f : {Field::kFirst, Field::kMiddle, Field::kLast}) {
    b.push_back(',');
    io::append_csv_field(b, t.get(row, f));
  }
  b.push_back(',');
  if (t.birthdate[row] != kNoDate) {
    char date[16];
    b.append(date, format_iso_date(t.birthdate[row], date));
  }
}

uint64_t write_pairs(const std::string& path, const prob::Model& model, const RawTable& left,
                     const RawTable& right, const std::vector<prob::ScoredLink>& links,
                     io::CommitGroup& group) {
  io::OutputFile f(path, &group, io::CommitKind::kMain);
  std::string& b = f.buffer();
  b += pairs_header(model.comparisons);
  b.push_back('\n');
  for (const auto& l : links) {
    append_person(b, left, l.left);
    b.push_back(',');
    append_person(b, right, l.right);
    b += fmt::format(",{:.4f},{:.6f}", prob::from_fixed(l.weight), prob::probability_of(l.weight));
    for (uint32_t c = 0; c < model.comparisons.size(); ++c) {
      const uint8_t lev = prob::level_of(l.pattern, c);
      b.push_back(',');
      io::append_csv_field(b, lev == prob::kNullLevel ? std::string("missing")
                                                      : model.comparisons[c].levels[lev]);
    }
    b.push_back('\n');
    f.maybe_flush();
  }
  f.close();
  return f.bytes_written();
}

void write_clusters(const std::string& path, const RawTable& left, const RawTable& right,
                    bool dedupe, const std::vector<prob::ScoredLink>& links,
                    io::CommitGroup& group, ProbWritten& w) {
  std::vector<prob::LinkedPair> pairs;
  pairs.reserve(links.size());
  for (const auto& l : links) pairs.push_back({l.left, l.right, l.weight});
  const prob::Clusters c =
      prob::connected_components(left.size(), dedupe ? 0 : right.size(), dedupe, pairs);
  w.clusters = prob::cluster_count(c);
  io::OutputFile f(path, &group, io::CommitKind::kOutput);
  std::string& b = f.buffer();
  b += "ClusterID,Table,Row,ID\n";
  auto side = [&](const std::vector<prob::ClusterId>& ids, const RawTable& t, int table) {
    for (uint32_t row = 0; row < ids.size(); ++row) {
      b += fmt::format("{}:{},{},{},", ids[row].table + 1, ids[row].row, table, row);
      io::append_csv_field(b, t.get(row, Field::kId));
      b.push_back('\n');
      f.maybe_flush();
    }
  };
  side(c.left, left, 1);
  if (!dedupe) side(c.right, right, 2);
  f.close();
}

}  // namespace

ProbWritten write_prob_outputs(const ProbConfig& cfg, const ProbPaths& paths,
                               const prob::Model& model, const prob::LinkData& d,
                               const RawTable& left, const RawTable& right,
                               const std::vector<prob::ScoredLink>& links,
                               io::CommitGroup& group) {
  ProbWritten w;
  w.pairs = links.size();
  if (!paths.clusters.empty()) write_clusters(paths.clusters, left, right, d.dedupe, links, group, w);
  if (paths.out.empty()) return w;
  // With a workbook or a table and no CSV file, the CSV they are made from
  // is a staging file (jobs/run_io.hpp: sort_outputs).
  if (cfg.out_is_temporary)
    group.set_staging(paths.out,
                      "the CSV staging file for " + (!paths.xlsx.empty() ? paths.xlsx : paths.table));
  w.bytes = write_pairs(paths.out, model, left, right, links, group);
  if (cfg.out_to_stdout) copy_to_stdout(group.current_path(paths.out));
  return w;
}

void write_prob_sinks(const ProbConfig& cfg, const ProbPaths& paths, const prob::Model& model,
                      const ProbSheetFacts& facts, io::CommitGroup& group, ProbWritten& w) {
  const std::string csv = group.current_path(paths.out);  // the staged CSV
  if (!paths.table.empty()) {
    const db::DbUrl url = db::parse_db_url(paths.table, true);
    db::Connection c =
        db::Connection::open(db_connect_settings(cfg.db, url, cfg.db.out_password_env), nullptr);
    w.sinks["table"] =
        write_table_output(c, csv, table_columns(model.comparisons), url, cfg.db, w.pairs);
  }
  if (!paths.xlsx.empty()) {
    io::WorkbookSummary ws;
    ws.mode = "prob";
    ws.left_source = cfg.left;
    ws.right_source = cfg.dedupe ? std::string() : cfg.right;
    ws.left_rows = facts.left_rows;
    ws.right_rows = cfg.dedupe ? 0 : facts.right_rows;
    ws.rejected_rows = facts.rejected;
    ws.left_units = ws.left_rows;
    ws.right_units = ws.right_rows;
    ws.load_s = facts.load_s;
    ws.score_s = facts.score_s;
    ws.total_s = facts.total_s;
    ws.finished_at = utc_timestamp();
    io::ResultSheetLayout layout;
    layout.header = pairs_header(model.comparisons);
    layout.described = "the probabilistic pairs header";
    layout.sheet = "Pairs";
    layout.number_columns = {"MatchWeight", "MatchProbability"};
    layout.left_key = "Table1_ID";
    layout.right_key = "Table2_ID";
    w.sinks["xlsx"] = write_workbook_output(csv, paths.xlsx, ws, layout, w.pairs, group);
  }
}

std::string prob_summary_json(const ProbSummary& s) {
  nlohmann::ordered_json j;
  const ProbConfig& cfg = *s.cfg;
  j["mode"] = "prob";
  j["command"] = cfg.train_only ? "train" : "run";
  j["generated_at"] = utc_timestamp();
  j["inputs"] = {{"left", cfg.left}, {"right", cfg.dedupe ? cfg.left : cfg.right},
                 {"dedupe", cfg.dedupe}};
  auto side = [](const io::LoadStats& st) {
    return nlohmann::ordered_json{{"rows_read", st.rows_read},
                                  {"rows_rejected", st.rows_rejected},
                                  {"duplicate_ids", st.duplicate_ids},
                                  {"dates_missing", st.dates_missing},
                                  {"dates_invalid", st.dates_invalid}};
  };
  j["left"] = side(*s.left_stats);
  if (!cfg.dedupe) j["right"] = side(*s.right_stats);
  j["rejected"] = s.rejected;
  if (s.rejected > 0) j["rejects_file"] = s.rejects_path;
  j["min_probability"] = cfg.min_probability;
  j["threads"] = cfg.threads;
  if (s.engine != nullptr) j["device"] = s.engine->to_json();
  // Each rule with the pairs it gave: the linking rules' scored pairs (each
  // pair once), the training rules' counted pairs (sampled at scale).
  auto rule_list = [](const prob::RuleSet& set, const prob::LinkFigures& fig) {
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (size_t r = 0; r < set.rules.size(); ++r)
      rules.push_back({{"rule", set.rules[r].text},
                       {"pairs", r < fig.pairs_per_rule.size() ? fig.pairs_per_rule[r] : 0}});
    return rules;
  };
  if (!cfg.train_only) {
    j["blocking"] = rule_list(s.data->blocking, *s.link);
    j["candidate_pairs"] = s.link->candidate_pairs;
  }
  if (!s.train->pairs_per_rule.empty()) {
    j["training"] = rule_list(s.data->training, *s.train);
    j["training_pairs"] = s.train->candidate_pairs;
  }
  j["pairs_written"] = s.written->pairs;
  if (!s.written->sinks.empty()) j["outputs"] = s.written->sinks;
  if (!cfg.clusters.empty()) j["clusters"] = s.written->clusters;
  j["model"] = {{"prior", s.model->prior},
                {"matches_estimated", s.model->matches_estimated},
                {"em_iterations", s.model->em_iterations},
                {"em_converged", s.model->em_converged}};
  j["seconds"] = {{"prepare", s.seconds.prepare}, {"train", s.seconds.train},
                  {"link", s.seconds.link}};
  j["peak_rss_bytes"] = s.peak_rss;
  return j.dump(2) + "\n";
}

}  // namespace nm::jobs
