// One validated event on its way to a writer shard: what the edge produces and the store writes.
// Plain data; owned by whoever holds it (moved edge → tenant actor → writer).
#pragma once

#include <cstdint>
#include <string>

namespace sluice {

struct journal_event {
  std::string dedup_digest;  // 16 bytes of SHA-256 of the dedup key
  std::string body;          // canonical JSON; the store adds seq and tenant_id on read
  std::string event_type;
  std::string session_id;  // empty: none
  std::string event_id;    // empty: none
  std::int64_t timestamp_us = 0;
};

}  // namespace sluice
