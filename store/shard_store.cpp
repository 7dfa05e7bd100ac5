#include "store/shard_store.hpp"

#include "store/keys.hpp"
#include "store/session_record.hpp"

#include <unordered_map>

namespace sluice {

std::unique_ptr<shard_store> shard_store::open(const std::string& dir, std::uint64_t map_size,
                                               bool read_only, std::error_code& ec) {
  auto env = lmdb_env::open(dir, map_size,
                            {"events", "dedup", "counters", "dedup_expiry", "type_seq", "type_time",
                             "session_seq", "event_id", "sessions", "types"},
                            read_only, ec);
  if (!env) return nullptr;
  auto s = std::make_unique<shard_store>();
  s->env_ = std::move(env);
  return s;
}

std::error_code shard_store::append(const std::vector<event_to_store>& events, std::int64_t now_sec,
                                    std::uint64_t dedup_window_sec,
                                    std::vector<store_outcome>& out) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto ec = try_append(events, now_sec, dedup_window_sec, out);
    if (ec != lmdb_error(MDB_MAP_FULL)) return ec;
    if (auto grow_ec = env_->grow()) return grow_ec;
  }
  return lmdb_error(MDB_MAP_FULL);
}

std::error_code shard_store::try_append(const std::vector<event_to_store>& events,
                                        std::int64_t now_sec, std::uint64_t dedup_window_sec,
                                        std::vector<store_outcome>& out) {
  out.clear();
  std::error_code ec;
  auto txn = env_->begin_write(ec);
  if (ec) return ec;
  auto fail = [&](int rc) {
    out.clear();
    return lmdb_error(rc);
  };

  std::unordered_map<std::string_view, std::uint64_t> last_seq;  // tenant → last seq in this txn
  std::string dedup_value, event_value;
  for (auto& e : events) {
    const journal_event& ev = *e.event;
    auto dedup_key = keys::dedup(e.tenant, ev.dedup_digest);
    auto existing = get(txn.get(), env_->db(dedup_db), dedup_key, ec);
    if (ec) return out.clear(), ec;
    if (existing && existing->size() == 16 &&
        static_cast<std::int64_t>(keys::read_be64(existing->substr(8))) > now_sec) {
      out.push_back({true, keys::read_be64(*existing)});
      continue;
    }

    auto found = last_seq.find(e.tenant);
    if (found == last_seq.end()) {
      auto stored = get(txn.get(), env_->db(counters_db), keys::counter(e.tenant), ec);
      if (ec) return out.clear(), ec;
      found = last_seq.emplace(e.tenant, stored ? keys::read_be64(*stored) : 0).first;
    }
    std::uint64_t seq = ++found->second;

    auto put = [&](table t, const std::string& key, std::string_view value) {
      MDB_val k = to_val(key), v = to_val(value);
      return mdb_put(txn.get(), env_->db(t), &k, &v, 0);
    };
    event_value.clear();
    keys::append_be64(event_value, static_cast<std::uint64_t>(ev.timestamp_us));
    event_value += ev.body;
    std::string seq_bytes;
    keys::append_be64(seq_bytes, seq);
    int rc = put(events_db, keys::event(e.tenant, seq), event_value);
    if (rc == 0) rc = put(type_seq_db, keys::part_seq(e.tenant, ev.event_type, seq), {});
    if (rc == 0)
      rc = put(type_time_db, keys::type_time(e.tenant, ev.event_type, ev.timestamp_us, seq), {});
    if (rc == 0) rc = put(types_db, keys::named(e.tenant, ev.event_type), {});
    if (rc == 0 && !ev.event_id.empty())
      rc = put(event_id_db, keys::named(e.tenant, ev.event_id), seq_bytes);
    if (rc == 0 && !ev.session_id.empty()) {
      rc = put(session_seq_db, keys::part_seq(e.tenant, ev.session_id, seq), {});
      auto session_key = keys::named(e.tenant, ev.session_id);
      auto stored = get(txn.get(), env_->db(sessions_db), session_key, ec);
      if (ec) return out.clear(), ec;
      auto session = stored ? session_record::decode(*stored) : std::nullopt;
      if (!session) session = session_record{};
      session->add(ev.event_type, ev.timestamp_us);
      if (rc == 0) rc = put(sessions_db, session_key, session->encode());
    }
    if (rc != 0) return fail(rc);

    dedup_value.clear();
    keys::append_be64(dedup_value, seq);
    keys::append_be64(dedup_value, static_cast<std::uint64_t>(now_sec) + dedup_window_sec);
    MDB_val dk = to_val(dedup_key), dv = to_val(dedup_value);
    if (int rc = mdb_put(txn.get(), env_->db(dedup_db), &dk, &dv, 0); rc != 0) return fail(rc);
    auto expiry_key = keys::dedup_expiry(keys::read_be64(dedup_value.substr(8)), dedup_key);
    MDB_val ek = to_val(expiry_key), empty{0, nullptr};
    if (int rc = mdb_put(txn.get(), env_->db(expiry_db), &ek, &empty, 0); rc != 0) return fail(rc);
    out.push_back({false, seq});
  }

  std::string counter_value;
  for (auto& [tenant, seq] : last_seq) {
    counter_value.clear();
    keys::append_be64(counter_value, seq);
    auto key = keys::counter(tenant);
    MDB_val k = to_val(key), v = to_val(counter_value);
    if (int rc = mdb_put(txn.get(), env_->db(counters_db), &k, &v, 0); rc != 0) return fail(rc);
  }
  if (auto commit_ec = env_->commit(std::move(txn))) {
    out.clear();
    return commit_ec;
  }
  return {};
}

std::error_code shard_store::sweep_expired(std::int64_t now_sec, std::size_t max,
                                           std::size_t& removed) {
  removed = 0;
  std::error_code ec;
  auto txn = env_->begin_write(ec);
  if (ec) return ec;
  auto cursor = open_cursor(txn.get(), env_->db(expiry_db), ec);
  if (ec) return ec;
  MDB_val k, v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  while (rc == 0 && removed < max) {
    auto key = to_view(k);
    auto expiry = keys::read_be64(key);
    if (static_cast<std::int64_t>(expiry) > now_sec) break;
    // The dedup key may have been stored again since (a later window): keep it then.
    auto dedup_key = key.substr(8);
    auto current = get(txn.get(), env_->db(dedup_db), dedup_key, ec);
    if (ec) return ec;
    if (current && current->size() == 16 && keys::read_be64(current->substr(8)) == expiry) {
      MDB_val dk = to_val(dedup_key);
      if ((rc = mdb_del(txn.get(), env_->db(dedup_db), &dk, nullptr)) != 0) return lmdb_error(rc);
    }
    if ((rc = mdb_cursor_del(cursor.get(), 0)) != 0) return lmdb_error(rc);
    ++removed;
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc);
  cursor.reset();
  return env_->commit(std::move(txn));
}

std::error_code shard_store::delete_tenant(std::string_view tenant) {
  std::error_code ec;
  auto prefix = keys::tenant_prefix(tenant);
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto txn = env_->begin_write(ec);
    if (ec) return ec;
    for (auto t : {events_db, dedup_db, counters_db, type_seq_db, type_time_db, session_seq_db,
                   event_id_db, sessions_db, types_db}) {
      delete_prefix(txn.get(), env_->db(t), prefix, ec);
      if (ec) break;
    }
    if (!ec) ec = env_->commit(std::move(txn));
    if (ec != lmdb_error(MDB_MAP_FULL)) return ec;
    txn.reset();
    if (auto grow_ec = env_->grow()) return grow_ec;
    ec.clear();
  }
  return ec;
}

}  // namespace sluice
