#include "src/match/prob/clusters.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nm::prob {

namespace {

// Union-find over the records as nodes: left row r is node r, right row r is
// node left_rows + r (with dedupe, every row is a left row). Each union hangs
// the larger root under the smaller, so every parent is at most its child and
// a root is the smallest node of its tree: the smallest (table, row) of the
// cluster, whatever the order of the pairs. Returns each node's root.
template <typename Node>
std::vector<Node> roots(uint64_t nodes, uint64_t left_rows, uint64_t right_rows, bool dedupe,
                        std::span<const LinkedPair> pairs) {
  std::vector<Node> parent(nodes);
  std::iota(parent.begin(), parent.end(), Node{0});
  auto find = [&parent](Node x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];  // path halving: keeps parent <= child
      x = parent[x];
    }
    return x;
  };
  for (const LinkedPair& p : pairs) {
    if (p.left >= left_rows || p.right >= right_rows) {
      throw std::out_of_range("connected_components: pair (" + std::to_string(p.left) + ", " +
                              std::to_string(p.right) + ") names a row past " +
                              std::to_string(left_rows) + " x " + std::to_string(right_rows));
    }
    const Node a = find(static_cast<Node>(p.left));
    const Node b = find(static_cast<Node>(dedupe ? p.right : left_rows + p.right));
    if (a < b) {
      parent[b] = a;
    } else if (b < a) {
      parent[a] = b;
    }
  }
  // Ascending, every smaller node already points at its root and a parent is
  // smaller than its child: one step from the parent reaches the root.
  for (uint64_t i = 0; i < nodes; ++i) parent[i] = parent[parent[i]];
  return parent;
}

template <typename Node>
Clusters to_clusters(const std::vector<Node>& root, uint64_t left_rows, uint64_t right_rows) {
  auto id = [left_rows](uint64_t node) {
    return node < left_rows ? ClusterId{0, static_cast<uint32_t>(node)}
                            : ClusterId{1, static_cast<uint32_t>(node - left_rows)};
  };
  Clusters c;
  c.left.resize(left_rows);
  c.right.resize(right_rows);
  for (uint64_t r = 0; r < left_rows; ++r) c.left[r] = id(root[r]);
  for (uint64_t r = 0; r < right_rows; ++r) c.right[r] = id(root[left_rows + r]);
  return c;
}

template <typename Node>
Clusters components(uint64_t left_rows, uint64_t right_rows, bool dedupe,
                    std::span<const LinkedPair> pairs) {
  const uint64_t nodes = dedupe ? left_rows : left_rows + right_rows;
  const std::vector<Node> root =
      roots<Node>(nodes, left_rows, dedupe ? left_rows : right_rows, dedupe, pairs);
  return to_clusters(root, left_rows, dedupe ? 0 : right_rows);
}

}  // namespace

Clusters connected_components(size_t left_rows, size_t right_rows, bool dedupe,
                              std::span<const LinkedPair> pairs) {
  // Rows are uint32 (LinkedPair); the nodes of both tables together may not be.
  const uint64_t nodes = dedupe ? left_rows : uint64_t{left_rows} + right_rows;
  if (nodes <= std::numeric_limits<uint32_t>::max()) {
    return components<uint32_t>(left_rows, right_rows, dedupe, pairs);
  }
  return components<uint64_t>(left_rows, right_rows, dedupe, pairs);
}

uint64_t cluster_count(const Clusters& clusters) {
  uint64_t n = 0;
  for (size_t r = 0; r < clusters.left.size(); ++r) {
    n += clusters.left[r] == ClusterId{0, static_cast<uint32_t>(r)};
  }
  for (size_t r = 0; r < clusters.right.size(); ++r) {
    n += clusters.right[r] == ClusterId{1, static_cast<uint32_t>(r)};
  }
  return n;
}

std::vector<ClusterSizeCount> cluster_sizes(const Clusters& clusters) {
  // Only the clusters with more than one record get an entry (their members
  // other than the id); every other id is a singleton.
  absl::flat_hash_map<uint64_t, uint64_t> others;
  auto key = [](ClusterId id) { return (uint64_t{id.table} << 32) | id.row; };
  for (size_t r = 0; r < clusters.left.size(); ++r) {
    const ClusterId id = clusters.left[r];
    if (id != ClusterId{0, static_cast<uint32_t>(r)}) ++others[key(id)];
  }
  for (size_t r = 0; r < clusters.right.size(); ++r) {
    const ClusterId id = clusters.right[r];
    if (id != ClusterId{1, static_cast<uint32_t>(r)}) ++others[key(id)];
  }
  // Counting does not depend on the hash map's order; the std::map sorts.
  std::map<uint64_t, uint64_t> histogram;
  const uint64_t singletons = cluster_count(clusters) - others.size();
  if (singletons > 0) histogram[1] = singletons;
  for (const auto& [id, n] : others) ++histogram[n + 1];
  std::vector<ClusterSizeCount> out;
  out.reserve(histogram.size());
  for (const auto& [size, n] : histogram) out.push_back({size, n});
  return out;
}

std::vector<size_t> one_to_one(std::span<const LinkedPair> pairs) {
  // A total order (the index last) so the pass does not depend on the sort.
  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [pairs](size_t a, size_t b) {
    const LinkedPair& x = pairs[a];
    const LinkedPair& y = pairs[b];
    if (x.weight != y.weight) return x.weight > y.weight;
    if (x.left != y.left) return x.left < y.left;
    if (x.right != y.right) return x.right < y.right;
    return a < b;
  });
  uint32_t max_left = 0, max_right = 0;
  for (const LinkedPair& p : pairs) {
    max_left = std::max(max_left, p.left);
    max_right = std::max(max_right, p.right);
  }
  std::vector<bool> left_used(pairs.empty() ? 0 : size_t{max_left} + 1);
  std::vector<bool> right_used(pairs.empty() ? 0 : size_t{max_right} + 1);
  std::vector<size_t> kept;
  for (const size_t i : order) {
    const LinkedPair& p = pairs[i];
    if (left_used[p.left] || right_used[p.right]) continue;
    left_used[p.left] = true;
    right_used[p.right] = true;
    kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace nm::prob
