// The tables of one writer shard, in one LMDB environment (data/shard-NN): events, dedup keys
// (with an index by expiry so old keys can be swept), per-tenant seq counters, the secondary
// indexes (type, type+time, session, event_id) and sessions. `append`, `sweep_expired` and
// `delete_tenant` are called only by the shard's writer actor (the one writer of the env); the
// reads in store/event_queries.hpp may run on any thread.
#pragma once

#include "store/journal_event.hpp"
#include "store/lmdb.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct event_to_store {
  std::string_view tenant;
  const journal_event* event;
};

struct store_outcome {
  bool duplicate = false;
  std::uint64_t seq = 0;  // the new seq, or the original's for a duplicate
};

class shard_store {
 public:
  // The named databases, in the order they are opened.
  enum table {
    events_db,       // tenant\0 seq → timestamp(8) + canonical JSON
    dedup_db,        // tenant\0 digest → seq, expiry
    counters_db,     // tenant\0 → last seq
    expiry_db,       // expiry + dedup key → (empty)
    type_seq_db,     // tenant\0 type\0 seq → (empty)          events?event_type=
    type_time_db,    // tenant\0 type\0 timestamp seq → (empty) count and stats windows
    session_seq_db,  // tenant\0 session\0 seq → (empty)       events?session_id=
    event_id_db,     // tenant\0 event_id → seq                GET /v1/events/{id}
    sessions_db,     // tenant\0 session → session record      GET /v1/sessions/{id}
    types_db,        // tenant\0 type → (empty)                the tenant's event types
  };

  static std::unique_ptr<shard_store> open(const std::string& dir, std::uint64_t map_size,
                                           bool read_only, std::error_code& ec);

  // In one write txn, in order: check each event's dedup key, give new ones the tenant's next
  // seq, store them with their index entries and session update; then commit (fsync). On error
  // nothing is written and `out` is cleared.
  std::error_code append(const std::vector<event_to_store>& events, std::int64_t now_sec,
                         std::uint64_t dedup_window_sec, std::vector<store_outcome>& out);

  // Deletes up to `max` dedup keys whose window ended before `now_sec`; sets how many.
  std::error_code sweep_expired(std::int64_t now_sec, std::size_t max, std::size_t& removed);

  // Removes every event, dedup key, counter, index entry and session of the tenant.
  std::error_code delete_tenant(std::string_view tenant);

  lmdb_env& env() { return *env_; }
  MDB_dbi db(table t) const { return env_->db(t); }

 private:
  std::error_code try_append(const std::vector<event_to_store>& events, std::int64_t now_sec,
                             std::uint64_t dedup_window_sec, std::vector<store_outcome>& out);
  std::unique_ptr<lmdb_env> env_;
};

}  // namespace sluice
