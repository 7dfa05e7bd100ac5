// The catalog environment (data/catalog): tenants and the SHA-256 hashes of their API keys.
// Written only by the tenant directory actor; small records encoded as JSON.
#pragma once

#include "config/config.hpp"
#include "store/lmdb.hpp"

#include <functional>
#include <memory>
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

class catalog {
 public:
  static std::unique_ptr<catalog> open(const std::string& dir, bool read_only, std::error_code& ec);

  std::error_code load(std::vector<tenant_record>& tenants, std::vector<key_record>& keys);
  // false (and nothing written) when the id is taken.
  std::error_code create_tenant(const tenant_record& t, const key_record& k, bool& created);
  std::error_code update_tenant(const tenant_record& t);
  std::error_code add_key(const key_record& k);
  std::error_code remove_key(const std::string& hash);
  // Removes the tenant and all its keys.
  std::error_code delete_tenant(const std::string& id);

 private:
  enum table { tenants_db, keys_db };
  // Runs `body` in a write txn and commits, growing the map when it is full.
  std::error_code write(const std::function<int(MDB_txn*)>& body);
  std::unique_ptr<lmdb_env> env_;
};

}  // namespace sluice
