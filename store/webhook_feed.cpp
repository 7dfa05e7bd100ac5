#include "store/webhook_feed.hpp"

#include "store/event_queries.hpp"
#include "store/keys.hpp"

#include <algorithm>
#include <limits>

namespace sluice {

std::error_code next_events(shard_store& store, std::string_view tenant,
                            const std::vector<std::string>& types, std::uint64_t after_seq,
                            std::size_t limit, std::vector<feed_event>& out) {
  out.clear();
  if (limit == 0 || after_seq == std::numeric_limits<std::uint64_t>::max()) return {};
  std::error_code ec;
  auto txn = store.env().begin_read(ec);
  if (ec) return ec;
  // Up to `limit` candidates per type. A type whose page is full may have more events past its
  // last candidate, so only seqs up to the smallest such "last" are known to be complete.
  std::uint64_t complete_to = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::pair<std::uint64_t, const std::string*>> candidates;
  for (auto& type : types) {
    auto prefix = keys::tenant_part(tenant, type);
    auto cursor = open_cursor(txn->get(), store.db(shard_store::type_seq_db), ec);
    if (ec) return ec;
    std::string start = prefix;
    keys::append_be64(start, after_seq + 1);
    MDB_val k = to_val(start), v;
    std::size_t taken = 0;
    std::uint64_t last = 0;
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
    for (; rc == 0 && taken < limit; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      auto key = to_view(k);
      if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) break;
      last = keys::read_be64(key.substr(prefix.size()));
      candidates.emplace_back(last, &type);
      ++taken;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc);
    if (taken == limit) complete_to = std::min(complete_to, last);
  }
  std::sort(candidates.begin(), candidates.end());
  for (auto& [seq, type] : candidates) {
    if (seq > complete_to || out.size() == limit) break;
    if (!out.empty() && out.back().seq == seq) continue;  // a type listed twice
    auto value = get(txn->get(), store.db(shard_store::events_db), keys::event(tenant, seq), ec);
    if (ec) return ec;
    if (!value) continue;  // the tenant's data is being deleted
    feed_event e;
    e.seq = seq;
    e.timestamp_us = static_cast<std::int64_t>(keys::read_be64(value->substr(0, 8)));
    e.event_type = *type;
    e.json = event_json(seq, tenant, *value);
    out.push_back(std::move(e));
  }
  return {};
}

std::uint64_t last_seq(shard_store& store, std::string_view tenant, std::error_code& ec) {
  auto txn = store.env().begin_read(ec);
  if (ec) return 0;
  auto value = get(txn->get(), store.db(shard_store::counters_db), keys::counter(tenant), ec);
  return value ? keys::read_be64(*value) : 0;
}

}  // namespace sluice
