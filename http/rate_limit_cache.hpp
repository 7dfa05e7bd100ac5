// Edge-side admission for flooding tenants: remembers, per credential, until when the tenant's
// token bucket holds less than one event, so the edge refuses that tenant's requests (429, the
// tenant actor's own headers) before parsing them or sending them through two actors. Only a
// tenant actor's 429 fills it, with the time its bucket needs to hold one event again, so it
// refuses nothing the bucket would accept; admin changes (a raised limit, a revoked key) clear
// it. Shared by the io threads; bounded.
#pragma once

#include "actors/node.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sluice {

class rate_limit_cache {
 public:
  using clock = std::chrono::steady_clock;

  struct refusal {
    std::string tenant;
    node_error error;
    // Access log: one line per credential per second of refusals; `unlogged` says how many
    // were refused without a line since the last one.
    bool log_line = true;
    std::uint64_t unlogged = 0;
  };

  // The refusal to answer now, if the credential's bucket is known to be empty.
  std::optional<refusal> check(const credential& who, clock::time_point now);
  // Taken before a request goes to the tenant actor and handed back to `remember`, so a 429
  // that was under way while `clear` ran is not remembered.
  std::uint64_t generation() const { return generation_; }
  // The tenant actor answered 429 with a bucket that stays empty until `until`.
  void remember(const credential& who, refusal r, clock::time_point until,
                std::uint64_t generation);
  void clear();

 private:
  static std::string key_of(const credential& who);
  struct entry {
    refusal r;
    clock::time_point until;
    clock::time_point logged_at;
    clock::time_point remembered_at;
  };
  static constexpr std::size_t max_entries = 10000;
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace sluice
