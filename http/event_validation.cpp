// simdjson DOM, one parser per thread: a parse reuses the previous buffers, so validation does
// not allocate per event beyond the result itself. Every string_view taken from a parsed document
// dies with the next parse on this thread, so results are built before any second parse.
#include "http/event_validation.hpp"

#include "store/json_text.hpp"

#include <simdjson.h>

#include "http/base64.hpp"
#include "store/timestamp.hpp"

namespace sluice {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Largest base64 text that can decode to at most max_event_bytes, and the largest single-event
// body worth parsing: such an envelope plus room for `{"payload":""}` and whitespace.
constexpr size_t max_payload_chars = (max_event_bytes + 2) / 3 * 4;
constexpr size_t max_envelope_bytes = max_payload_chars + 1024;

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

validation_error field_error(std::string_view field, std::string_view what) {
  std::string message(field);
  message += ": ";
  message += what;
  return {400, "invalid_event", std::string(field), std::move(message)};
}

validation_error too_large(std::string message) {
  return {413, "payload_too_large", "", std::move(message)};
}

validation_error event_too_large() {
  return too_large("event is larger than 32 KiB (32768 bytes)");
}

validation_error nested_too_deep() {
  return {400, "invalid_json", "", "JSON nested deeper than 32 levels"};
}

validation_error parse_error(simdjson::error_code error) {
  if (error == simdjson::UTF8_ERROR) return {400, "invalid_utf8", "", "body is not valid UTF-8"};
  if (error == simdjson::DEPTH_ERROR) return nested_too_deep();
  return {400, "invalid_json", "",
          std::string("malformed JSON: ") + simdjson::error_message(error)};
}

// True when `e`, sitting `depth` containers deep, holds a container deeper than `limit`.
bool deeper_than(element e, size_t depth, size_t limit) {
  if (e.type() == element_type::ARRAY) {
    if (depth + 1 > limit) return true;
    simdjson::dom::array array;
    if (e.get_array().get(array)) return false;
    for (element child : array) {
      if (deeper_than(child, depth + 1, limit)) return true;
    }
  } else if (e.type() == element_type::OBJECT) {
    if (depth + 1 > limit) return true;
    simdjson::dom::object object;
    if (e.get_object().get(object)) return false;
    for (simdjson::dom::key_value_pair field : object) {
      if (deeper_than(field.value, depth + 1, limit)) return true;
    }
  }
  return false;
}

void append_member(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, value);
}

enum known_field : int {
  f_event_type,
  f_event_name,
  f_timestamp,
  f_event_id,
  f_session_id,
  f_device_id,
  f_user_id,
  f_sent_at,
  f_properties,
  f_count
};

constexpr std::string_view field_names[f_count] = {"event_type", "event_name", "timestamp",
                                                   "event_id",   "session_id", "device_id",
                                                   "user_id",    "sent_at",    "properties"};

int lookup_field(std::string_view key) {
  for (int i = 0; i < f_count; ++i) {
    if (field_names[i] == key) return i;
  }
  return -1;
}

// Judges one parsed event. `idempotency_key` (may be empty) overrides event_id as dedup key.
event_result judge_event(element root, const event_context& ctx, std::string_view idempotency_key) {
  if (deeper_than(root, 0, max_json_depth)) return nested_too_deep();
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return validation_error{400, "invalid_event", "", "an event must be a JSON object"};
  }

  std::string_view text[f_count];
  bool seen[f_count] = {};
  element properties;
  for (simdjson::dom::key_value_pair member : object) {
    const int which = lookup_field(member.key);
    if (which < 0) return field_error(member.key, "unknown field");
    if (seen[which]) return field_error(member.key, "given more than once");
    seen[which] = true;
    if ((which == f_event_type && seen[f_event_name]) ||
        (which == f_event_name && seen[f_event_type])) {
      return field_error("event_type", "event_type and its alias event_name are both given");
    }
    if (which == f_properties) {
      if (member.value.type() != element_type::OBJECT) {
        return field_error(member.key, "must be an object");
      }
      properties = member.value;
      continue;
    }
    if (member.value.get_string().get(text[which])) {
      return field_error(member.key, "must be a string");
    }
    if (which == f_timestamp || which == f_sent_at) continue;  // parsed below
    if (text[which].empty()) return field_error(member.key, "must not be empty");
    if (text[which].size() > max_field_bytes) {
      return field_error(member.key, "must be at most 128 bytes");
    }
  }

  const std::string_view event_type = seen[f_event_name] ? text[f_event_name] : text[f_event_type];
  if (!seen[f_event_type] && !seen[f_event_name]) return field_error("event_type", "is required");
  if (!seen[f_timestamp]) return field_error("timestamp", "is required");
  const std::optional<int64_t> timestamp = parse_timestamp(text[f_timestamp]);
  if (!timestamp) return field_error("timestamp", "not an RFC 3339 UTC time");

  validated_event event;
  event.timestamp_us = *timestamp;
  std::optional<int64_t> sent_at;
  if (seen[f_sent_at]) {
    sent_at = parse_timestamp(text[f_sent_at]);
    if (!sent_at) return field_error("sent_at", "not an RFC 3339 UTC time");
    // The client's clock is off by (sent_at - received_at); shift the event by the same amount.
    static const int64_t end_of_range = *parse_timestamp("9999-12-31T23:59:59.999999Z") + 1;
    const int64_t corrected = ctx.received_at_us - (*sent_at - *timestamp);
    if (corrected < 0 || corrected >= end_of_range) {
      return field_error("sent_at", "clock-skew correction moves timestamp outside 1970..9999");
    }
    event.timestamp_us = corrected;
  }
  // The natural key uses the client's own timestamp: a retry arrives at another received_at, so
  // the corrected one would differ.
  const std::string original = format_timestamp(*timestamp);

  std::string& body = event.body;
  std::string props_json = seen[f_properties] ? simdjson::to_string(properties) : std::string();
  body.reserve(192 + event_type.size() + props_json.size());
  body += "{\"event_type\":";
  append_json_string(body, event_type);
  append_member(body, "timestamp", format_timestamp(event.timestamp_us));
  for (int f : {f_event_id, f_session_id, f_device_id, f_user_id}) {
    if (seen[f]) append_member(body, field_names[f], text[f]);
  }
  if (sent_at) {
    append_member(body, "sent_at", format_timestamp(*sent_at));
    append_member(body, "original_timestamp", original);
  }
  if (seen[f_properties]) {
    body += ",\"properties\":";
    body += props_json;
  }
  append_member(body, "received_at", format_timestamp(ctx.received_at_us));
  body.push_back('}');

  event.event_type = std::string(event_type);
  event.session_id = std::string(text[f_session_id]);
  event.event_id = std::string(text[f_event_id]);
  if (!idempotency_key.empty()) {
    event.dedup_key = "k:" + std::string(idempotency_key);
  } else if (seen[f_event_id]) {
    event.dedup_key = "k:" + event.event_id;
  } else {
    event.dedup_key = "n:" + event.session_id + '\x1f' + event.event_type + '\x1f' + original;
  }
  return event;
}

// Parses and judges one plain event given as its own text (a body, a decoded payload, a line).
event_result judge_text(std::string_view text, const event_context& ctx,
                        std::string_view idempotency_key) {
  if (text.size() > max_event_bytes) return event_too_large();
  element root;
  if (auto error = thread_parser().parse(text.data(), text.size()).get(root)) {
    return parse_error(error);
  }
  return judge_event(root, ctx, idempotency_key);
}

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

event_result validate_single(std::string_view body, const event_context& ctx) {
  if (ctx.idempotency_key.size() > max_field_bytes) {
    return field_error("Idempotency-Key", "must be at most 128 bytes");
  }
  if (body.size() > max_envelope_bytes) return event_too_large();
  element root;
  if (auto error = thread_parser().parse(body.data(), body.size()).get(root)) {
    return parse_error(error);
  }

  simdjson::dom::object object;
  const bool envelope =
      !root.get_object().get(object) && object.size() == 1 && (*object.begin()).key == "payload";
  if (!envelope) {
    if (body.size() > max_event_bytes) return event_too_large();
    return judge_event(root, ctx, ctx.idempotency_key);
  }

  std::string_view payload;
  if ((*object.begin()).value.get_string().get(payload)) {
    return field_error("payload", "must be a string");
  }
  if (payload.size() > max_payload_chars) return event_too_large();
  std::optional<std::string> decoded = base64_decode(payload);
  if (!decoded)
    return validation_error{400, "invalid_base64", "payload", "payload: not valid base64"};
  // `payload` pointed into the parser; the decoded copy is all we use from here on.
  return judge_text(*decoded, ctx, ctx.idempotency_key);
}

std::variant<std::vector<event_result>, validation_error> validate_batch(std::string_view body,
                                                                         bool ndjson,
                                                                         const event_context& ctx,
                                                                         size_t max_events) {
  std::vector<event_result> results;
  const std::string too_many = "batch has more than " + std::to_string(max_events) + " events";

  if (ndjson) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(start, end - start);
      start = end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (is_blank(line)) continue;
      if (lines.size() == max_events) return too_large(too_many);
      lines.push_back(line);
    }
    results.reserve(lines.size());
    for (std::string_view line : lines) results.push_back(judge_text(line, ctx, {}));
    return results;
  }

  element root;
  if (auto error = thread_parser().parse(body.data(), body.size()).get(root)) {
    return parse_error(error);
  }
  simdjson::dom::array array;
  if (root.get_array().get(array)) {
    return validation_error{400, "invalid_event", "",
                            "a batch must be a JSON array of events (or NDJSON)"};
  }
  if (array.size() > max_events) return too_large(too_many);
  // The DOM keeps no source spans, so an element's size is that of its minified JSON. A body
  // within the limit cannot hold an element over it, which spares small batches the work.
  const bool check_sizes = body.size() > max_event_bytes;
  results.reserve(array.size());
  for (element e : array) {
    if (check_sizes && simdjson::to_string(e).size() > max_event_bytes) {
      results.push_back(event_too_large());
    } else {
      results.push_back(judge_event(e, ctx, {}));
    }
  }
  return results;
}

std::variant<std::string, validation_error> encode_event(std::string_view body,
                                                         const event_context& ctx) {
  event_result judged = judge_text(body, ctx, {});
  if (auto* error = std::get_if<validation_error>(&judged)) return std::move(*error);
  // Minify the client's text rather than re-serialise the DOM, so numbers keep their spelling.
  std::string minified(body.size() + simdjson::SIMDJSON_PADDING, '\0');
  size_t length = 0;
  if (simdjson::minify(body.data(), body.size(), minified.data(), length)) {
    return validation_error{400, "invalid_json", "", "malformed JSON"};
  }
  minified.resize(length);
  return base64_encode(minified);
}

}  // namespace sluice
