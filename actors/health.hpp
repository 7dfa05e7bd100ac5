// Whether this node can take writes, and why not. Set by writer shards and the supervisor,
// read by the edge's /readyz. Shared by pointer; lives as long as the node.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace sluice {

class node_health {
 public:
  void set_store_failure(std::string reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    store_reason_ = std::move(reason);
    has_store_failure_ = true;
  }
  void clear_store_failure() {
    if (!has_store_failure_.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    store_reason_.clear();
    has_store_failure_ = false;
  }
  void set_fatal(std::string reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    fatal_reason_ = std::move(reason);
  }
  void set_draining() { draining_ = true; }

  bool ready(std::string& reason) const {
    if (draining_) {
      reason = "shutting down";
      return false;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    reason = !fatal_reason_.empty() ? fatal_reason_ : store_reason_;
    return reason.empty();
  }

 private:
  mutable std::mutex mutex_;
  std::string store_reason_;
  std::string fatal_reason_;
  std::atomic<bool> has_store_failure_{false};
  std::atomic<bool> draining_{false};
};

}  // namespace sluice
