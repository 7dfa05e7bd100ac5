// The hot-path event validator for POST /v1/events, /v1/events/batch and /v1/encode: turns request
// bodies into canonical stored JSON plus dedup keys, or into the documented 400/413 errors.
// Called on the HTTP io threads; each thread keeps its own simdjson parser, so calls are
// thread-safe and results own all their memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice {

struct validation_error {
  int status = 400;
  std::string code;
  std::string field;
  std::string message;
};

struct validated_event {
  std::string body;  // canonical stored JSON object (see below); the store adds seq and tenant_id
  // "k:" + Idempotency-Key or event_id; else
  // "n:" + session_id + '\x1f' + event_type + '\x1f' + normalised original timestamp
  std::string dedup_key;
  int64_t timestamp_us = 0;  // after clock-skew correction
  std::string event_type, session_id, event_id;
};

struct event_context {
  int64_t received_at_us = 0;
  std::string_view idempotency_key;  // empty = none
};

using event_result = std::variant<validated_event, validation_error>;

constexpr size_t max_event_bytes = 32 * 1024;  // after decoding
constexpr size_t max_field_bytes = 128;
constexpr size_t max_json_depth = 32;

// One event from POST /v1/events: a plain event or the envelope {"payload": "<base64 of the event
// JSON>"}. The canonical body's keys, in order: event_type, timestamp, event_id?,
// session_id?, device_id?, user_id?, sent_at?, original_timestamp?, properties?, received_at.
event_result validate_single(std::string_view body, const event_context& ctx);

// A batch: JSON array of events, or NDJSON (one event per non-empty line). Returns one result per
// event, in order, or a validation_error if the batch itself is unreadable (malformed array, not an
// array, more than max_events events → status 413 code "payload_too_large"). The Idempotency-Key
// is ignored: each event is deduplicated by its own event_id or natural key.
std::variant<std::vector<event_result>, validation_error> validate_batch(std::string_view body,
                                                                         bool ndjson,
                                                                         const event_context& ctx,
                                                                         size_t max_events = 1000);

// POST /v1/encode: validates one plain event and returns base64 of its minified JSON, or the error.
std::variant<std::string, validation_error> encode_event(std::string_view body,
                                                         const event_context& ctx);

}  // namespace sluice
