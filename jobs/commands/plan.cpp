// `name_matcher plan`: predict the distributed plan without matching (see plan.hpp).
#include "jobs/commands/plan.hpp"

#include <absl/container/flat_hash_map.h>
#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>

#include "io/csv_reader.hpp"
#include "io/header.hpp"
#include "jobs/cli.hpp"
#include "jobs/prob/prob_run.hpp"
#include "partition/blocks.hpp"
#include "src/errors.hpp"
#include "src/match/table.hpp"

namespace nm::jobs {
namespace {

constexpr uint32_t kMaxRanks = 100000;


std::string human_bytes(uint64_t b) {
  const double v = static_cast<double>(b);
  if (v >= double(uint64_t{1} << 40))
    return fmt::format("{:.2f} TiB", v / double(uint64_t{1} << 40));
  if (v >= double(uint64_t{1} << 30))
    return fmt::format("{:.2f} GiB", v / double(uint64_t{1} << 30));
  return fmt::format("{:.1f} MiB", v / double(uint64_t{1} << 20));
}

int32_t key_day(uint64_t key) {
  return static_cast<int32_t>(static_cast<int64_t>(key >> 32) - (int64_t{1} << 31));
}

struct Summary {
  double mean_pairs = 0;
  uint64_t max_pairs = 0, min_pairs = 0;
  uint64_t max_records = 0;
  double mean_records = 0;
  uint64_t max_memory = 0;
  double mean_memory = 0;
  std::vector<uint64_t> memory;  // per rank
  size_t largest_block = 0;      // index into plan.blocks (valid when there are blocks)
  uint64_t largest_block_tiles = 0;
};

Summary summarize(const Plan& plan, const BirthdateCounts& left, const BirthdateCounts* right) {
  Summary s;
  const uint32_t ranks = plan.options.ranks;
  s.mean_pairs = static_cast<double>(plan.total_cost) / ranks;
  s.max_pairs = *std::max_element(plan.rank_cost.begin(), plan.rank_cost.end());
  s.min_pairs = *std::min_element(plan.rank_cost.begin(), plan.rank_cost.end());
  const double lb = left.bytes_per_record(), rb = right ? right->bytes_per_record() : 0.0;
  s.memory.resize(ranks);
  double records_sum = 0, memory_sum = 0;
  for (uint32_t r = 0; r < ranks; ++r) {
    // Dedupe: one table, rank_left_records == rank_right_records are the same records.
    const uint64_t rr = right ? plan.rank_right_records[r] : 0;
    const uint64_t records = plan.rank_left_records[r] + rr;
    s.max_records = std::max(s.max_records, records);
    records_sum += static_cast<double>(records);
    s.memory[r] = rank_memory_bytes(plan.rank_left_records[r], lb, rr, rb);
    s.max_memory = std::max(s.max_memory, s.memory[r]);
    memory_sum += static_cast<double>(s.memory[r]);
  }
  s.mean_records = records_sum / ranks;
  s.mean_memory = memory_sum / ranks;
  // The first (earliest) block of the largest cost.
  for (size_t b = plan.blocks.size(); b-- > 0;) {
    const BlockSize& x = plan.blocks[b];
    const uint64_t cost = plan.options.dedupe ? x.left * (x.left - 1) / 2 : x.left * x.right;
    if (cost == plan.largest_block) s.largest_block = b;
  }
  for (const Tile& t : plan.tiles) s.largest_block_tiles += t.block == s.largest_block;
  return s;
}

nlohmann::ordered_json side_json(const BirthdateCounts& c) {
  return {{"path", c.path},
          {"rows", c.rows},
          {"with_birthdate", c.with_birthdate},
          {"no_birthdate", c.missing + c.invalid},
          {"invalid_birthdate", c.invalid},
          {"malformed_rows", c.malformed},
          {"file_bytes", c.file_bytes},
          {"bytes_per_record", c.bytes_per_record()}};
}

void print_json(const Plan& plan, const Summary& s, const BirthdateCounts& left,
                const BirthdateCounts* right, double plan_s, double read_s, bool per_rank) {
  nlohmann::ordered_json j;
  j["ranks"] = plan.options.ranks;
  j["dedupe"] = plan.options.dedupe;
  j["tiles_per_rank"] = plan.options.tiles_per_rank;
  j["left"] = side_json(left);
  if (right) j["right"] = side_json(*right);
  j["blocks"] = plan.blocks.size();
  j["tiles"] = plan.tiles.size();
  j["tile_cap"] = plan.tile_cap;
  j["candidate_pairs"] = plan.total_cost;
  j["rank_pairs"] = {{"mean", s.mean_pairs}, {"max", s.max_pairs}, {"min", s.min_pairs}};
  j["imbalance"] = plan.imbalance;
  j["largest_tile_pairs"] = plan.largest_tile;
  if (plan.blocks.empty()) {
    j["largest_block"] = nullptr;
  } else {
    const BlockSize& b = plan.blocks[s.largest_block];
    j["largest_block"] = {{"birthdate", iso_date(key_day(b.key))},
                          {"left", b.left},
                          {"right", b.right},
                          {"pairs", plan.largest_block},
                          {"tiles", s.largest_block_tiles}};
  }
  j["rank_records"] = {{"max", s.max_records}, {"mean", s.mean_records}};
  j["rank_memory_bytes"] = {{"max", s.max_memory}, {"mean", s.mean_memory}};
  j["plan_seconds"] = plan_s;
  j["read_seconds"] = read_s;
  j["plan_hash"] = fmt::format("{:016x}", plan_hash(plan));
  if (per_rank) {
    j["per_rank"] = {{"pairs", plan.rank_cost},
                     {"left_records", plan.rank_left_records},
                     {"right_records", plan.rank_right_records},
                     {"memory_bytes", s.memory}};
  }
  std::cout << j.dump(2) << "\n";
}

std::string side_text(const char* name, const BirthdateCounts& c) {
  return fmt::format(
      "{:<22} {}: {} rows, {} with a birthdate, {} without (cannot match; {} of them invalid), "
      "{} malformed, {:.1f} bytes/record\n",
      name, c.path, grouped(c.rows), grouped(c.with_birthdate), grouped(c.missing + c.invalid),
      grouped(c.invalid), grouped(c.malformed), c.bytes_per_record());
}

void print_text(const Plan& plan, const Summary& s, const BirthdateCounts& left,
                const BirthdateCounts* right, double plan_s, double read_s, bool per_rank) {
  std::string out =
      fmt::format("plan for {} ranks, {} tiles per rank{}\n", grouped(plan.options.ranks),
                  plan.options.tiles_per_rank, right ? "" : ", dedupe");
  out += side_text(right ? "left" : "table", left);
  if (right) out += side_text("right", *right);
  out += fmt::format("{:<22} {} (birthdates with pairs)\n", "blocks", grouped(plan.blocks.size()));
  out += fmt::format("{:<22} {} (cap {} pairs)\n", "tiles", grouped(plan.tiles.size()),
                     grouped(plan.tile_cap));
  out += fmt::format("{:<22} {}\n", "candidate pairs", grouped(plan.total_cost));
  out += fmt::format("{:<22} mean {}  max {}  min {}\n", "pairs per rank",
                     grouped(static_cast<uint64_t>(s.mean_pairs + 0.5)), grouped(s.max_pairs),
                     grouped(s.min_pairs));
  out += fmt::format("{:<22} {:.4f} (max / mean)\n", "imbalance", plan.imbalance);
  out += fmt::format("{:<22} {} pairs\n", "largest tile", grouped(plan.largest_tile));
  if (plan.blocks.empty()) {
    out += fmt::format("{:<22} none\n", "largest block");
  } else {
    const BlockSize& b = plan.blocks[s.largest_block];
    out += fmt::format("{:<22} {}: {} x {} records, {} pairs, cut into {} tiles\n", "largest block",
                       iso_date(key_day(b.key)), grouped(b.left), grouped(b.right),
                       grouped(plan.largest_block), grouped(s.largest_block_tiles));
  }
  out += fmt::format("{:<22} max {}  mean {}\n", "records per rank", grouped(s.max_records),
                     grouped(static_cast<uint64_t>(s.mean_records + 0.5)));
  out += fmt::format("{:<22} max {}  mean {} (estimate, see --help)\n", "memory per rank",
                     human_bytes(s.max_memory),
                     human_bytes(static_cast<uint64_t>(s.mean_memory + 0.5)));
  out += fmt::format("{:<22} {:.3f} s (reading the birthdates: {:.2f} s)\n", "make_plan", plan_s,
                     read_s);
  out += fmt::format("{:<22} {:016x}\n", "plan hash", plan_hash(plan));
  if (per_rank) {
    out += "rank,pairs,left_records,right_records,memory_bytes\n";
    for (uint32_t r = 0; r < plan.options.ranks; ++r)
      out += fmt::format("{},{},{},{},{}\n", r, plan.rank_cost[r], plan.rank_left_records[r],
                         plan.rank_right_records[r], s.memory[r]);
  }
  std::cout << out;
}

}  // namespace

uint64_t rank_memory_bytes(uint64_t left_records, double left_bytes_per_record,
                           uint64_t right_records, double right_bytes_per_record) {
  const double text = static_cast<double>(left_records) * left_bytes_per_record +
                      static_cast<double>(right_records) * right_bytes_per_record;
  return static_cast<uint64_t>(text * kPreparedFactor + 0.5) + kFixedBufferBytes;
}

BirthdateCounts count_birthdates(const std::string& path, const BirthdateReadOptions& options) {
  io::CsvOptions copt;
  copt.trim_fields = options.trim_fields;
  io::CsvReader reader(path, copt);
  io::CsvRecord rec;
  BirthdateCounts c;
  c.path = path;
  std::error_code ec;
  c.file_bytes = std::filesystem::file_size(path, ec);
  if (ec) c.file_bytes = 0;
  if (!reader.next(rec)) throw InputError(path + ": empty file (a header row is required)");
  if (!rec.error.empty())
    throw InputError(fmt::format("{}:{}: header: {}", path, rec.line, rec.error));
  const size_t fields = rec.fields.size();
  // The same column as run reads (io/header.hpp): a second column of that name is an error.
  const size_t col = io::required_column(path, rec.fields, options.column, "birthdate");
  // Days 1800-01-01 .. 2199-12-31 counted in a plain array (one probe per
  // row matters at 100M rows), any other date in a hash map.
  constexpr int32_t kFirstDay = -62091, kLastDay = 84005;
  std::vector<uint64_t> common(static_cast<size_t>(kLastDay - kFirstDay + 1), 0);
  absl::flat_hash_map<int32_t, uint64_t> other;
  std::string why;
  while (reader.next(rec)) {
    ++c.rows;
    if (!rec.error.empty() || rec.fields.size() != fields) {
      ++c.malformed;
      continue;
    }
    const std::string_view date = trim_date_blanks(rec.fields[col]);
    if (date.empty()) {
      ++c.missing;
      continue;
    }
    const auto day = options.date_format.parse(date, why);
    if (!day) {
      ++c.invalid;
      continue;
    }
    ++c.with_birthdate;
    if (*day >= kFirstDay && *day <= kLastDay)
      ++common[static_cast<size_t>(*day - kFirstDay)];
    else
      ++other[*day];
  }
  c.days.assign(other.begin(), other.end());
  for (size_t i = 0; i < common.size(); ++i)
    if (common[i] > 0) c.days.emplace_back(static_cast<int32_t>(i) + kFirstDay, common[i]);
  std::sort(c.days.begin(), c.days.end());
  return c;
}

std::vector<BlockSize> block_sizes(const BirthdateCounts& left, const BirthdateCounts* right) {
  std::vector<BlockSize> out;
  if (right == nullptr) {
    for (const auto& [day, n] : left.days) out.push_back({birthdate_key(day), n, n});
    return out;
  }
  // Both lists are sorted by day: merge them.
  size_t i = 0, j = 0;
  while (i < left.days.size() || j < right->days.size()) {
    const bool take_l = j == right->days.size() ||
                        (i < left.days.size() && left.days[i].first <= right->days[j].first);
    const bool take_r = i == left.days.size() ||
                        (j < right->days.size() && right->days[j].first <= left.days[i].first);
    const int32_t day = take_l ? left.days[i].first : right->days[j].first;
    out.push_back({birthdate_key(day), take_l ? left.days[i++].second : 0,
                   take_r ? right->days[j++].second : 0});
  }
  return out;
}

int plan_main(const std::vector<std::string>& args) {
  if (asks_for_prob(args)) return prob_plan_main(args);
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: name_matcher plan --left A.csv (--right B.csv | --dedupe) --ranks R [options]\n"
      "Predicts the distributed plan for R ranks (1..100000) without matching: reads only the\n"
      "birthdate column of each file, builds the birthdate blocks, cuts them into tiles and\n"
      "assigns the tiles to ranks exactly as a run on R ranks would, and prints records per\n"
      "side, blocks, tiles, candidate pairs, pairs per rank (mean, max, imbalance = max/mean),\n"
      "the largest tile and block, the records each rank receives and how long make_plan took.\n"
      "A missing or invalid birthdate is counted (\"without a birthdate\": such a row cannot\n"
      "match), never an error.\n"
      "Memory per rank is an estimate: records the rank receives x (file bytes / rows) x 4\n"
      "(the prepared form) + 256 MiB (fixed buffers), summed over both files.\n"
      "plan --algorithm prob: the probabilistic mode's pairs per blocking rule (its --help).\n"
      "Options");
  std::string left, right, ranks_text, tpr_text = "32", date_format = "%Y-%m-%d";
  std::vector<std::string> maps;
  bool dedupe = false, trim_fields = false, json = false, per_rank = false;
  desc.add_options()("help,h", "show this help")("left", po::value(&left),
                                                 "table 1 (CSV with a header row)")(
      "right", po::value(&right), "table 2 (CSV); not with --dedupe")(
      "ranks", po::value(&ranks_text), "number of ranks to plan for, 1..100000 (required)")(
      "dedupe", po::bool_switch(&dedupe), "plan --left against itself, each unordered pair once")(
      "map", po::value(&maps)->composing(),
      "FIELD=COLUMN as for `run` (repeatable); only birthdate=COLUMN is read here")(
      "date-format", po::value(&date_format),
      "birthdate format: %Y-%m-%d (default), %Y%m%d, %m/%d/%Y, %d/%m/%Y, %Y/%m/%d")(
      "trim-fields", po::bool_switch(&trim_fields),
      "strip spaces around fields (files separated by ', ' like FEBRL)")(
      "tiles-per-rank", po::value(&tpr_text),
      "target tiles per rank: tile cap = candidate pairs / (ranks x N), kept within\n"
      "[65,536, 67,108,864] pairs (default 32)")("json", po::bool_switch(&json),
                                                 "print one JSON object instead of text")(
      "per-rank", po::bool_switch(&per_rank),
      "also list every rank's pairs, records and memory (JSON: the per_rank arrays)");
  return run_guarded("plan", [&]() -> int {
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;
    if (left.empty()) throw InputError("plan: --left is required (see plan --help)");
    if (dedupe && !right.empty()) throw InputError("plan: --right cannot be used with --dedupe");
    if (!dedupe && right.empty())
      throw InputError("plan: --right is required unless --dedupe is given");
    if (ranks_text.empty()) throw InputError("plan: --ranks is required (1 to 100000)");
    PlanOptions popt;
    popt.ranks = parse_number_option("plan", "ranks", ranks_text, uint32_t{1}, kMaxRanks);
    popt.tiles_per_rank =
        parse_number_option("plan", "tiles-per-rank", tpr_text, uint32_t{1}, kMaxTilesPerRank);
    popt.dedupe = dedupe;

    BirthdateReadOptions ro;
    ro.date_format = DateFormat(date_format);
    ro.trim_fields = trim_fields;
    for (const auto& m : maps) {
      const auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        throw InputError("plan: --map expects FIELD=COLUMN (got '" + m + "')");
      const std::string field = m.substr(0, eq);
      if (!io::is_field_name(field)) throw InputError("plan: --map " + m + ": unknown field '" + field + "'");
      if (field == "birthdate") ro.column = m.substr(eq + 1);
    }

    const auto t0 = std::chrono::steady_clock::now();
    BirthdateCounts lc, rc;
    std::exception_ptr right_error;
    {
      // The two files are read at the same time.
      std::thread rt;
      if (!dedupe)
        rt = std::thread([&] {
          try {
            rc = count_birthdates(right, ro);
          } catch (...) {
            right_error = std::current_exception();
          }
        });
      try {
        lc = count_birthdates(left, ro);
      } catch (...) {
        if (rt.joinable()) rt.join();
        throw;
      }
      if (rt.joinable()) rt.join();
    }
    if (right_error) std::rethrow_exception(right_error);
    const BirthdateCounts* rp = dedupe ? nullptr : &rc;
    const auto t1 = std::chrono::steady_clock::now();
    const Plan plan = make_plan(block_sizes(lc, rp), popt);
    const auto t2 = std::chrono::steady_clock::now();
    const double read_s = std::chrono::duration<double>(t1 - t0).count();
    const double plan_s = std::chrono::duration<double>(t2 - t1).count();
    const Summary s = summarize(plan, lc, rp);
    if (json)
      print_json(plan, s, lc, rp, plan_s, read_s, per_rank);
    else
      print_text(plan, s, lc, rp, plan_s, read_s, per_rank);
    return 0;
  });
}

}  // namespace nm::jobs
