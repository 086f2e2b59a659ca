// The probabilistic mode's pair file: run -a prob --pairs/--resume and
// `reduce` of such a file (jobs/prob/prob_pairs.hpp, docs/PAIR_FILE.md "The
// probabilistic mode").
#include "jobs/prob/prob_pairs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "jobs/pipeline/pair_file_run.hpp"
#include "jobs/pipeline/reduce.hpp"
#include "jobs/prob/prob_output.hpp"
#include "jobs/prob/prob_ranks.hpp"
#include "src/byte_codec.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/text/stable_hash.hpp"

namespace nm::jobs {
namespace {

// Key tables of the file (io::PairFileWriter::write_key_counts).
constexpr char kModelTable[] = "prob_model";      // one key: the model's JSON
constexpr char kOptionsTable[] = "prob_options";  // one key per option: "--name value"
constexpr char kLeftTable[] = "prob_left_records";  // one key per record, count = birthdate
constexpr char kRightTable[] = "prob_right_records";

// A pair's payload: weight (int64) and pattern (uint64), little-endian.
constexpr uint32_t kPayloadBytes = 16;

// One append (a "round") holds the chunks, in the fixed order, until their
// candidate pairs reach this many full chunks per rank and thread: a killed
// run loses little, and small chunks still make few pieces and flushes.
constexpr uint64_t kChunksPerThread = 4;
constexpr uint64_t kMaxRoundChunks = 1 << 16;

// The rounds' first chunks and, last, the number of chunks: the same on
// every rank.
std::vector<uint64_t> rounds_of(const prob::ScoringChunks& chunks, uint64_t budget) {
  std::vector<uint64_t> starts{0};
  uint64_t pairs = 0;
  for (uint64_t k = 0; k < chunks.size(); ++k) {
    pairs += chunks.pairs_of(k);
    if ((pairs >= budget || k + 1 - starts.back() >= kMaxRoundChunks) && k + 1 < chunks.size()) {
      starts.push_back(k + 1);
      pairs = 0;
    }
  }
  starts.push_back(chunks.size());
  return starts;
}

// The options that decide the pairs: a --resume must give the same.
std::vector<std::string> options_lines(const ProbConfig& cfg) {
  std::vector<std::string> o;
  o.push_back(fmt::format("--dedupe {}", cfg.dedupe));
  for (const auto& c : cfg.compare) o.push_back("--compare " + c);
  for (const auto& b : cfg.block) o.push_back("--block " + b);
  for (const auto& b : cfg.train_block) o.push_back("--train-block " + b);
  for (const auto& [k, v] : cfg.column_map) o.push_back("--map " + k + "=" + v);
  o.push_back("--date-format " + cfg.date_format);
  o.push_back(fmt::format("--trim-fields {}", cfg.trim_fields));
  o.push_back(fmt::format("--skip-bad-rows {}", cfg.skip_bad_rows));
  o.push_back(fmt::format("--min-probability {}", cfg.min_probability));
  o.push_back(fmt::format("--u-sample-pairs {}", cfg.u_sample_pairs));
  o.push_back(fmt::format("--seed {}", cfg.seed));
  o.push_back(fmt::format("--chunk-pairs {}", cfg.chunk_pairs));
  return o;
}

// The first option that differs between `have` (the file's) and `want`, as
// "--name differs: 'X' in the file, 'Y' now"; empty when none does.
std::string first_difference(const std::vector<std::string>& have,
                             const std::vector<std::string>& want) {
  auto name = [](const std::string& line) { return line.substr(0, line.find(' ')); };
  auto value = [](const std::vector<std::string>& lines, size_t i) {
    if (i >= lines.size()) return std::string("none");
    const size_t space = lines[i].find(' ');
    return fmt::format("'{}'", space == std::string::npos ? std::string_view()
                                                          : std::string_view(lines[i]).substr(space + 1));
  };
  for (size_t i = 0; i < std::max(have.size(), want.size()); ++i) {
    if (i < have.size() && i < want.size() && have[i] == want[i]) continue;
    return fmt::format("{} differs: {} in the file, {} now",
                       name(i < have.size() ? have[i] : want[i]), value(have, i), value(want, i));
  }
  return {};
}

std::vector<std::string> keys_of(const std::vector<std::pair<std::string, uint64_t>>& table) {
  std::vector<std::string> out;
  out.reserve(table.size());
  for (const auto& kv : table) out.push_back(kv.first);
  return out;
}

// "pair file 'P' is corrupt: <what>; ..." as io/pair_file's own.
InputError corrupt(const std::string& path, const std::string& what) {
  return InputError("pair file '" + path + "' is corrupt: " + what +
                    "; the file cannot be used: rerun without --resume");
}

[[noreturn]] void not_prob(const std::string& path, const io::PairFileMeta& m, const char* todo) {
  throw InputError(fmt::format(
      "{} holds the pairs of algorithm {}, not of the probabilistic mode (-a prob); {}", path,
      m.algorithm, todo));
}

// What reduce and --resume need of a table: the output's columns of each
// record (id, names, birthdate), one key per row.
void records_table(const RawTable& t, std::vector<std::string>& keys,
                   std::vector<uint64_t>& counts) {
  keys.reserve(t.size());
  counts.reserve(t.size());
  ByteWriter w;
  for (size_t row = 0; row < t.size(); ++row) {
    w.clear();
    for (Field f : {Field::kId, Field::kFirst, Field::kMiddle, Field::kLast}) {
      const std::string_view v = t.get(row, f);
      w.varint(v.size()).bytes(v);
    }
    keys.emplace_back(w.view());
    counts.push_back(static_cast<uint32_t>(t.birthdate[row]));
  }
}

RawTable read_records(const io::PairFileReader& file, const char* name, const std::string& path) {
  RawTable t;
  t.source = path;
  uint64_t row = 0;
  for (const auto& [key, bd] : file.read_key_counts(name)) {
    ++row;
    ByteReader r(key, path + ": /keys/" + name);
    std::array<std::string_view, kTextFieldCount> v{};
    for (Field f : {Field::kId, Field::kFirst, Field::kMiddle, Field::kLast})
      v[static_cast<size_t>(f)] = r.bytes(r.varint());
    t.push(v, static_cast<int32_t>(static_cast<uint32_t>(bd)), row);
  }
  return t;
}

// A table's content (every field, extra column and birthdate): --resume
// refuses changed inputs, whether read from a file or a database.
uint64_t table_checksum(const RawTable& t) {
  ByteWriter w;
  uint64_t h = 0x70726f62u;  // "prob"
  for (size_t row = 0; row < t.size(); ++row) {
    for (size_t f = 0; f < kTextFieldCount; ++f) {
      const std::string_view v = t.get(row, static_cast<Field>(f));
      w.varint(v.size()).bytes(v);
    }
    for (size_t k = 0; k < t.extra_names.size(); ++k) {
      const std::string_view v = t.get_extra(row, k);
      w.varint(v.size()).bytes(v);
    }
    w.u32(static_cast<uint32_t>(t.birthdate[row]));
    if (w.size() >= (size_t{1} << 20)) {
      h = stable_hash(w.view(), h);
      w.clear();
    }
  }
  return stable_hash(w.view(), h);
}

io::PairFileMeta prob_meta(const ProbConfig& cfg, const ProbTables& t,
                           const prob::ScoringChunks& chunks, const std::string& model_json,
                           int ranks) {
  io::PairFileMeta m;
  m.program_version = NM_VERSION;
  m.algorithm = io::kProbAlgorithm;
  m.threshold = m.min_confidence = static_cast<float>(cfg.min_probability);
  m.dedupe = cfg.dedupe;
  m.ranks = static_cast<uint32_t>(ranks);
  m.left_path = cfg.left;
  m.right_path = cfg.dedupe ? cfg.left : cfg.right;
  const RawTable& right = cfg.dedupe ? t.left : t.right;
  m.left_rows = t.left.size();
  m.right_rows = right.size();
  m.left_checksum = table_checksum(t.left);
  m.right_checksum = cfg.dedupe ? m.left_checksum : table_checksum(right);
  // The plan: every chunk's rule and pairs, and the model that scores them.
  ByteWriter w;
  w.u64(chunks.size());
  for (uint64_t k = 0; k < chunks.size(); ++k) w.u32(chunks.rule_of(k)).u64(chunks.pairs_of(k));
  m.plan_hash = stable_hash(model_json, stable_hash(w.view(), 0x706c616eu));
  return m;
}

std::vector<io::TileRow> chunk_tiles(const prob::ScoringChunks& chunks, int ranks) {
  std::vector<io::TileRow> tiles(chunks.size());
  for (uint64_t k = 0; k < chunks.size(); ++k)
    tiles[k] = io::TileRow{chunks.rule_of(k), 0, 0, 0, 0, chunks.pairs_of(k),
                           static_cast<uint32_t>(k % static_cast<uint64_t>(ranks))};
  return tiles;
}

// Creates the file with the model, the options and both tables' records.
io::PairFileWriter create_file(const ProbConfig& cfg, const ProbTables& t,
                               const prob::ScoringChunks& chunks, const std::string& model_json,
                               const io::PairFileMeta& meta, ProbRanks& ranks) {
  io::PairFileWriter w =
      io::PairFileWriter::create(ranks.comm(), cfg.pairs, meta, chunk_tiles(chunks, ranks.ranks()));
  const bool root = ranks.root();
  std::vector<std::string> keys;
  std::vector<uint64_t> counts;
  auto table = [&](const char* name, auto fill) {
    keys.clear();
    counts.clear();
    if (root) fill();
    w.write_key_counts(name, keys, counts, 0);
  };
  table(kModelTable, [&] {
    keys.push_back(model_json);
    counts.push_back(0);
  });
  table(kOptionsTable, [&] {
    keys = options_lines(cfg);
    counts.assign(keys.size(), 0);
  });
  table(kLeftTable, [&] { records_table(t.left, keys, counts); });
  table(kRightTable, [&] {
    if (!cfg.dedupe) records_table(t.right, keys, counts);
  });
  return w;
}

// One append: the kept pairs of chunks ks (out[i] of chunk ks[i]) as rows
// sorted by (left, right), then ks marked done.
void append_chunks(io::PairFileWriter& w, const std::vector<uint64_t>& ks,
                   std::vector<std::vector<prob::ScoredLink>>& kept) {
  // Payload and rows in (left, right) order.
  std::vector<std::pair<const prob::ScoredLink*, uint32_t>> order;
  for (size_t i = 0; i < ks.size(); ++i)
    for (const prob::ScoredLink& l : kept[i]) order.emplace_back(&l, static_cast<uint32_t>(ks[i]));
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first->left != b.first->left ? a.first->left < b.first->left
                                          : a.first->right < b.first->right;
  });
  std::vector<io::PairRecord> rows;
  rows.reserve(order.size());
  ByteWriter payload;
  std::vector<uint64_t> offsets;
  for (const auto& [l, tile] : order) {
    io::PairRecord r{};
    r.left = l->left;
    r.right = l->right;
    r.tile = tile;
    r.confidence = static_cast<float>(prob::probability_of(l->weight));
    rows.push_back(r);
    offsets.push_back(payload.size());
    payload.u64(static_cast<uint64_t>(l->weight)).u64(l->pattern);
  }
  if (!rows.empty()) offsets.push_back(payload.size());
  std::vector<uint32_t> finished(ks.begin(), ks.end());
  w.append_piece(rows, payload.view(), offsets, finished);
}

}  // namespace

bool is_prob_pair_file(const io::PairFileMeta& meta) {
  return meta.algorithm == io::kProbAlgorithm;
}

ProbResumeState read_prob_resume(const ProbConfig& cfg, const std::optional<prob::Model>& given) {
  const io::PairFileReader file(cfg.pairs);
  if (!is_prob_pair_file(file.meta()))
    not_prob(cfg.pairs, file.meta(), "start again without --resume");
  const std::string what = first_difference(keys_of(file.read_key_counts(kOptionsTable)),
                                            options_lines(cfg));
  if (!what.empty())
    throw InputError("--resume: " + cfg.pairs + " was written by a different run (" + what +
                     "); start again without --resume");
  const auto stored = file.read_key_counts(kModelTable);
  if (stored.size() != 1)
    throw corrupt(cfg.pairs, "/keys/prob_model holds no model");
  ProbResumeState s;
  s.model = prob::model_from_json(stored.front().first, cfg.pairs + ": /keys/prob_model");
  if (given && prob::model_to_json(*given) != prob::model_to_json(s.model))
    throw InputError("--resume: " + cfg.pairs + " was written by a different run (the --model " +
                     cfg.model_in + " differs from the model in the file); start again without "
                     "--resume");
  s.complete = file.complete();
  return s;
}

void score_into_pair_file(const ProbConfig& cfg, const ProbTables& tables, const prob::LinkData& d,
                          const prob::Model& model, const prob::Scoring& scoring,
                          ProbRanks& ranks, bool resume_complete, prob::LinkFigures& figures,
                          Progress& progress) {
  const prob::ScoringChunks chunks(d, cfg.chunk_pairs, cfg.threads);
  const std::string model_json = prob::model_to_json(model);
  const io::PairFileMeta meta = prob_meta(cfg, tables, chunks, model_json, ranks.ranks());
  if (cfg.resume) check_resume_meta(io::PairFileReader(cfg.pairs).meta(), meta, cfg.pairs);
  ranks.agree_no_failure();
  std::optional<io::PairFileWriter> writer;
  std::vector<uint32_t> done(chunks.size(), 1);
  if (!resume_complete) {
    writer.emplace(cfg.resume ? io::PairFileWriter::open_for_resume(ranks.comm(), cfg.pairs)
                              : create_file(cfg, tables, chunks, model_json, meta, ranks));
    done = writer->done_marks();
  }
  if (cfg.resume)
    log(LogLevel::kInfo,
        fmt::format("--resume: {} of {} chunks of pairs were done by the run before",
                    chunks.size() - static_cast<uint64_t>(std::count(done.begin(), done.end(), 0u)),
                    chunks.size()));
  const prob::RankShare share = ranks.share();
  const std::vector<uint64_t> rounds =
      rounds_of(chunks, std::max<uint64_t>(1, cfg.chunk_pairs) * static_cast<uint64_t>(ranks.ranks()) *
                            std::max(1u, cfg.threads) * kChunksPerThread);
  figures = {};
  uint64_t appended = 0, scored = 0;
  for (size_t i = 0; i + 1 < rounds.size(); ++i) {
    const uint64_t first = rounds[i], end = rounds[i + 1];
    std::vector<uint64_t> todo, earlier;
    bool any_todo = false;  // on any rank: then every rank appends
    for (uint64_t k = first; k < end; ++k) {
      any_todo = any_todo || done[k] == 0;
      if (share.owns(k)) (done[k] == 0 ? todo : earlier).push_back(k);
    }
    chunks.count(d, earlier, cfg.threads, figures.pairs_per_rule);
    if (!any_todo) continue;
    std::vector<std::vector<prob::ScoredLink>> kept = chunks.score(
        d, scoring, todo, cfg.threads, figures.pairs_per_rule,
        [&](uint64_t n) { progress.update("link", scored + n, 0, "pairs"); });
    for (uint64_t k : todo) scored += chunks.pairs_of(k);
    ranks.agree_no_failure();
    append_chunks(*writer, todo, kept);
    maybe_fault(ranks.rank(), ++appended);
  }
  progress.finish();
  figures.pairs_per_rule.resize(d.blocking.rules.size(), 0);
  for (uint64_t n : figures.pairs_per_rule) figures.candidate_pairs += n;
  if (writer) {
    writer->mark_complete();
    writer.reset();
  }
}

std::vector<prob::ScoredLink> read_prob_links(const io::PairFileReader& file,
                                              const std::string& path) {
  const std::vector<uint32_t> done = file.done_marks();
  const uint64_t left_rows = file.meta().left_rows, right_rows = file.meta().right_rows;
  std::vector<prob::ScoredLink> links;
  std::vector<io::PairRecord> rows;
  std::string payload;
  for (const io::PieceRecord& piece : file.pieces()) {
    if (piece.count == 0) continue;
    const auto run = file_piece_run(file, piece, done, 65536);
    while (run->next_batch(rows, payload)) {
      for (const io::PairRecord& r : rows) {
        if (r.payload_len != kPayloadBytes || r.left >= left_rows || r.right >= right_rows)
          throw corrupt(path, fmt::format("pair ({}, {}) in rows from {} is not a "
                                          "probabilistic-mode pair",
                                          r.left, r.right, piece.first));
        ByteReader br(std::string_view(payload).substr(r.payload_offset, r.payload_len),
                      "pair payload");
        prob::ScoredLink l{static_cast<uint32_t>(r.left), static_cast<uint32_t>(r.right), 0, 0};
        l.weight = static_cast<int64_t>(br.u64());
        l.pattern = br.u64();
        links.push_back(l);
      }
    }
  }
  prob::sort_links(links);
  return links;
}

uint64_t reduce_prob_pair_file(const io::PairFileReader& file, const ProbReduceRequest& req) {
  const io::PairFileMeta& m = file.meta();
  if (!is_prob_pair_file(m)) not_prob(req.pairs_path, m, "reduce it without -a prob");
  require_complete(file, req.pairs_path);
  if (req.one_to_one && m.dedupe)
    throw UsageError("--one-to-one is for linking two tables; " + req.pairs_path +
                     " is of a --dedupe run");
  const auto stored = file.read_key_counts(kModelTable);
  if (stored.size() != 1)
    throw corrupt(req.pairs_path, "/keys/prob_model holds no model");
  const prob::Model model =
      prob::model_from_json(stored.front().first, req.pairs_path + ": /keys/prob_model");
  const RawTable left = read_records(file, kLeftTable, req.pairs_path);
  const RawTable right = m.dedupe ? RawTable{} : read_records(file, kRightTable, req.pairs_path);
  if (left.size() != m.left_rows || (!m.dedupe && right.size() != m.right_rows))
    throw corrupt(req.pairs_path, "the records in /keys do not match left_rows and right_rows");
  std::vector<prob::ScoredLink> links = read_prob_links(file, req.pairs_path);
  if (req.one_to_one) keep_one_to_one(links);
  ProbConfig cfg;
  cfg.dedupe = m.dedupe;
  ProbPaths paths;
  paths.out = req.out;
  paths.clusters = req.clusters;
  prob::LinkData d;
  d.dedupe = m.dedupe;
  io::CommitGroup outputs;
  const ProbWritten w =
      write_prob_outputs(cfg, paths, model, d, left, m.dedupe ? left : right, links, outputs);
  outputs.commit();
  return w.pairs;
}

}  // namespace nm::jobs
