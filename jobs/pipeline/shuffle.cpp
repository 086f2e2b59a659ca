#include "jobs/pipeline/shuffle.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "jobs/pipeline/stages.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "src/byte_codec.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

// Wire form of one record (nm::ByteWriter), padded with zeros to 8 bytes:
// global row, line, birthdate, block, position, the six field lengths, the
// extra columns' lengths, the field bytes, the extra columns' bytes. Every
// rank reads the same extra columns (the run's options), so their number is
// not sent; with none the form is the one from before they existed.
constexpr size_t kFixedBytes = 8 + 8 + 4 + 4 + 8;

constexpr size_t record_header(size_t extras) { return kFixedBytes + 4 * (kTextFieldCount + extras); }

constexpr size_t padded(size_t n) { return (n + 7) & ~size_t{7}; }

size_t record_bytes(const SideRecords& s, size_t r) {
  const size_t nx = s.table.extra_names.size();
  size_t n = record_header(nx);
  for (size_t f = 0; f < kTextFieldCount; ++f) n += s.table.fields[r][f].length;
  for (size_t k = 0; k < nx; ++k) n += s.table.extra[r * nx + k].length;
  return padded(n);
}

// Writes record r's wire form at p (record_bytes(s, r) bytes) through `w`,
// a writer reused from record to record; returns the end.
char* pack_record(char* p, const SideRecords& s, size_t r, ByteWriter& w) {
  w.clear();
  w.u64(s.global[r]).u64(s.table.line[r]).u32(static_cast<uint32_t>(s.table.birthdate[r]));
  w.u32(s.block[r]).u64(s.pos[r]);
  const size_t nx = s.table.extra_names.size();
  for (size_t f = 0; f < kTextFieldCount; ++f) w.u32(s.table.fields[r][f].length);
  for (size_t k = 0; k < nx; ++k) w.u32(s.table.extra[r * nx + k].length);
  for (size_t f = 0; f < kTextFieldCount; ++f) w.bytes(s.table.get(r, static_cast<Field>(f)));
  for (size_t k = 0; k < nx; ++k) w.bytes(s.table.get_extra(r, k));
  static constexpr char kZeros[8] = {};
  w.bytes(std::string_view(kZeros, padded(w.size()) - w.size()));
  std::memcpy(p, w.view().data(), w.size());
  return p + w.size();
}

// The records rank `src` sent: every read is checked against the end of what
// arrived, so a short or corrupt message is an error, never a read past it.
// s.table.extra_names says how many extra columns each record has.
void unpack_records(std::string_view bytes, int src, SideRecords& s) {
  ByteReader in(bytes, "shuffle: records from rank " + std::to_string(src));
  std::array<std::string_view, kTextFieldCount> v;
  std::vector<uint32_t> extra_len(s.table.extra_names.size());
  while (in.remaining() > 0) {
    const size_t start = in.remaining();
    const uint64_t g = in.u64();
    const uint64_t line = in.u64();
    const auto bd = static_cast<int32_t>(in.u32());
    const uint32_t blk = in.u32();
    const uint64_t pos = in.u64();
    uint32_t len[kTextFieldCount];
    for (auto& l : len) l = in.u32();
    for (auto& l : extra_len) l = in.u32();
    for (size_t f = 0; f < kTextFieldCount; ++f) v[f] = in.bytes(len[f]);
    s.table.push(v, bd, line);
    for (const uint32_t l : extra_len) s.table.push_extra(in.bytes(l));
    const size_t used = start - in.remaining();
    in.bytes(padded(used) - used);
    s.global.push_back(g);
    s.block.push_back(blk);
    s.pos.push_back(pos);
  }
}

// How many records a received buffer holds and their text bytes (for the
// reserve before unpacking).
void count_records(std::string_view bytes, int src, size_t extras, size_t& records,
                   size_t& text) {
  ByteReader in(bytes, "shuffle: records from rank " + std::to_string(src));
  while (in.remaining() > 0) {
    in.bytes(kFixedBytes);
    size_t sz = record_header(extras);
    for (size_t f = 0; f < kTextFieldCount + extras; ++f) {
      const uint32_t l = in.u32();
      sz += l;
      text += l;
    }
    in.bytes(padded(sz) - record_header(extras));
    ++records;
  }
}

}  // namespace

SideRecords shuffle(MPI_Comm comm, const SideRecords& from, const std::vector<BlockRouting>& routing,
                    bool left, uint64_t* bytes_sent) {
  const int n = mpi::size(comm);
  // Most blocks are one tile: their records have one destination, looked up
  // in a flat array instead of the block's slice table.
  constexpr uint32_t kMany = UINT32_MAX;
  std::vector<uint32_t> single(routing.size(), kMany);
  for (size_t b = 0; b < routing.size(); ++b) {
    const auto& ranks = left ? routing[b].left_ranks : routing[b].right_ranks;
    if (ranks.size() == 1 && ranks[0].size() == 1) single[b] = ranks[0][0];
  }
  std::vector<uint32_t> many;
  auto dest = [&](size_t r) -> const uint32_t* {
    const uint32_t b = from.block[r];
    if (single[b] != kMany) return &single[b];
    const BlockRouting& br = routing[b];
    const auto& cuts = left ? br.left_cuts : br.right_cuts;
    const auto s = static_cast<size_t>(std::upper_bound(cuts.begin(), cuts.end(), from.pos[r]) -
                                       cuts.begin() - 1);
    many = (left ? br.left_ranks : br.right_ranks)[s];
    return nullptr;
  };
  auto for_each_dest = [&](size_t r, auto&& f) {
    if (const uint32_t* one = dest(r))
      f(*one);
    else
      for (uint32_t d : many) f(d);
  };
  // Pass 1: bytes per destination; pass 2: pack straight into one buffer.
  // Records that stay on this rank are not packed: they are copied into
  // place between the other sources' records (sources in rank order keep the
  // received rows in global row order).
  const auto me = static_cast<uint32_t>(mpi::rank(comm));
  std::vector<uint32_t> stay;
  std::vector<uint64_t> bytes(static_cast<size_t>(n), 0);
  for (size_t r = 0; r < from.table.size(); ++r) {
    if (from.block[r] == kNoBlock) continue;
    const size_t sz = record_bytes(from, r);
    for_each_dest(r, [&](uint32_t d) {
      if (d == me)
        stay.push_back(static_cast<uint32_t>(r));
      else
        bytes[d] += sz;
    });
  }
  std::vector<int> send_counts(static_cast<size_t>(n)), send_displs(static_cast<size_t>(n));
  std::vector<int> recv_counts(static_cast<size_t>(n)), recv_displs(static_cast<size_t>(n));
  std::vector<uint64_t> at(static_cast<size_t>(n));
  uint64_t total = 0;
  for (int d = 0; d < n; ++d) {
    if (total / 8 > INT32_MAX || bytes[static_cast<size_t>(d)] / 8 > INT32_MAX)
      throw InputError("shuffle: more than 16 GiB from one rank; run with more ranks");
    send_displs[static_cast<size_t>(d)] = static_cast<int>(total / 8);
    send_counts[static_cast<size_t>(d)] = static_cast<int>(bytes[static_cast<size_t>(d)] / 8);
    at[static_cast<size_t>(d)] = total;
    total += bytes[static_cast<size_t>(d)];
  }
  std::vector<uint64_t> send(total / 8);
  char* const base = reinterpret_cast<char*>(send.data());
  ByteWriter record;
  for (size_t r = 0; r < from.table.size(); ++r) {
    if (from.block[r] == kNoBlock) continue;
    for_each_dest(r, [&](uint32_t d) {
      if (d != me) at[d] = static_cast<uint64_t>(pack_record(base + at[d], from, r, record) - base);
    });
  }
  *bytes_sent = total;
  mpi::check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm),
             "MPI_Alltoall (shuffle sizes)");
  uint64_t recv_total = 0;
  for (int d = 0; d < n; ++d) {
    recv_displs[static_cast<size_t>(d)] = static_cast<int>(recv_total);
    recv_total += static_cast<uint64_t>(recv_counts[static_cast<size_t>(d)]);
    if (recv_total > INT32_MAX)
      throw InputError("shuffle: more than 16 GiB to one rank; run with more ranks");
  }
  std::vector<uint64_t> recv(recv_total);
  mpi::check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_UINT64_T,
                           recv.data(), recv_counts.data(), recv_displs.data(), MPI_UINT64_T, comm),
             "MPI_Alltoallv (shuffle)");
  std::vector<uint64_t>().swap(send);
  SideRecords got;
  got.table.source = from.table.source;
  got.table.extra_names = from.table.extra_names;
  const size_t nx = from.table.extra_names.size();
  const char* const received = reinterpret_cast<const char*>(recv.data());
  // What rank src sent: a view into `recv`.
  auto from_rank = [&](int src) {
    const auto s = static_cast<size_t>(src);
    return std::string_view(received + static_cast<uint64_t>(recv_displs[s]) * 8,
                            static_cast<uint64_t>(recv_counts[s]) * 8);
  };
  {  // Reserve for everything at once: growing the arena would copy it again and again.
    size_t records = stay.size(), text = 0;
    for (uint32_t r : stay) {
      for (size_t f = 0; f < kTextFieldCount; ++f) text += from.table.fields[r][f].length;
      for (size_t k = 0; k < nx; ++k) text += from.table.extra[r * nx + k].length;
    }
    for (int src = 0; src < n; ++src) count_records(from_rank(src), src, nx, records, text);
    got.table.arena.reserve(text);
    got.table.fields.reserve(records);
    got.table.extra.reserve(records * nx);
    got.table.birthdate.reserve(records);
    got.table.line.reserve(records);
    got.global.reserve(records);
    got.block.reserve(records);
    got.pos.reserve(records);
  }
  for (int src = 0; src < n; ++src) {
    unpack_records(from_rank(src), src, got);
    if (static_cast<uint32_t>(src) == me) {
      for (uint32_t r : stay) {
        std::array<std::string_view, kTextFieldCount> v;
        for (size_t f = 0; f < kTextFieldCount; ++f)
          v[f] = from.table.get(r, static_cast<Field>(f));
        got.table.push(v, from.table.birthdate[r], from.table.line[r]);
        for (size_t k = 0; k < nx; ++k) got.table.push_extra(from.table.get_extra(r, k));
        got.global.push_back(from.global[r]);
        got.block.push_back(from.block[r]);
        got.pos.push_back(from.pos[r]);
      }
    }
  }
  return got;
}

ScoringRecords shuffle_records(RunContext& run, LoadedTables& loaded, const Plan& plan) {
  const Stopwatch shuffle_time;
  const std::vector<BlockRouting> routing = make_routing(plan);
  ScoringRecords records;
  if (run.ranks == 1) {
    records.left = std::move(loaded.left);
    if (run.dedupe)
      records.right_is_left = true;
    else
      records.right = std::move(loaded.right);
  } else {
    stage(run.comm, [&] {
      uint64_t sent = 0;
      records.left = shuffle(run.comm, loaded.left, routing, true, &sent);
      run.stats.bytes_shuffled += sent;
      records.right = shuffle(run.comm, loaded.right_side(), routing, false, &sent);
      run.stats.bytes_shuffled += sent;
    });
  }
  run.stats.left_received = records.left.table.size();
  run.stats.right_received = records.right_side().table.size();
  run.stats.shuffle_s = shuffle_time.seconds();
  run.result.shuffle_s = run.stats.shuffle_s;
  // The loaded slices are no longer needed (their records were sent on).
  loaded.left = SideRecords{};
  loaded.right = SideRecords{};
  return records;
}

}  // namespace nm::jobs
