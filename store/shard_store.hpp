// The tables of one writer shard, in one LMDB environment (data/shard-NN): events, dedup keys
// (with an index by expiry so old keys can be swept) and per-tenant seq counters. `append` is
// called only by the shard's writer actor (the one writer of the env); the read functions may be
// called from any thread.
#pragma once

#include "store/lmdb.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct event_to_store {
  std::string_view tenant;
  std::string_view dedup_digest;  // 16 bytes of SHA-256 of the dedup key
  std::string_view body;          // canonical JSON, without "seq"
};

struct store_outcome {
  bool duplicate = false;
  std::uint64_t seq = 0;  // the new seq, or the original's for a duplicate
};

class shard_store {
 public:
  static std::unique_ptr<shard_store> open(const std::string& dir, std::uint64_t map_size,
                                           bool read_only, std::error_code& ec);

  // In one write txn, in order: check each event's dedup key, give new ones the tenant's next
  // seq, store them; then commit (fsync). On error nothing is written and `out` is cleared.
  std::error_code append(const std::vector<event_to_store>& events, std::int64_t now_sec,
                         std::uint64_t dedup_window_sec, std::vector<store_outcome>& out);

  // Deletes up to `max` dedup keys whose window ended before `now_sec`; sets how many.
  std::error_code sweep_expired(std::int64_t now_sec, std::size_t max, std::size_t& removed);

  // Removes every event, dedup key and counter of the tenant.
  std::error_code delete_tenant(std::string_view tenant);

  // Calls `each(seq, json_with_seq)` for up to `limit` events with seq > after_seq, in order.
  std::error_code read_events(std::string_view tenant, std::uint64_t after_seq, std::size_t limit,
                              const std::function<void(std::uint64_t, std::string&&)>& each);

  lmdb_env& env() { return *env_; }

 private:
  enum table { events_db, dedup_db, counters_db, expiry_db };
  std::error_code try_append(const std::vector<event_to_store>& events, std::int64_t now_sec,
                             std::uint64_t dedup_window_sec, std::vector<store_outcome>& out);
  std::unique_ptr<lmdb_env> env_;
};

// The stored body with "seq" and "tenant_id" spliced in as its first members.
std::string with_seq(std::uint64_t seq, std::string_view tenant, std::string_view body);

}  // namespace sluice
