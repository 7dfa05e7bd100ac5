// Unit tests for http/event_validation: the event rules of shared/API.md (fields, types, lengths,
// depth, size, envelope, clock skew, dedup keys) and the canonical stored body, for single events,
// JSON-array and NDJSON batches, and POST /v1/encode.
#include "http/event_validation.hpp"

#include <catch2/catch.hpp>

#include "http/base64.hpp"
#include "store/timestamp.hpp"

using namespace sluice;

namespace {

const int64_t received = *parse_timestamp("2026-01-02T00:00:00.250Z");
const event_context ctx{received, ""};
const std::string ts_field = R"("timestamp":"2026-01-01T15:12:11Z")";
const std::string min_event = R"({"event_type":"page_view",)" + ts_field + "}";
const std::string received_tail = R"("received_at":"2026-01-02T00:00:00.250Z"})";

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

// A minimal valid event with `field` set to the raw JSON `value` (replacing a required default).
std::string with_field(const std::string& field, const std::string& value) {
  std::string out = "{";
  if (field != "event_type" && field != "event_name") out += R"("event_type":"a",)";
  if (field != "timestamp") out += ts_field + ",";
  return out + quoted(field) + ":" + value + "}";
}

std::string envelope(const std::string& event) {
  return R"({"payload":")" + base64_encode(event) + "\"}";
}

validated_event accepted(const event_result& r) {
  if (auto* e = std::get_if<validation_error>(&r))
    FAIL(e->code << " " << e->field << " " << e->message);
  return std::get<validated_event>(r);
}

validation_error rejected(const event_result& r) {
  REQUIRE(std::holds_alternative<validation_error>(r));
  return std::get<validation_error>(r);
}

void check_error(const event_result& r, int status, const std::string& code,
                 const std::string& field) {
  const validation_error e = rejected(r);
  CHECK(e.status == status);
  CHECK(e.code == code);
  CHECK(e.field == field);
  CHECK_FALSE(e.message.empty());
}

void expect_error(std::string_view body, const event_context& c, int status,
                  const std::string& code, const std::string& field) {
  INFO(body.substr(0, 200));
  check_error(validate_single(body, c), status, code, field);
}

void expect_error(std::string_view body, int status, const std::string& code,
                  const std::string& field) {
  expect_error(body, ctx, status, code, field);
}

validated_event accept(std::string_view body, const event_context& c = ctx) {
  return accepted(validate_single(body, c));
}

// An event whose properties pad it to exactly `size` bytes.
std::string event_of_size(size_t size) {
  const std::string head = R"({"event_type":"a",)" + ts_field + R"(,"properties":{"p":")";
  return head + std::string(size - head.size() - 3, 'x') + "\"}}";
}

// An event nested `depth` levels deep (the event object is level 1, properties level 2), the
// levels below properties being objects or arrays.
std::string event_of_depth(size_t depth, bool arrays = false) {
  std::string inner = arrays ? "[]" : "{}";
  for (size_t i = 3; i < depth; ++i) inner = arrays ? "[" + inner + "]" : R"({"a":)" + inner + "}";
  return R"({"event_type":"a",)" + ts_field + R"(,"properties":{"a":)" + inner + "}}";
}

std::vector<event_result> batch_ok(std::string_view body, bool ndjson, size_t max = 1000,
                                   const event_context& c = ctx) {
  auto r = validate_batch(body, ndjson, c, max);
  if (auto* e = std::get_if<validation_error>(&r))
    FAIL("batch error " << e->code << " " << e->message);
  return std::get<std::vector<event_result>>(r);
}

validation_error batch_error(std::string_view body, bool ndjson, size_t max = 1000) {
  auto r = validate_batch(body, ndjson, ctx, max);
  REQUIRE(std::holds_alternative<validation_error>(r));
  return std::get<validation_error>(r);
}

}  // namespace

TEST_CASE("event: minimal event gets the canonical body", "[event]") {
  const validated_event e = accept(min_event);
  CHECK(e.body ==
        R"({"event_type":"page_view","timestamp":"2026-01-01T15:12:11Z",)" +
            received_tail);
  CHECK(e.timestamp_us == *parse_timestamp("2026-01-01T15:12:11Z"));
  CHECK(e.event_type == "page_view");
  CHECK(e.session_id.empty());
  CHECK(e.event_id.empty());
}

TEST_CASE("event: full event keeps the canonical key order and minified properties", "[event]") {
  const std::string body = R"({ "properties": { "path": "/home", "n": [1, 2.5, true, null] },
    "user_id": "u-1", "device_id": "d-9", "session_id": "assw123",
    "timestamp": "2026-01-01T16:12:11.5+01:00", "event_name": "page_view", "event_id": "e-123" })";
  const validated_event e = accept(body);
  CHECK(e.body ==
        R"({"event_type":"page_view","timestamp":"2026-01-01T15:12:11.500Z",)"
        R"("event_id":"e-123","session_id":"assw123","device_id":"d-9","user_id":"u-1",)"
        R"("properties":{"path":"/home","n":[1,2.5,true,null]},)" +
            received_tail);
  CHECK(e.event_type == "page_view");
  CHECK(e.session_id == "assw123");
  CHECK(e.event_id == "e-123");
}

TEST_CASE("event: strings are re-escaped correctly in the canonical body", "[event]") {
  const std::string body = R"({"event_type":"q\"b\\s\/n\n\u0001 \u00e9 é",)" + ts_field + "}";
  const validated_event e = accept(body, event_context{received, ""});
  CHECK(e.event_type == "q\"b\\s/n\n\x01 \xc3\xa9 \xc3\xa9");
  CHECK(e.body ==
        "{\"event_type\":\"q\\\"b\\\\s/n\\n\\u0001 \xc3\xa9 \xc3\xa9\"," +
            ts_field + "," + received_tail);
}

TEST_CASE("event: timestamp forms are normalised to UTC in the body", "[event]") {
  const auto stored = [](const char* ts) {
    return accept(with_field("timestamp", quoted(ts))).timestamp_us;
  };
  const int64_t want = *parse_timestamp("2026-01-01T15:12:11.123456Z");
  CHECK(stored("2026-01-01T15:12:11.123456Z") == want);
  CHECK(stored("2026-01-01 15:12:11.123456789") == want);
  CHECK(stored("2026-01-01t10:12:11.123456-05:00") == want);
  const validated_event e = accept(with_field("timestamp", R"("2024-02-29 23:30:00-01:00")"));
  CHECK(e.body.find(R"("timestamp":"2024-03-01T00:30:00Z")") != std::string::npos);
}

TEST_CASE("event: top level must be an object", "[event]") {
  for (const char* body : {"[]", "[{}]", "\"x\"", "42", "null", "true"}) {
    INFO(body);
    expect_error(body, 400, "invalid_event", "");
  }
}

TEST_CASE("event: missing required fields name the field", "[event]") {
  expect_error("{" + ts_field + "}", 400, "invalid_event", "event_type");
  expect_error(R"({"event_type":"a"})", 400, "invalid_event", "timestamp");
  expect_error("{}", 400, "invalid_event", "event_type");
}

TEST_CASE("event: event_name is an alias but not together with event_type", "[event]") {
  const validated_event e = accept(R"({"event_name":"login",)" + ts_field + "}");
  CHECK(e.event_type == "login");
  CHECK(e.body.find(R"("event_type":"login")") != std::string::npos);
  CHECK(e.body.find("event_name") == std::string::npos);
  expect_error(R"({"event_type":"a","event_name":"b",)" + ts_field + "}", 400, "invalid_event",
               "event_type");
  expect_error(R"({"event_name":"b",)" + ts_field + R"(,"event_type":"a"})", 400, "invalid_event",
               "event_type");
}

TEST_CASE("event: unknown and repeated top-level fields are rejected", "[event]") {
  const validation_error e = rejected(validate_single(with_field("colour", R"("red")"), ctx));
  CHECK(e.status == 400);
  CHECK(e.code == "invalid_event");
  CHECK(e.field == "colour");
  CHECK_THAT(e.message, Catch::Contains("unknown field"));
  for (const char* server_field :
       {"tenant_id", "received_at", "seq", "original_timestamp", "Event_Id"}) {
    expect_error(with_field(server_field, R"("x")"), 400, "invalid_event", server_field);
  }
  expect_error(with_field("event_type", R"("a","event_type":"b")"), 400, "invalid_event",
               "event_type");
}

TEST_CASE("event: wrong types name the field and the expected type", "[event]") {
  const auto type_error = [](const std::string& field, const std::string& value) {
    INFO(field << " = " << value);
    const validation_error e = rejected(validate_single(with_field(field, value), ctx));
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_event");
    CHECK(e.field == field);
    return e.message;
  };
  for (const char* f : {"event_type", "event_name", "timestamp", "event_id", "session_id",
                        "device_id", "user_id", "sent_at"}) {
    for (const char* value : {"42", "null", "true", R"({"v":"x"})", R"(["x"])"}) {
      CHECK_THAT(type_error(f, value), Catch::Contains("must be a string"));
    }
  }
  for (const char* value : {"[1]", R"("x")", "null", "7"}) {
    CHECK_THAT(type_error("properties", value), Catch::Contains("must be an object"));
  }
  CHECK(accept(with_field("properties", "{}")).body.find(R"("properties":{})") !=
        std::string::npos);
}

TEST_CASE("event: string fields must be non-empty and at most 128 bytes", "[event]") {
  std::string e64;  // 64 two-byte characters: 128 bytes
  for (int i = 0; i < 64; ++i) e64 += "\xc3\xa9";
  for (const char* f :
       {"event_type", "event_name", "event_id", "session_id", "device_id", "user_id"}) {
    INFO(f);
    const validated_event ok = accept(with_field(f, quoted(std::string(128, 'v'))));
    CHECK(ok.body.find(quoted(std::string(128, 'v'))) != std::string::npos);
    accept(with_field(f, quoted(e64)));
    expect_error(with_field(f, quoted(std::string(129, 'v'))), 400, "invalid_event", f);
    expect_error(with_field(f, quoted(e64 + "\xc3\xa9")), 400, "invalid_event", f);
    expect_error(with_field(f, R"("")"), 400, "invalid_event", f);
  }
}

TEST_CASE("event: unparseable timestamp or sent_at names the field", "[event]") {
  for (const char* ts :
       {"2026-01-01", "2026-02-30T00:00:00Z", "1767280331", "2026-01-01T15:12:11", ""}) {
    INFO(ts);
    expect_error(with_field("timestamp", quoted(ts)), 400, "invalid_event", "timestamp");
    expect_error(with_field("sent_at", quoted(ts)), 400, "invalid_event", "sent_at");
  }
}

TEST_CASE("event: malformed JSON and invalid UTF-8 get their own codes", "[event]") {
  for (const char* body :
       {"", "  ", "{", R"({"event_type":"a",})", R"({"event_type":'a'})", "{} {}", R"({"a":"\q"})",
        R"({"a":"\ud800"})", "{\"a\":\"line\nbreak\"}"}) {
    INFO(body);
    expect_error(body, 400, "invalid_json", "");
  }
  expect_error(min_event + "x", 400, "invalid_json", "");
  expect_error(with_field("user_id", "\"a\xff\""), 400, "invalid_utf8", "");
  expect_error(with_field("properties", "{\"k\":\"\xc3\"}"), 400, "invalid_utf8", "");
}

TEST_CASE("event: nesting up to 32 levels is accepted, 33 is not", "[event]") {
  accept(event_of_depth(32));
  accept(event_of_depth(32, true));
  for (const std::string& body :
       {event_of_depth(33), event_of_depth(33, true), event_of_depth(5000)}) {
    const validation_error e = rejected(validate_single(body, ctx));
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_json");
    CHECK_THAT(e.message, Catch::Contains("nested deeper than 32"));
  }
}

TEST_CASE("event: events over 32 KiB get 413", "[event]") {
  REQUIRE(event_of_size(max_event_bytes).size() == 32768);
  accept(event_of_size(max_event_bytes));
  expect_error(event_of_size(max_event_bytes + 1), 413, "payload_too_large", "");
  expect_error(event_of_size(200'000), 413, "payload_too_large", "");
}

TEST_CASE("event: the base64 envelope is unwrapped and validated like a plain event", "[event]") {
  const std::string plain = with_field("properties", R"({"k":1})");
  const validated_event direct = accept(plain);
  const validated_event wrapped = accept(R"({ "payload" : ")" + base64_encode(plain) + "\" }");
  CHECK(wrapped.body == direct.body);
  CHECK(wrapped.dedup_key == direct.dedup_key);
  // The decoded size counts: a 32 KiB event fits although its envelope is larger.
  accept(envelope(event_of_size(max_event_bytes)));
  expect_error(envelope(event_of_size(max_event_bytes + 1)), 413, "payload_too_large", "");
  expect_error(envelope(event_of_size(100'000)), 413, "payload_too_large", "");
  const event_context keyed{received, "idem"};
  CHECK(accept(envelope(min_event), keyed).dedup_key == "k:idem");
}

TEST_CASE("event: envelope errors", "[event]") {
  for (const char* payload :
       {"not base64!", "eyJ", "eyJhIjoxfQ", "eyJhIjoxfQ== ", "e30=\\n", "e3 0="}) {
    INFO(payload);
    expect_error(R"({"payload":")" + std::string(payload) + "\"}", 400, "invalid_base64",
                 "payload");
  }
  expect_error(R"({"payload":42})", 400, "invalid_event", "payload");
  // Only an object whose sole key is payload is an envelope.
  expect_error(R"({"payload":"e30=","event_type":"a"})", 400, "invalid_event", "payload");
  expect_error(envelope("{nope"), 400, "invalid_json", "");
  expect_error(envelope(""), 400, "invalid_json", "");
  expect_error(envelope("{\"event_type\":\"\xff\"}"), 400, "invalid_utf8", "");
  expect_error(envelope("[1]"), 400, "invalid_event", "");
  expect_error(envelope(R"({"event_type":"a"})"), 400, "invalid_event", "timestamp");
  expect_error(envelope(event_of_depth(33)), 400, "invalid_json", "");
  // An envelope inside an envelope is not unwrapped twice.
  expect_error(envelope(envelope(min_event)), 400, "invalid_event", "payload");
}

TEST_CASE("event: sent_at corrects clock skew and keeps the original timestamp", "[event]") {
  // The client's clock says it sent the event 30 s after it happened; we received it at
  // 2026-01-02T00:00:00.250Z, so it happened 30 s before that.
  const validated_event e = accept(with_field("sent_at", R"("2026-01-01T15:12:41Z")"));
  CHECK(e.timestamp_us == received - 30'000'000);
  CHECK(e.body ==
        R"({"event_type":"a","timestamp":"2026-01-01T23:59:30.250Z",)"
        R"("sent_at":"2026-01-01T15:12:41Z","original_timestamp":"2026-01-01T15:12:11Z",)" +
            received_tail);
  // A clock years ahead, with an offset, fractions and the space form.
  const validated_event ahead = accept(
      R"({"event_type":"a","timestamp":"2030-06-01T12:00:00.000001+02:00","sent_at":"2030-06-01 10:00:01"})",
      ctx);
  CHECK(ahead.timestamp_us == received - 999'999);
  CHECK(ahead.body.find(R"("original_timestamp":"2030-06-01T10:00:00.000001Z")") !=
        std::string::npos);
  CHECK(ahead.body.find(R"("sent_at":"2030-06-01T10:00:01Z")") != std::string::npos);
  // sent_at before timestamp puts the event after received_at.
  CHECK(accept(with_field("sent_at", R"("2026-01-01T15:12:06Z")")).timestamp_us ==
        received + 5'000'000);
  // A correction that leaves 1970..9999 is the client's sent_at at fault.
  check_error(
      validate_single(
          R"({"event_type":"a","timestamp":"1970-01-01T00:00:00Z","sent_at":"2030-01-01T00:00:00Z"})",
          ctx),
      400, "invalid_event", "sent_at");
}

TEST_CASE("event: dedup key prefers Idempotency-Key, then event_id, then the natural key",
          "[event]") {
  const std::string with_id = with_field("event_id", R"("e-1")");
  const event_context keyed{received, "retry-7"};
  CHECK(accept(with_id).dedup_key == "k:e-1");
  CHECK(accept(with_id, keyed).dedup_key == "k:retry-7");
  CHECK(accept(min_event, keyed).dedup_key == "k:retry-7");
  CHECK(accept(min_event).dedup_key == std::string("n:\x1fpage_view\x1f") + "2026-01-01T15:12:11Z");
  const validated_event natural =
      accept(R"({"event_type":"login","timestamp":"2026-01-01 16:12:11.5","session_id":"s-1"})");
  CHECK(natural.dedup_key == std::string("n:s-1\x1flogin\x1f") + "2026-01-01T16:12:11.500Z");
  // The same instant spelled differently, retried later with a sent_at, dedupes alike.
  const validated_event same = accept(
      R"({"event_type":"login","timestamp":"2026-01-01T17:12:11.500+01:00","session_id":"s-1",)"
      R"("sent_at":"2026-01-01T16:12:12Z"})",
      event_context{received + 60'000'000, ""});
  CHECK(same.dedup_key == natural.dedup_key);
}

TEST_CASE("event: Idempotency-Key may be 128 bytes but not 129", "[event]") {
  const std::string k128(128, 'k'), k129(129, 'k');
  CHECK(accept(min_event, event_context{received, k128}).dedup_key == "k:" + k128);
  expect_error(min_event, event_context{received, k129}, 400, "invalid_event",
               "Idempotency-Key");
}

TEST_CASE("batch: a JSON array is judged element by element, in order", "[batch]") {
  const std::string last = with_field("event_id", R"("e-9")");
  const std::string body = "[" + min_event + R"(,{"event_type":"a"},)" + event_of_depth(32) + "," +
                           event_of_depth(33) + R"(,"x",)" + last + "]";
  const auto results =
      batch_ok(body, false, 1000, event_context{received, "ignored-in-batches"});
  REQUIRE(results.size() == 6);
  CHECK(accepted(results[0]).dedup_key ==
        std::string("n:\x1fpage_view\x1f") + "2026-01-01T15:12:11Z");
  check_error(results[1], 400, "invalid_event", "timestamp");
  accepted(results[2]);  // depth 32 counted from the element, not the array
  CHECK_THAT(rejected(results[3]).message, Catch::Contains("nested deeper than 32"));
  check_error(results[4], 400, "invalid_event", "");
  CHECK(accepted(results[5]).dedup_key == "k:e-9");
  CHECK(accepted(results[5]).body == accept(last).body);
}

TEST_CASE("batch: an unreadable JSON array is a batch error", "[batch]") {
  for (const char* body : {"", "[", "[{}", "[{},]", "{} {}", "[1] [2]"}) {
    INFO(body);
    const validation_error e = batch_error(body, false);
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_json");
  }
  CHECK(batch_error("[\"\xff\"]", false).code == "invalid_utf8");
  for (const std::string& body : {min_event, std::string("42"), std::string("\"[]\"")}) {
    const validation_error e = batch_error(body, false);
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_event");
  }
  CHECK(batch_ok("[]", false).empty());
  CHECK(batch_ok(" [ ] ", false).empty());
}

TEST_CASE("batch: more than max_events events get 413", "[batch]") {
  const std::string three = "[" + min_event + "," + min_event + "," + min_event + "]";
  CHECK(batch_ok(three, false, 3).size() == 3);
  const validation_error e = batch_error(three, false, 2);
  CHECK(e.status == 413);
  CHECK(e.code == "payload_too_large");
  std::string big = "[" + min_event, nd = min_event + "\n\n";
  for (int i = 1; i < 1001; ++i) big += "," + min_event, nd += min_event + "\n\n";
  CHECK(batch_error(big + "]", false).status == 413);
  CHECK(batch_error(nd, true).code == "payload_too_large");
  CHECK(batch_ok(nd.substr(nd.find('\n') + 2), true).size() == 1000);  // blank lines do not count
}

TEST_CASE("batch: an array element over 32 KiB is rejected alone", "[batch]") {
  const auto results = batch_ok("[" + event_of_size(max_event_bytes) + "," +
                                    event_of_size(max_event_bytes + 1) + "," + min_event + "]",
                                false);
  REQUIRE(results.size() == 3);
  accepted(results[0]);
  check_error(results[1], 413, "payload_too_large", "");
  accepted(results[2]);
}

TEST_CASE("batch: NDJSON lines are judged alone and blank lines skipped", "[batch]") {
  const std::string body = "\n" + min_event + "\r\n\r\n   \n{broken\n" + event_of_depth(33) + "\n" +
                           event_of_size(max_event_bytes + 1) + "\n{\"event_type\":\"\xff\"}\n" +
                           event_of_size(max_event_bytes) + "\r\n" + R"({"event_name":"last",)" +
                           ts_field + "}";
  for (const std::string& text : {body, body + "\n", body + "\r\n\n"}) {
    const auto results = batch_ok(text, true);
    REQUIRE(results.size() == 7);
    CHECK(accepted(results[0]).body == accept(min_event).body);
    check_error(results[1], 400, "invalid_json", "");
    CHECK_THAT(rejected(results[2]).message, Catch::Contains("nested deeper than 32"));
    check_error(results[3], 413, "payload_too_large", "");
    check_error(results[4], 400, "invalid_utf8", "");
    accepted(results[5]);
    CHECK(accepted(results[6]).event_type == "last");
  }
  CHECK(batch_ok("", true).empty());
  CHECK(batch_ok("\n\r\n \t\n", true).empty());
}

TEST_CASE("batch: NDJSON ignores Idempotency-Key and does not unwrap envelopes", "[batch]") {
  const auto results = batch_ok(min_event + "\n" + envelope(min_event) + "\n", true, 1000,
                                event_context{received, "idem"});
  REQUIRE(results.size() == 2);
  CHECK(accepted(results[0]).dedup_key.rfind("n:", 0) == 0);
  check_error(results[1], 400, "invalid_event", "payload");
}

TEST_CASE("encode: returns base64 of the minified event", "[encode]") {
  const std::string body =
      R"({ "event_type" : "a", "timestamp" : "2026-01-01T15:12:11Z", "properties" : { "x" : 1.50, "s" : "a b" } })";
  auto r = encode_event(body, ctx);
  REQUIRE(std::holds_alternative<std::string>(r));
  const std::string payload = std::get<std::string>(r);
  CHECK(base64_decode(payload) == with_field("properties", R"({"x":1.50,"s":"a b"})"));
  // What encode returns is accepted back as an envelope.
  CHECK(accept(R"({"payload":")" + payload + "\"}").event_type == "a");
}

TEST_CASE("encode: invalid events get the same errors as POST /v1/events", "[encode]") {
  const auto error = [](std::string_view body) {
    auto r = encode_event(body, ctx);
    REQUIRE(std::holds_alternative<validation_error>(r));
    return std::get<validation_error>(r);
  };
  CHECK(error(R"({"event_type":"a"})").field == "timestamp");
  CHECK(error("{").code == "invalid_json");
  CHECK(error("[]").code == "invalid_event");
  CHECK(error(envelope(min_event)).field == "payload");
  CHECK(error(event_of_size(max_event_bytes + 1)).status == 413);
  CHECK(error(event_of_depth(33)).code == "invalid_json");
}
