// The double buffering between the CPU's listing of candidate pairs and the
// device (jobs/prob/batch_overlap.hpp): batches are consumed in the order
// pushed, the consumer runs while the producer pushes the next batch, an
// error in the consumer reaches the producer and stops the consuming, and an
// abandoned overlap (the producer failed) neither hangs nor goes on.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "jobs/prob/batch_overlap.hpp"

using nm::jobs::BatchOverlap;

TEST_CASE("prob batch overlap: every batch consumed once, in the order pushed") {
  std::vector<int> seen;
  BatchOverlap<std::vector<int>> o([&](std::vector<int>&& b) {
    seen.insert(seen.end(), b.begin(), b.end());
  });
  std::vector<int> want;
  for (int i = 0; i < 2000; ++i) {
    o.push({i, -i});
    want.push_back(i);
    want.push_back(-i);
  }
  o.finish();
  CHECK(seen == want);
}

TEST_CASE("prob batch overlap: the next batch is pushed while the consumer runs") {
  std::atomic<bool> second_pushed{false};
  bool overlapped = false;
  BatchOverlap<int> o([&](int&& b) {
    if (b != 0) return;
    // Batch 0 waits (at most 20 s) for the producer to hand over batch 1:
    // with no overlap the producer could not, and this would time out.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!second_pushed && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    overlapped = second_pushed;
  });
  o.push(0);
  o.push(1);
  second_pushed = true;
  o.finish();
  CHECK(overlapped);
}

TEST_CASE("prob batch overlap: a consumer's error reaches the producer and stops the consuming") {
  std::vector<int> seen;
  BatchOverlap<int> o([&](int&& b) {
    if (b == 5) throw std::runtime_error("device failed on batch 5");
    seen.push_back(b);
  });
  int pushed = 0;
  bool thrown = false;
  try {
    for (; pushed < 1000; ++pushed) o.push(int{pushed});
  } catch (const std::runtime_error& e) {
    thrown = std::string(e.what()) == "device failed on batch 5";
  }
  CHECK(thrown);
  CHECK(pushed < 1000);
  CHECK_THROWS_WITH_AS(o.finish(), "device failed on batch 5", std::runtime_error);
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("prob batch overlap: abandoned by the producer, it stops without consuming the rest") {
  std::atomic<int> consumed{0};
  std::atomic<bool> release{false};
  {
    BatchOverlap<int> o([&](int&&) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ++consumed;
    });
    o.push(1);  // taken by the worker, which waits
    o.push(2);  // waits in the slot
    release = true;
    // the producer fails here: no finish(); the destructor stops the worker
  }
  CHECK(consumed >= 1);
  CHECK(consumed <= 2);
}
