// The catalog environment (data/catalog): tenants, the SHA-256 hashes of their API keys, webhook
// subscriptions and each subscription's delivery cursor. Written by the tenant directory actor
// (tenants, keys) and the webhook dispatcher (webhooks, cursors): `write` holds a mutex, so the
// two never open write txns at once and the map is grown with no other write txn open. Small
// records encoded as JSON.
#pragma once

#include "config/config.hpp"
#include "store/lmdb.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct tenant_record {
  std::string id;
  std::string name;
  rate_limit limit;
  std::int64_t created_at_us = 0;
  int shard = 0;  // fixed at creation: the writer shard that holds the tenant's data
};

struct key_record {
  std::string hash;  // raw SHA-256 of the key (32 bytes); the key itself is never stored
  std::string tenant;
  std::string key_id;
  std::int64_t created_at_us = 0;
};

// A webhook subscription (POST /v1/webhooks). The secret is kept because every delivery is signed
// with it; it is never returned by the API.
struct webhook_record {
  std::string id;  // "wh-" + 16 random hex digits
  std::string tenant;
  std::string url;  // http://host[:port]/path
  std::vector<std::string> event_types;
  std::string secret;
  std::int64_t created_at_us = 0;
  int shard = 0;  // the tenant's shard, where its events are read from
};

class catalog {
 public:
  static std::unique_ptr<catalog> open(const std::string& dir, bool read_only, std::error_code& ec);

  std::error_code load(std::vector<tenant_record>& tenants, std::vector<key_record>& keys);
  // false (and nothing written) when the id is taken.
  std::error_code create_tenant(const tenant_record& t, const key_record& k, bool& created);
  std::error_code update_tenant(const tenant_record& t);
  std::error_code add_key(const key_record& k);
  std::error_code remove_key(const std::string& hash);
  // Removes the tenant, all its keys and its webhooks (with their cursors).
  std::error_code delete_tenant(const std::string& id);

  // Webhooks and their cursors (the last seq delivered or dead-lettered), in
  // store/catalog_webhooks.cpp.
  std::error_code load_webhooks(std::vector<webhook_record>& out,
                                std::map<std::string, std::uint64_t>& cursors);
  // Stores the subscription and its starting cursor in one txn.
  std::error_code add_webhook(const webhook_record& w, std::uint64_t cursor);
  // Removes the subscription and its cursor; `removed` says whether it existed.
  std::error_code remove_webhook(const std::string& id, bool& removed);
  // Advances the cursor of a subscription that still exists (a deleted one stays deleted).
  std::error_code set_webhook_cursor(const std::string& id, std::uint64_t seq);

 private:
  enum table { tenants_db, keys_db, webhooks_db, cursors_db };
  // Runs `body` in a write txn and commits, growing the map when it is full.
  std::error_code write(const std::function<int(MDB_txn*)>& body);
  std::unique_ptr<lmdb_env> env_;
  std::mutex write_mutex_;    // the directory and the webhook dispatcher both write
  bool has_webhooks_ = true;  // false: an old catalog opened read-only (no webhook tables)
};

}  // namespace sluice
