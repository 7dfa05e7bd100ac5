#include "store/dead_letters.hpp"

#include "store/keys.hpp"
#include "store/secrets.hpp"

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

std::string encode(const dead_letter& d) {
  return nlohmann::json{{"kind", d.kind},
                        {"reason", d.reason},
                        {"attempts", d.attempts},
                        {"first_failed_at_us", d.first_failed_at_us},
                        {"last_failed_at_us", d.last_failed_at_us},
                        {"dedup_digest", to_hex(d.event.dedup_digest)},
                        {"body", d.event.body},
                        {"event_type", d.event.event_type},
                        {"session_id", d.event.session_id},
                        {"event_id", d.event.event_id},
                        {"timestamp_us", d.event.timestamp_us},
                        {"webhook_id", d.webhook_id},
                        {"seq", d.seq}}
      .dump();
}

dead_letter decode(std::string_view key, std::string_view value) {
  auto j = nlohmann::json::parse(value);
  dead_letter d;
  d.tenant = std::string(key.substr(0, key.size() - 9));
  d.id = keys::event_seq(key);
  d.kind = j.at("kind");
  d.reason = j.at("reason");
  d.attempts = j.at("attempts");
  d.first_failed_at_us = j.at("first_failed_at_us");
  d.last_failed_at_us = j.at("last_failed_at_us");
  d.event.dedup_digest = from_hex(j.at("dedup_digest").get<std::string>());
  d.event.body = j.at("body");
  d.event.event_type = j.at("event_type");
  d.event.session_id = j.at("session_id");
  d.event.event_id = j.at("event_id");
  d.event.timestamp_us = j.at("timestamp_us");
  d.webhook_id = j.at("webhook_id");
  d.seq = j.at("seq");
  return d;
}

int put(MDB_txn* txn, MDB_dbi db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  return mdb_put(txn, db, &k, &v, 0);
}

const std::string next_id_key = "next";

}  // namespace

std::unique_ptr<dead_letter_store> dead_letter_store::open(const std::string& dir, bool read_only,
                                                           std::error_code& ec) {
  auto env = lmdb_env::open(dir, 64ull << 20, {"letters", "next_id"}, read_only, ec);
  if (!env) return nullptr;
  auto s = std::make_unique<dead_letter_store>();
  s->env_ = std::move(env);
  return s;
}

std::error_code dead_letter_store::write(const std::function<int(MDB_txn*)>& body) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  return env_->write(body);
}

std::error_code dead_letter_store::add(std::vector<dead_letter>& letters) {
  return write([&](MDB_txn* txn) {
    std::error_code ec;
    auto stored = get(txn, env_->db(next_id_db), next_id_key, ec);
    if (ec) return ec.value();
    std::uint64_t next = stored ? keys::read_be64(*stored) : 1;
    for (auto& d : letters) {
      d.id = next++;
      int rc = put(txn, env_->db(letters_db), keys::event(d.tenant, d.id), encode(d));
      if (rc != 0) return rc;
    }
    std::string next_bytes;
    keys::append_be64(next_bytes, next);
    return put(txn, env_->db(next_id_db), next_id_key, next_bytes);
  });
}

std::error_code dead_letter_store::update(const dead_letter& letter) {
  return write([&](MDB_txn* txn) {
    auto key = keys::event(letter.tenant, letter.id);
    std::error_code ec;
    if (!get(txn, env_->db(letters_db), key, ec)) return ec ? ec.value() : 0;
    return put(txn, env_->db(letters_db), key, encode(letter));
  });
}

std::error_code dead_letter_store::list(std::string_view tenant, std::uint64_t after_id,
                                        std::size_t limit, std::vector<dead_letter>& out) {
  std::error_code ec;
  auto txn = env_->begin_read(ec);
  if (ec) return ec;
  auto cursor = open_cursor(txn->get(), env_->db(letters_db), ec);
  if (ec) return ec;
  auto prefix = keys::tenant_prefix(tenant);
  auto start = keys::event(tenant, after_id + 1);
  MDB_val k = to_val(start), v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0 && out.size() < limit; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    auto key = to_view(k);
    if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) break;
    out.push_back(decode(key, to_view(v)));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc);
  return {};
}

std::error_code dead_letter_store::find(std::string_view tenant,
                                        const std::vector<std::uint64_t>& ids,
                                        std::vector<dead_letter>& out) {
  std::error_code ec;
  auto txn = env_->begin_read(ec);
  if (ec) return ec;
  for (auto id : ids) {
    auto key = keys::event(tenant, id);
    auto value = get(txn->get(), env_->db(letters_db), key, ec);
    if (ec) return ec;
    if (value) out.push_back(decode(key, *value));
  }
  return {};
}

std::error_code dead_letter_store::remove(std::string_view tenant,
                                          const std::vector<std::uint64_t>& ids,
                                          std::size_t& removed) {
  removed = 0;
  return write([&](MDB_txn* txn) {
    removed = 0;
    for (auto id : ids) {
      auto key = keys::event(tenant, id);
      MDB_val k = to_val(key);
      int rc = mdb_del(txn, env_->db(letters_db), &k, nullptr);
      if (rc == 0)
        ++removed;
      else if (rc != MDB_NOTFOUND)
        return rc;
    }
    return 0;
  });
}

std::error_code dead_letter_store::purge(std::string_view tenant, std::size_t& removed) {
  return write([&](MDB_txn* txn) {
    std::error_code ec;
    removed = delete_prefix(txn, env_->db(letters_db), keys::tenant_prefix(tenant), ec);
    return ec.value();
  });
}

}  // namespace sluice
