#include "store/catalog.hpp"

#include "store/catalog_webhooks.hpp"

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

std::string encode(const tenant_record& t) {
  return nlohmann::json{{"id", t.id},
                        {"name", t.name},
                        {"events_per_sec", t.limit.events_per_sec},
                        {"burst", t.limit.burst},
                        {"created_at_us", t.created_at_us},
                        {"shard", t.shard}}
      .dump();
}

std::string encode(const key_record& k) {
  return nlohmann::json{
      {"tenant", k.tenant}, {"key_id", k.key_id}, {"created_at_us", k.created_at_us}}
      .dump();
}

int put(MDB_txn* txn, MDB_dbi db, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key), v = to_val(value);
  return mdb_put(txn, db, &k, &v, flags);
}

}  // namespace

std::unique_ptr<catalog> catalog::open(const std::string& dir, bool read_only,
                                       std::error_code& ec) {
  auto env = lmdb_env::open(dir, 64ull << 20, {"tenants", "keys", "webhooks", "webhook_cursors"},
                            read_only, ec);
  // A catalog written before webhooks existed has no webhook tables, and a read-only open cannot
  // create them: read tenants and keys alone.
  if (!env && read_only && ec == lmdb_error(MDB_NOTFOUND)) {
    ec.clear();
    env = lmdb_env::open(dir, 64ull << 20, {"tenants", "keys"}, read_only, ec);
    if (env) {
      auto c = std::make_unique<catalog>();
      c->env_ = std::move(env);
      c->has_webhooks_ = false;
      return c;
    }
  }
  if (!env) return nullptr;
  auto c = std::make_unique<catalog>();
  c->env_ = std::move(env);
  return c;
}

std::error_code catalog::load(std::vector<tenant_record>& tenants, std::vector<key_record>& keys) {
  std::error_code ec;
  auto txn = env_->begin_read(ec);
  if (ec) return ec;
  for (auto t : {tenants_db, keys_db}) {
    auto cursor = open_cursor(txn->get(), env_->db(t), ec);
    if (ec) return ec;
    MDB_val k, v;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      auto j = nlohmann::json::parse(to_view(v));
      if (t == tenants_db) {
        tenants.push_back({j.at("id"), j.at("name"),
                           rate_limit{j.at("events_per_sec"), j.at("burst")}, j.at("created_at_us"),
                           j.at("shard")});
      } else {
        keys.push_back(
            {std::string(to_view(k)), j.at("tenant"), j.at("key_id"), j.at("created_at_us")});
      }
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc);
  }
  return {};
}

std::error_code catalog::write(const std::function<int(MDB_txn*)>& body) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  return env_->write(body);
}

std::error_code catalog::create_tenant(const tenant_record& t, const key_record& k, bool& created) {
  created = false;
  auto ec = write([&](MDB_txn* txn) {
    int rc = put(txn, env_->db(tenants_db), t.id, encode(t), MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return 0;
    if (rc == 0) rc = put(txn, env_->db(keys_db), k.hash, encode(k), 0);
    if (rc == 0) created = true;
    return rc;
  });
  if (ec) created = false;
  return ec;
}

std::error_code catalog::update_tenant(const tenant_record& t) {
  return write([&](MDB_txn* txn) { return put(txn, env_->db(tenants_db), t.id, encode(t), 0); });
}

std::error_code catalog::add_key(const key_record& k) {
  return write([&](MDB_txn* txn) { return put(txn, env_->db(keys_db), k.hash, encode(k), 0); });
}

std::error_code catalog::remove_key(const std::string& hash) {
  return write([&](MDB_txn* txn) {
    MDB_val k = to_val(hash);
    int rc = mdb_del(txn, env_->db(keys_db), &k, nullptr);
    return rc == MDB_NOTFOUND ? 0 : rc;
  });
}

std::error_code catalog::delete_tenant(const std::string& id) {
  return write([&](MDB_txn* txn) {
    MDB_val k = to_val(id);
    int rc = mdb_del(txn, env_->db(tenants_db), &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    // Keys are few; scan for the tenant's ones.
    std::error_code ec;
    auto cursor = open_cursor(txn, env_->db(keys_db), ec);
    if (ec) return ec.value();
    MDB_val ck, cv;
    for (rc = mdb_cursor_get(cursor.get(), &ck, &cv, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor.get(), &ck, &cv, MDB_NEXT)) {
      if (nlohmann::json::parse(to_view(cv)).at("tenant") == id) {
        rc = mdb_cursor_del(cursor.get(), 0);
        if (rc != 0) return rc;
      }
    }
    if (rc != MDB_NOTFOUND) return rc;
    return delete_tenant_webhooks(txn, env_->db(webhooks_db), env_->db(cursors_db), id);
  });
}

}  // namespace sluice
