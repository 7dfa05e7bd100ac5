// What a webhook subscription reads from its tenant's shard: the next stored events of a set of
// event types after a seq, merged in seq order from the per-type index, and the tenant's last
// seq (where a new subscription starts). Short read txns; safe on any thread (the webhook
// dispatcher calls them on its own thread).
#pragma once

#include "store/shard_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct feed_event {
  std::uint64_t seq = 0;
  std::int64_t timestamp_us = 0;
  std::string event_type;
  std::string json;  // the event as GET /v1/events returns it
};

// Up to `limit` of the tenant's events whose type is in `types` and seq > after_seq, in seq
// order, with no gap: every matching event up to the last one returned is included.
std::error_code next_events(shard_store& store, std::string_view tenant,
                            const std::vector<std::string>& types, std::uint64_t after_seq,
                            std::size_t limit, std::vector<feed_event>& out);

// The tenant's last assigned seq (0: none yet).
std::uint64_t last_seq(shard_store& store, std::string_view tenant, std::error_code& ec);

}  // namespace sluice
