// A session's summary as stored in the sessions table: first/last seen (event timestamps),
// event count and counts per event type. Binary, updated in the writer's transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

struct session_record {
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;
  std::uint64_t event_count = 0;
  std::map<std::string, std::uint64_t> event_types;

  void add(std::string_view event_type, std::int64_t timestamp_us);
  std::string encode() const;
  static std::optional<session_record> decode(std::string_view bytes);
};

}  // namespace sluice
