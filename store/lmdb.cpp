#include "store/lmdb.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <mutex>

namespace sluice {
namespace {

class lmdb_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "lmdb"; }
  std::string message(int rc) const override { return mdb_strerror(rc); }
};

}  // namespace

const std::error_category& lmdb_category() {
  static lmdb_category_impl instance;
  return instance;
}

std::unique_ptr<lmdb_env> lmdb_env::open(const std::string& dir, std::uint64_t map_size,
                                         const std::vector<std::string>& db_names, bool read_only,
                                         std::error_code& ec) {
  if (!read_only && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    ec = std::error_code(errno, std::generic_category());
    return nullptr;
  }
  std::unique_ptr<lmdb_env> self(new lmdb_env());
  int rc = mdb_env_create(&self->env_);
  if (rc == 0) rc = mdb_env_set_maxdbs(self->env_, static_cast<MDB_dbi>(db_names.size() + 1));
  if (rc == 0) rc = mdb_env_set_maxreaders(self->env_, 1024);
  if (rc == 0 && !read_only) rc = mdb_env_set_mapsize(self->env_, map_size);
  // Never NOSYNC/NOMETASYNC/MAPASYNC/WRITEMAP: each can lose acknowledged data.
  unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0);
  if (rc == 0) rc = mdb_env_open(self->env_, dir.c_str(), flags, 0600);
  if (rc != 0) {
    ec = lmdb_error(rc);
    return nullptr;
  }
  MDB_envinfo info;
  mdb_env_info(self->env_, &info);
  self->map_size_ = info.me_mapsize;

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(self->env_, nullptr, read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) {
    ec = lmdb_error(rc);
    return nullptr;
  }
  txn_ptr guard(txn);
  for (auto& name : db_names) {
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn, name.c_str(), read_only ? 0 : MDB_CREATE, &dbi);
    if (rc != 0) {
      ec = lmdb_error(rc);
      return nullptr;
    }
    self->dbis_.push_back(dbi);
  }
  rc = mdb_txn_commit(guard.release());
  if (rc != 0) {
    ec = lmdb_error(rc);
    return nullptr;
  }
  return self;
}

lmdb_env::~lmdb_env() {
  if (env_) mdb_env_close(env_);
}

std::optional<read_txn> lmdb_env::begin_read(std::error_code& ec) {
  read_txn r{std::shared_lock<std::shared_mutex>(resize_mutex_), nullptr};
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc == MDB_MAP_RESIZED) {  // another process grew the map: adopt its size
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  }
  if (rc != 0) {
    ec = lmdb_error(rc);
    return std::nullopt;
  }
  r.txn.reset(txn);
  return r;
}

txn_ptr lmdb_env::begin_write(std::error_code& ec) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc == MDB_MAP_RESIZED) {
    std::unique_lock<std::shared_mutex> lock(resize_mutex_);
    mdb_env_set_mapsize(env_, 0);
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  }
  if (rc != 0) ec = lmdb_error(rc);
  return txn_ptr(rc == 0 ? txn : nullptr);
}

std::error_code lmdb_env::commit(txn_ptr txn) {
  int rc = mdb_txn_commit(txn.release());
  return rc == 0 ? std::error_code() : lmdb_error(rc);
}

std::pair<std::uint64_t, std::uint64_t> lmdb_env::usage() const {
  MDB_envinfo info;
  MDB_stat stat;
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  return {(info.me_last_pgno + 1) * static_cast<std::uint64_t>(stat.ms_psize), info.me_mapsize};
}

std::error_code lmdb_env::grow() {
  std::unique_lock<std::shared_mutex> lock(resize_mutex_);
  int rc = mdb_env_set_mapsize(env_, map_size_ * 2);
  if (rc != 0) return lmdb_error(rc);
  map_size_ *= 2;
  return {};
}

std::optional<std::string_view> get(MDB_txn* txn, MDB_dbi db, std::string_view key,
                                    std::error_code& ec) {
  MDB_val k = to_val(key), v;
  int rc = mdb_get(txn, db, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != 0) {
    ec = lmdb_error(rc);
    return std::nullopt;
  }
  return to_view(v);
}

cursor_ptr open_cursor(MDB_txn* txn, MDB_dbi db, std::error_code& ec) {
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn, db, &c);
  if (rc != 0) ec = lmdb_error(rc);
  return cursor_ptr(rc == 0 ? c : nullptr);
}

std::error_code lmdb_env::write(const std::function<int(MDB_txn*)>& body) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::error_code ec;
    auto txn = begin_write(ec);
    if (ec) return ec;
    int rc = body(txn.get());
    if (rc == 0) {
      ec = commit(std::move(txn));
      if (ec != lmdb_error(MDB_MAP_FULL)) return ec;
    } else if (rc != MDB_MAP_FULL) {
      return lmdb_error(rc);
    }
    txn.reset();
    if (auto grow_ec = grow()) return grow_ec;
  }
  return lmdb_error(MDB_MAP_FULL);
}

std::size_t delete_prefix(MDB_txn* txn, MDB_dbi db, std::string_view prefix, std::error_code& ec) {
  auto cursor = open_cursor(txn, db, ec);
  if (ec) return 0;
  MDB_val k = to_val(prefix), v;
  std::size_t n = 0;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  while (rc == 0 && to_view(k).substr(0, prefix.size()) == prefix) {
    rc = mdb_cursor_del(cursor.get(), 0);
    if (rc != 0) break;
    ++n;
    // After a delete the cursor already sits on the next item; MDB_NEXT does not skip it.
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) ec = lmdb_error(rc);
  return n;
}

}  // namespace sluice
