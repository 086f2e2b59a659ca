// Double buffering between the CPU, which lists the candidate pairs in
// batches, and a device, which compares them: the device's batches run on a
// worker thread while the calling thread lists the next one, with at most one
// listed batch waiting (so at most three batches are in memory: the one the
// device runs, the one waiting, the one being listed). The consumer sees the
// batches in the order they were pushed; the device is used by the worker
// thread alone (a CUDA device makes itself current before each call).
//
// An error in the consumer stops it: the next push() or finish() rethrows it
// on the calling thread, and no later batch is consumed. The destructor
// stops the worker without consuming what waits (when the producer failed).
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace nm::jobs {

template <class Batch>
class BatchOverlap {
 public:
  explicit BatchOverlap(std::function<void(Batch&&)> consume)
      : consume_(std::move(consume)), worker_([this] { work(); }) {}
  BatchOverlap(const BatchOverlap&) = delete;
  BatchOverlap& operator=(const BatchOverlap&) = delete;
  ~BatchOverlap() {
    {
      const std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  // Hands `b` to the worker; waits while another batch is waiting. Rethrows
  // the consumer's error.
  void push(Batch&& b) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !waiting_ || error_; });
    if (error_) std::rethrow_exception(error_);
    waiting_.emplace(std::move(b));
    lock.unlock();
    cv_.notify_all();
  }

  // Waits until every pushed batch is consumed; rethrows the consumer's error.
  void finish() {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return (!waiting_ && !busy_) || error_; });
      stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    for (;;) {
      std::optional<Batch> b;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return waiting_ || stop_; });
        if (stop_) return;  // finished (nothing waits), or abandoned
        b.swap(waiting_);
        busy_ = true;
      }
      cv_.notify_all();  // the producer may list the next batch into the slot
      std::exception_ptr err;
      try {
        consume_(std::move(*b));
      } catch (...) {
        err = std::current_exception();
      }
      {
        const std::lock_guard lock(mu_);
        busy_ = false;
        if (err) error_ = err;
      }
      cv_.notify_all();
      if (err) return;
    }
  }

  std::function<void(Batch&&)> consume_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Batch> waiting_;
  bool busy_ = false, stop_ = false;
  std::exception_ptr error_;
  std::thread worker_;  // last: started once the members above exist
};

}  // namespace nm::jobs
