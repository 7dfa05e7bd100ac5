// Reads of one tenant's events from a shard: filtered pages in seq order, lookups by event_id,
// counts and stats over time windows (from the type+time index), sessions. Each call opens one
// short read txn and closes it before returning; safe on any thread and from another process.
#pragma once

#include "store/session_record.hpp"
#include "store/shard_store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct event_filter {
  std::string event_type;                      // empty: any
  std::string session_id;                      // empty: any
  std::string q;                               // substring of the properties' JSON text; empty: any
  std::optional<std::int64_t> from_us, to_us;  // [from, to) on timestamp
  std::uint64_t after_seq = 0;
  std::size_t limit = 100;
  std::size_t scan_budget = 50000;  // candidates examined per page, so one page stays short
};

struct event_page {
  std::vector<std::string> events;  // JSON objects with seq and tenant_id, in seq order
  // Where the next page starts; nullopt when nothing is left. Past the last event returned, or
  // past the last one examined when the scan budget ran out first.
  std::optional<std::uint64_t> next_after_seq;
};

std::error_code query_events(shard_store& store, std::string_view tenant, const event_filter& f,
                             event_page& page);

// The latest event stored with this event_id; nullopt when none.
std::optional<std::string> find_event(shard_store& store, std::string_view tenant,
                                      std::string_view event_id, std::error_code& ec);

// Events of one type with timestamp in [from, to).
std::uint64_t count_events(shard_store& store, std::string_view tenant, std::string_view type,
                           std::int64_t from_us, std::int64_t to_us, std::error_code& ec);

struct event_stats {
  std::uint64_t total = 0;
  std::map<std::string, std::uint64_t> by_type;  // types with at least one event in the window
};
event_stats stats_events(shard_store& store, std::string_view tenant, std::int64_t from_us,
                         std::int64_t to_us, std::error_code& ec);

std::optional<session_record> find_session(shard_store& store, std::string_view tenant,
                                           std::string_view session_id, std::error_code& ec);

// A stored events value (timestamp + body) as the API shows it: seq and tenant_id first.
std::string event_json(std::uint64_t seq, std::string_view tenant, std::string_view stored_value);

}  // namespace sluice
