// RAII over LMDB: one `lmdb_env` per environment directory, opened once per process.
// Write txns belong to the one thread that writes the env (a writer shard); read txns may be
// opened from any thread (MDB_NOTLS) and hold a shared lock so the map can be grown safely.
#pragma once

#include <lmdb.h>

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sluice {

const std::error_category& lmdb_category();
inline std::error_code lmdb_error(int rc) {
  return {rc, lmdb_category()};
}

struct txn_deleter {
  void operator()(MDB_txn* t) const { mdb_txn_abort(t); }
};
using txn_ptr = std::unique_ptr<MDB_txn, txn_deleter>;

inline MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view to_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// A read transaction plus the shared lock that keeps the map from being resized under it.
struct read_txn {
  std::shared_lock<std::shared_mutex> lock;
  txn_ptr txn;
  MDB_txn* get() const { return txn.get(); }
};

class lmdb_env {
 public:
  // Opens (creating if needed) the env at `dir` with the named databases.
  static std::unique_ptr<lmdb_env> open(const std::string& dir, std::uint64_t map_size,
                                        const std::vector<std::string>& db_names, bool read_only,
                                        std::error_code& ec);
  ~lmdb_env();
  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;

  MDB_dbi db(size_t index) const { return dbis_.at(index); }
  MDB_env* raw() const { return env_; }

  std::optional<read_txn> begin_read(std::error_code& ec);
  txn_ptr begin_write(std::error_code& ec);
  // Consumes the txn: LMDB frees it even when the commit fails.
  std::error_code commit(txn_ptr txn);
  // Bytes of the map in use, and the map's size.
  std::pair<std::uint64_t, std::uint64_t> usage() const;
  // Doubles the map; call with no write txn open. Waits for readers to finish.
  std::error_code grow();
  // Runs `body` (an LMDB status, 0: commit) in a write txn and commits; when the map is full,
  // grows it and runs `body` again. For envs written from more than one thread the caller holds
  // a mutex around it, since growing needs no other write txn open.
  std::error_code write(const std::function<int(MDB_txn*)>& body);

 private:
  lmdb_env() = default;
  MDB_env* env_ = nullptr;
  std::vector<MDB_dbi> dbis_;
  std::uint64_t map_size_ = 0;
  std::shared_mutex resize_mutex_;
};

// NOTFOUND is an ordinary result: nullopt. Other failures go to ec.
std::optional<std::string_view> get(MDB_txn* txn, MDB_dbi db, std::string_view key,
                                    std::error_code& ec);

struct cursor_deleter {
  void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using cursor_ptr = std::unique_ptr<MDB_cursor, cursor_deleter>;
cursor_ptr open_cursor(MDB_txn* txn, MDB_dbi db, std::error_code& ec);

// Deletes every key that starts with `prefix`; returns how many.
std::size_t delete_prefix(MDB_txn* txn, MDB_dbi db, std::string_view prefix, std::error_code& ec);

}  // namespace sluice
