// Test-only fault injection: makes chosen operations fail so tests can drive the retry,
// dead-letter and supervision paths through the real binary. Configured by the `faults` option
// (SLUICE_FAULTS), e.g. "writer_commit:p=0.01" or "webhook_send:first=3,writer_commit:nth=5".
// Empty (the default) injects nothing. Thread-safe; owned by the node, shared by its actors.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

// writer_commit: a group commit fails; webhook_send: a delivery fails; writer_start: a writer
// shard quits as it starts; writer_crash: a writer shard quits while it holds queued writes;
// webhook_crash: the webhook dispatcher quits just before it sends a delivery.
enum class fault_point { writer_commit, webhook_send, writer_start, writer_crash, webhook_crash };

class faults {
 public:
  // Parses the spec; on a malformed one returns false and says why in `error`.
  bool parse(const std::string& spec, std::string& error);
  // Counts a call at `point` and says whether this call must fail.
  bool fail(fault_point point);

 private:
  struct rule {
    double probability = 0;   // p=: each call fails with this probability
    std::uint64_t nth = 0;    // nth=: only the nth call fails (1-based)
    std::uint64_t first = 0;  // first=: the first N calls fail
    std::uint64_t every = 0;  // every=: every Nth call fails
    bool active = false;
  };
  static constexpr int points = 5;
  rule rules_[points];
  std::atomic<std::uint64_t> calls_[points] = {};
};

}  // namespace sluice
