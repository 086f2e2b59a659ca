// What the probabilistic mode makes of the pairs it writes: the clusters
// (connected components) of the linked records, and the one-to-one subset for
// linking two tables. Pure functions of the pairs: the same pairs in any order
// give the same result.
#pragma once
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace nm::prob {

// A written pair: a row of the left and of the right table (with dedupe both
// are rows of the one table, left < right) and its fixed-point match weight
// (model.hpp: higher = more likely a match).
struct LinkedPair {
  uint32_t left;
  uint32_t right;
  int64_t weight;
};

// A record: table 0 = left, 1 = right (with dedupe always 0), and its row.
// Ordered by (table, row).
struct ClusterId {
  uint8_t table;
  uint32_t row;
  friend auto operator<=>(const ClusterId&, const ClusterId&) = default;
};

// Per row, the id of its cluster: the smallest (table, row) of the cluster's
// members. A record in no pair is its own singleton cluster. With dedupe,
// `right` is empty.
struct Clusters {
  std::vector<ClusterId> left, right;
};

// The connected components of `pairs` over left_rows + right_rows records
// (with dedupe, left_rows records of the one table; right_rows is ignored).
// Union-find over rows: memory is one uint32 per record (uint64 past 2^32
// records) besides the result. Throws std::out_of_range for a pair naming a
// row past the table.
Clusters connected_components(size_t left_rows, size_t right_rows, bool dedupe,
                              std::span<const LinkedPair> pairs);

// The number of clusters, singletons included.
uint64_t cluster_count(const Clusters& clusters);

// How many clusters have each size (records per cluster), ascending by size;
// sizes no cluster has are left out. Memory grows with the records in pairs,
// not with the tables.
struct ClusterSizeCount {
  uint64_t size;
  uint64_t clusters;
  friend bool operator==(const ClusterSizeCount&, const ClusterSizeCount&) = default;
};
std::vector<ClusterSizeCount> cluster_sizes(const Clusters& clusters);

// One-to-one linking: the indices (ascending) into `pairs` of the pairs kept
// by a greedy pass, best weight first, ties by (left, right) ascending (then
// by index, for a pair given twice): a pair is kept when neither its left nor
// its right record is in a pair already kept. Left and right are different
// tables (linking, not dedupe).
std::vector<size_t> one_to_one(std::span<const LinkedPair> pairs);

}  // namespace nm::prob
