// The webhook tables of the catalog: `webhooks` (id → JSON record, secret included) and
// `webhook_cursors` (id → be64 last seq delivered or dead-lettered). Written by the webhook
// dispatcher through catalog::write (serialised with the directory's writes).
#include "store/catalog_webhooks.hpp"
#include "store/catalog.hpp"
#include "store/keys.hpp"

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

std::string encode(const webhook_record& w) {
  return nlohmann::json{{"id", w.id},         {"tenant", w.tenant},
                        {"url", w.url},       {"event_types", w.event_types},
                        {"secret", w.secret}, {"created_at_us", w.created_at_us},
                        {"shard", w.shard}}
      .dump();
}

webhook_record decode(std::string_view text) {
  auto j = nlohmann::json::parse(text);
  return {j.at("id"),     j.at("tenant"),        j.at("url"),  j.at("event_types"),
          j.at("secret"), j.at("created_at_us"), j.at("shard")};
}

std::string be64(std::uint64_t v) {
  std::string out;
  keys::append_be64(out, v);
  return out;
}

}  // namespace

int delete_tenant_webhooks(MDB_txn* txn, MDB_dbi webhooks, MDB_dbi cursors,
                           std::string_view tenant) {
  std::error_code ec;
  auto cursor = open_cursor(txn, webhooks, ec);
  if (ec) return ec.value();
  MDB_val k, v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    if (decode(to_view(v)).tenant != tenant) continue;
    MDB_val id = k;
    int del = mdb_del(txn, cursors, &id, nullptr);
    if (del != 0 && del != MDB_NOTFOUND) return del;
    if ((rc = mdb_cursor_del(cursor.get(), 0)) != 0) return rc;
  }
  return rc == MDB_NOTFOUND ? 0 : rc;
}

std::error_code catalog::load_webhooks(std::vector<webhook_record>& out,
                                       std::map<std::string, std::uint64_t>& cursors) {
  if (!has_webhooks_) return {};
  std::error_code ec;
  auto txn = env_->begin_read(ec);
  if (ec) return ec;
  for (auto t : {webhooks_db, cursors_db}) {
    auto cursor = open_cursor(txn->get(), env_->db(t), ec);
    if (ec) return ec;
    MDB_val k, v;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      if (t == webhooks_db)
        out.push_back(decode(to_view(v)));
      else
        cursors[std::string(to_view(k))] = keys::read_be64(to_view(v));
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc);
  }
  return {};
}

std::error_code catalog::add_webhook(const webhook_record& w, std::uint64_t cursor) {
  return write([&](MDB_txn* txn) {
    MDB_val k = to_val(w.id);
    auto record = encode(w);
    auto seq = be64(cursor);
    MDB_val v = to_val(record), c = to_val(seq);
    int rc = mdb_put(txn, env_->db(webhooks_db), &k, &v, 0);
    return rc != 0 ? rc : mdb_put(txn, env_->db(cursors_db), &k, &c, 0);
  });
}

std::error_code catalog::remove_webhook(const std::string& id, bool& removed) {
  removed = false;
  return write([&](MDB_txn* txn) {
    MDB_val k = to_val(id);
    int rc = mdb_del(txn, env_->db(webhooks_db), &k, nullptr);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc == 0) rc = mdb_del(txn, env_->db(cursors_db), &k, nullptr);
    removed = rc == 0 || rc == MDB_NOTFOUND;
    return rc == MDB_NOTFOUND ? 0 : rc;
  });
}

std::error_code catalog::set_webhook_cursor(const std::string& id, std::uint64_t seq) {
  return write([&](MDB_txn* txn) {
    std::error_code ec;
    if (!get(txn, env_->db(webhooks_db), id, ec)) return ec ? ec.value() : 0;
    MDB_val k = to_val(id);
    auto value = be64(seq);
    MDB_val v = to_val(value);
    return mdb_put(txn, env_->db(cursors_db), &k, &v, 0);
  });
}

}  // namespace sluice
