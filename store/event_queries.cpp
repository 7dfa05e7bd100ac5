#include "store/event_queries.hpp"

#include "store/json_text.hpp"
#include "store/keys.hpp"

#include <limits>

namespace sluice {
namespace {

using table = shard_store::table;

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);  // the canonical body's escaping: compared byte for byte
  return out;
}

std::int64_t stored_timestamp(std::string_view value) {
  return static_cast<std::int64_t>(keys::read_be64(value.substr(0, 8)));
}

// The properties object's text inside a canonical body ("" when absent). Earlier members are
// strings whose quotes are escaped, so the first `,"properties":` is the member itself, and
// received_at is always the last member.
std::string_view properties_text(std::string_view body) {
  static constexpr std::string_view marker = ",\"properties\":";
  auto start = body.find(marker);
  auto end = body.rfind(",\"received_at\":");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start) return {};
  return body.substr(start + marker.size(), end - start - marker.size());
}

struct matcher {
  const event_filter& f;
  std::string type_prefix;  // `{"event_type":"<type>",` when filtering by type

  // The session filter needs no check here: it always picks the candidates (session index).
  explicit matcher(const event_filter& filter) : f(filter) {
    if (!f.event_type.empty()) type_prefix = "{\"event_type\":" + json_quoted(f.event_type) + ",";
  }

  bool operator()(std::string_view value) const {
    auto ts = stored_timestamp(value);
    if (f.from_us && ts < *f.from_us) return false;
    if (f.to_us && ts >= *f.to_us) return false;
    auto body = value.substr(8);
    if (!type_prefix.empty() && body.substr(0, type_prefix.size()) != type_prefix) return false;
    if (!f.q.empty() && properties_text(body).find(f.q) == std::string_view::npos) return false;
    return true;
  }
};

}  // namespace

std::string event_json(std::uint64_t seq, std::string_view tenant, std::string_view stored_value) {
  auto body = stored_value.substr(8);
  std::string out = "{\"seq\":" + std::to_string(seq) + ",\"tenant_id\":\"";
  out.append(tenant);  // tenant ids are [a-z0-9_-]: nothing to escape
  out += '"';
  if (body.size() > 2) out += ',';
  out.append(body.substr(1));
  return out;
}

std::error_code query_events(shard_store& store, std::string_view tenant, const event_filter& f,
                             event_page& page) {
  page = {};
  std::error_code ec;
  auto txn = store.env().begin_read(ec);
  if (ec) return ec;
  matcher matches(f);

  // Candidates in seq order: from the session index, the type index, or the events themselves.
  bool by_index = !f.session_id.empty() || !f.event_type.empty();
  table source = !f.session_id.empty()   ? table::session_seq_db
                 : !f.event_type.empty() ? table::type_seq_db
                                         : table::events_db;
  std::string prefix = source == table::session_seq_db ? keys::tenant_part(tenant, f.session_id)
                       : source == table::type_seq_db  ? keys::tenant_part(tenant, f.event_type)
                                                       : keys::tenant_prefix(tenant);
  auto cursor = open_cursor(txn->get(), store.db(source), ec);
  if (ec) return ec;
  std::string start = prefix;
  keys::append_be64(start, f.after_seq + 1);
  MDB_val k = to_val(start), v;
  int rc = f.after_seq == std::numeric_limits<std::uint64_t>::max()
               ? MDB_NOTFOUND
               : mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  std::size_t examined = 0;
  std::uint64_t last_seq = 0;
  bool more = false;
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    auto key = to_view(k);
    if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) break;
    if (page.events.size() == f.limit || examined == f.scan_budget) {
      more = true;  // there is at least one more candidate
      break;
    }
    ++examined;
    auto seq = keys::read_be64(key.substr(prefix.size()));
    last_seq = seq;
    std::string_view value = to_view(v);
    if (by_index) {
      auto found = get(txn->get(), store.db(table::events_db), keys::event(tenant, seq), ec);
      if (ec) return ec;
      if (!found) continue;
      value = *found;
    }
    if (matches(value)) page.events.push_back(event_json(seq, tenant, value));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc);
  if (more) page.next_after_seq = last_seq;
  return {};
}

std::optional<std::string> find_event(shard_store& store, std::string_view tenant,
                                      std::string_view event_id, std::error_code& ec) {
  auto txn = store.env().begin_read(ec);
  if (ec) return std::nullopt;
  auto seq = get(txn->get(), store.db(table::event_id_db), keys::named(tenant, event_id), ec);
  if (!seq || ec) return std::nullopt;
  auto n = keys::read_be64(*seq);
  auto value = get(txn->get(), store.db(table::events_db), keys::event(tenant, n), ec);
  if (!value || ec) return std::nullopt;
  return event_json(n, tenant, *value);
}

namespace {

std::uint64_t count_range(MDB_txn* txn, MDB_dbi db, const std::string& prefix, std::int64_t from_us,
                          std::int64_t to_us, std::error_code& ec) {
  auto cursor = open_cursor(txn, db, ec);
  if (ec) return 0;
  std::string start = prefix, end = prefix;
  keys::append_be64(start, static_cast<std::uint64_t>(std::max<std::int64_t>(from_us, 0)));
  keys::append_be64(end, static_cast<std::uint64_t>(std::max<std::int64_t>(to_us, 0)));
  MDB_val k = to_val(start), v;
  std::uint64_t n = 0;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    auto key = to_view(k);
    if (key.size() != prefix.size() + 16 || key.substr(0, prefix.size()) != prefix) break;
    if (key.substr(0, end.size()) >= end) break;
    ++n;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) ec = lmdb_error(rc);
  return n;
}

}  // namespace

std::uint64_t count_events(shard_store& store, std::string_view tenant, std::string_view type,
                           std::int64_t from_us, std::int64_t to_us, std::error_code& ec) {
  auto txn = store.env().begin_read(ec);
  if (ec) return 0;
  return count_range(txn->get(), store.db(table::type_time_db), keys::tenant_part(tenant, type),
                     from_us, to_us, ec);
}

event_stats stats_events(shard_store& store, std::string_view tenant, std::int64_t from_us,
                         std::int64_t to_us, std::error_code& ec) {
  event_stats stats;
  auto txn = store.env().begin_read(ec);
  if (ec) return stats;
  auto cursor = open_cursor(txn->get(), store.db(table::types_db), ec);
  if (ec) return stats;
  auto prefix = keys::tenant_prefix(tenant);
  MDB_val k = to_val(prefix), v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    auto key = to_view(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    auto type = key.substr(prefix.size());
    auto n = count_range(txn->get(), store.db(table::type_time_db), keys::tenant_part(tenant, type),
                         from_us, to_us, ec);
    if (ec) return stats;
    if (n > 0) stats.by_type[std::string(type)] = n;
    stats.total += n;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) ec = lmdb_error(rc);
  return stats;
}

std::optional<session_record> find_session(shard_store& store, std::string_view tenant,
                                           std::string_view session_id, std::error_code& ec) {
  auto txn = store.env().begin_read(ec);
  if (ec) return std::nullopt;
  auto value = get(txn->get(), store.db(table::sessions_db), keys::named(tenant, session_id), ec);
  if (!value || ec) return std::nullopt;
  return session_record::decode(*value);
}

}  // namespace sluice
