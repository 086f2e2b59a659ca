// A minimal fork-join helper: tasks 0..n-1 handed out dynamically to a fixed
// number of threads. Results must not depend on which thread ran a task.
#pragma once
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nm {

unsigned default_threads();

template <class Fn>  // Fn(size_t task, unsigned thread)
void parallel_for(size_t n_tasks, unsigned threads, Fn&& fn) {
  if (threads <= 1 || n_tasks <= 1) {
    for (size_t t = 0; t < n_tasks; ++t) fn(t, 0u);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mu;
  auto worker = [&](unsigned tid) {
    try {
      for (size_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < n_tasks;) fn(t, tid);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      next.store(n_tasks);
    }
  };
  std::vector<std::thread> pool;
  const unsigned n = threads < n_tasks ? threads : static_cast<unsigned>(n_tasks);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker, i);
  worker(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace nm
