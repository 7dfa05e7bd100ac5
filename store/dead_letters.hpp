// The dead-letter environment (data/dead-letters): work that exhausted its retries — events a
// writer shard could not store, webhook deliveries that kept failing — kept with the reason and
// attempt count until an operator replays or purges it. Its own env on purpose: a dead letter is
// written exactly when a shard's env keeps failing. Safe to call from any thread (writes are
// serialised by a mutex; reads are LMDB readers).
#pragma once

#include "store/journal_event.hpp"
#include "store/lmdb.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct dead_letter {
  std::uint64_t id = 0;  // unique in the node, increasing; set by `add`
  std::string tenant;
  std::string kind;    // "event": could not be stored; "webhook": could not be delivered
  std::string reason;  // the last failure, as an operator should read it
  int attempts = 0;
  std::int64_t first_failed_at_us = 0;
  std::int64_t last_failed_at_us = 0;
  // kind "event": everything needed to store it again (the body is the event's canonical JSON).
  // kind "webhook": body is the JSON that was POSTed.
  journal_event event;
  std::string webhook_id;  // kind "webhook": the subscription
  std::uint64_t seq = 0;   // kind "webhook": the delivered event's seq
};

// The API names letter 7 "dl-7".
inline std::string letter_name(std::uint64_t id) {
  return "dl-" + std::to_string(id);
}
// The id of "dl-<n>" (n a positive decimal without sign or leading zero); 0 when malformed.
inline std::uint64_t parse_letter_name(std::string_view name) {
  if (name.size() < 4 || name.size() > 23 || name.substr(0, 3) != "dl-" || name[3] == '0') return 0;
  std::uint64_t id = 0;
  for (char c : name.substr(3)) {
    if (c < '0' || c > '9') return 0;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (id > (UINT64_MAX - digit) / 10) return 0;  // would overflow
    id = id * 10 + digit;
  }
  return id;
}

class dead_letter_store {
 public:
  static std::unique_ptr<dead_letter_store> open(const std::string& dir, bool read_only,
                                                 std::error_code& ec);

  // Stores the letters in one transaction, giving each a new id (written back into `letters`).
  std::error_code add(std::vector<dead_letter>& letters);
  // Replaces a letter that exists (same tenant and id), e.g. after a replay failed again.
  std::error_code update(const dead_letter& letter);
  // The tenant's letters with id > after_id, oldest first, at most `limit`.
  std::error_code list(std::string_view tenant, std::uint64_t after_id, std::size_t limit,
                       std::vector<dead_letter>& out);
  // The tenant's letters with these ids; ids that are not the tenant's are skipped.
  std::error_code find(std::string_view tenant, const std::vector<std::uint64_t>& ids,
                       std::vector<dead_letter>& out);
  // Removes the tenant's letters with these ids; `removed` says how many existed.
  std::error_code remove(std::string_view tenant, const std::vector<std::uint64_t>& ids,
                         std::size_t& removed);
  // Removes all of the tenant's letters.
  std::error_code purge(std::string_view tenant, std::size_t& removed);

 private:
  enum table { letters_db, next_id_db };
  // Runs `body` in a write txn and commits, growing the map when it is full.
  std::error_code write(const std::function<int(MDB_txn*)>& body);
  std::unique_ptr<lmdb_env> env_;
  std::mutex write_mutex_;
};

}  // namespace sluice
