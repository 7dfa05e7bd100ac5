// Ingestion through the real binary: single events and batches, the base64 envelope, the three
// dedup keys, ack levels, clock-skew correction, /v1/encode, restarts (SIGTERM and SIGKILL) and
// tenant isolation (shared/API.md, "Events").
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <string>
#include <thread>

using sluice::client_response;
using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

const std::string ts = "2026-01-01T15:12:11Z";
const std::vector<std::pair<std::string, std::string>> ndjson_type = {
    {"Content-Type", "application/x-ndjson"}};

json parsed(const client_response& res) {
  INFO("status " << res.status << " body: " << res.body);
  return json::parse(res.body);
}

json event(const std::string& id, const json& extra = json::object()) {
  json e{{"event_type", "page_view"}, {"timestamp", ts}};
  if (!id.empty()) e["event_id"] = id;
  e.update(extra);
  return e;
}

json stored(int seq) {
  return json{{"status", "stored"}, {"seq", seq}};
}
json duplicate(int seq) {
  return json{{"status", "duplicate"}, {"seq", seq}};
}

json events_of(sluice_process& s, const std::string& key, const std::string& query = "") {
  auto res = s.get("/v1/events?limit=1000" + query, key);
  REQUIRE(res.status == 200);
  return parsed(res).at("events");
}

// Microseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.f]Z".
std::int64_t micros_of(const std::string& t) {
  std::tm tm{};
  REQUIRE(strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
  std::int64_t us = static_cast<std::int64_t>(timegm(&tm)) * 1000000;
  auto dot = t.find('.');
  if (dot != std::string::npos) {
    std::string frac = t.substr(dot + 1, t.size() - dot - 2);
    frac.resize(6, '0');
    us += std::stoll(frac);
  }
  return us;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("ingest: single events answer 201 with seq 1, 2, 3 and read back normalised",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  CHECK(parsed(s.post("/v1/events", event("e1", {{"properties", {{"path", "/home"}}}}).dump(),
                      key)) == stored(1));
  auto offset = json{{"event_name", "login"},
                     {"timestamp", "2026-01-01T16:12:11+01:00"},
                     {"session_id", "s1"},
                     {"device_id", "d-9"},
                     {"user_id", "u-1"}};
  auto r2 = s.post("/v1/events", offset.dump(), key);
  CHECK(r2.status == 201);
  CHECK(parsed(r2) == stored(2));
  auto r3 = s.post("/v1/events",
                   json{{"event_type", "x"}, {"timestamp", "2026-01-01 15:12:11"}}.dump(), key);
  CHECK(r3.status == 201);
  CHECK(parsed(r3) == stored(3));

  auto events = events_of(s, key);
  REQUIRE(events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(events[i].at("seq") == i + 1);
    CHECK(events[i].at("tenant_id") == "acme");
    CHECK(events[i].contains("received_at"));
  }
  CHECK(events[0].at("event_id") == "e1");
  CHECK(events[0].at("properties") == json{{"path", "/home"}});
  CHECK(events[1].at("event_type") == "login");  // the alias is stored under its real name
  CHECK(events[1].at("timestamp") == ts);        // the offset is normalised to UTC
  CHECK(events[1].at("session_id") == "s1");
  CHECK(events[1].at("device_id") == "d-9");
  CHECK(events[1].at("user_id") == "u-1");
  CHECK(events[2].at("timestamp") == ts);
  CHECK(parsed(s.get("/v1/events?after_seq=2", key)).at("events").size() == 1);
}

TEST_CASE("ingest: the base64 envelope is stored like the plain event", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto e = event("b64", {{"properties", {{"text", "h\xC3\xA9llo"}}}});
  auto res =
      s.post("/v1/events", json{{"payload", sluice::testing::to_base64(e.dump())}}.dump(), key);
  CHECK(res.status == 201);
  CHECK(parsed(res) == stored(1));
  auto events = events_of(s, key);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("event_id") == "b64");
  CHECK(events[0].at("properties") == e.at("properties"));
  // The plain form of the same event is a duplicate of it.
  CHECK(parsed(s.post("/v1/events", e.dump(), key)) == duplicate(1));
}

TEST_CASE("ingest: Idempotency-Key dedups even a different body, answering the original seq",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto first = s.post("/v1/events", event("a", {{"properties", {{"v", 1}}}}).dump(), key,
                      {{"Idempotency-Key", "retry-1"}});
  CHECK(parsed(first) == stored(1));
  auto other = s.post("/v1/events", event("b", {{"event_type", "login"}}).dump(), key,
                      {{"Idempotency-Key", "retry-1"}});
  CHECK(other.status == 200);
  CHECK(parsed(other) == duplicate(1));
  // The key overrides event_id: the same event_id under another key is a new event.
  CHECK(parsed(s.post("/v1/events", event("a").dump(), key, {{"Idempotency-Key", "retry-2"}})) ==
        stored(2));
  auto events = events_of(s, key);
  REQUIRE(events.size() == 2);
  CHECK(events[0].at("properties") == json{{"v", 1}});
  CHECK(events[0].at("event_type") == "page_view");
}

TEST_CASE("ingest: the same event_id is a duplicate with the original seq", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  CHECK(parsed(s.post("/v1/events", event("e1").dump(), key)) == stored(1));
  CHECK(parsed(s.post("/v1/events", event("e2").dump(), key)) == stored(2));
  auto again = s.post("/v1/events", event("e1", {{"properties", {{"changed", true}}}}).dump(), key);
  CHECK(again.status == 200);
  CHECK(parsed(again) == duplicate(1));
  auto events = events_of(s, key);
  REQUIRE(events.size() == 2);
  CHECK_FALSE(events[0].contains("properties"));
  CHECK(parsed(s.post("/v1/events", event("e3").dump(), key)) == stored(3));  // no gap
}

TEST_CASE("ingest: without ids, session_id + event_type + timestamp dedup", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto nat = [](const std::string& session, const std::string& type, const std::string& t) {
    return json{{"session_id", session}, {"event_type", type}, {"timestamp", t}}.dump();
  };
  CHECK(parsed(s.post("/v1/events", nat("s1", "click", ts), key)) == stored(1));
  CHECK(parsed(s.post("/v1/events", nat("s1", "click", ts), key)) == duplicate(1));
  // The same instant written with an offset is the same timestamp.
  CHECK(parsed(s.post("/v1/events", nat("s1", "click", "2026-01-01T10:12:11-05:00"), key)) ==
        duplicate(1));
  CHECK(parsed(s.post("/v1/events", nat("s2", "click", ts), key)) == stored(2));
  CHECK(parsed(s.post("/v1/events", nat("s1", "view", ts), key)) == stored(3));
  CHECK(parsed(s.post("/v1/events", nat("s1", "click", "2026-01-01T15:12:12Z"), key)) == stored(4));
  CHECK(events_of(s, key).size() == 4);
}

TEST_CASE("ingest: a JSON array batch reports each event in order", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  REQUIRE(parsed(s.post("/v1/events", event("old").dump(), key)) == stored(1));
  json batch = json::array(
      {event("a"), event("old"), json{{"event_type", "x"}, {"event_id", "bad"}}, event("b")});
  auto res = s.post("/v1/events/batch", batch.dump(), key);
  REQUIRE(res.status == 200);
  auto body = parsed(res);
  CHECK(body.at("stored") == 2);
  CHECK(body.at("duplicates") == 1);
  CHECK(body.at("rejected") == 1);
  auto& results = body.at("results");
  REQUIRE(results.size() == 4);
  CHECK(results[0] == json{{"index", 0}, {"status", "stored"}, {"seq", 2}});
  CHECK(results[1] == json{{"index", 1}, {"status", "duplicate"}, {"seq", 1}});
  CHECK(results[2].at("index") == 2);
  CHECK(results[2].at("status") == "rejected");
  CHECK(results[2].at("error").at("code") == "invalid_event");
  CHECK(results[2].at("error").at("field") == "timestamp");
  CHECK(results[3] == json{{"index", 3}, {"status", "stored"}, {"seq", 3}});
  auto events = events_of(s, key);
  REQUIRE(events.size() == 3);
  CHECK(events[1].at("event_id") == "a");
  CHECK(events[2].at("event_id") == "b");
}

TEST_CASE("ingest: an NDJSON batch reports each line, malformed lines rejected", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  std::string body = event("n1").dump() + "\n{\"event_type\": oops\n" + event("n2").dump() +
                     "\r\n" + event("n3", {{"colour", "red"}}).dump() + "\n";
  auto res = s.post("/v1/events/batch", body, key, ndjson_type);
  REQUIRE(res.status == 200);
  auto out = parsed(res);
  CHECK(out.at("stored") == 2);
  CHECK(out.at("rejected") == 2);
  auto& results = out.at("results");
  REQUIRE(results.size() == 4);
  CHECK(results[0] == json{{"index", 0}, {"status", "stored"}, {"seq", 1}});
  CHECK(results[1].at("status") == "rejected");
  CHECK(results[1].at("error").at("code") == "invalid_json");
  CHECK(results[2] == json{{"index", 2}, {"status", "stored"}, {"seq", 2}});
  CHECK(results[3].at("index") == 3);
  CHECK(results[3].at("error").at("field") == "colour");
  CHECK(events_of(s, key).size() == 2);
}

TEST_CASE("ingest: an event over 32 KiB inside a batch is rejected alone", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto big = event("big", {{"properties", {{"pad", std::string(33 * 1024, 'x')}}}});
  auto check = [&](const client_response& res, int first_seq) {
    REQUIRE(res.status == 200);
    auto out = parsed(res);
    CHECK(out.at("stored") == 2);
    CHECK(out.at("rejected") == 1);
    CHECK(out.at("results")[1].at("status") == "rejected");
    CHECK(out.at("results")[1].at("error").at("code") == "payload_too_large");
    CHECK(out.at("results")[2] == json{{"index", 2}, {"status", "stored"}, {"seq", first_seq + 1}});
  };
  check(s.post("/v1/events/batch", json::array({event("a1"), big, event("a2")}).dump(), key), 1);
  check(s.post("/v1/events/batch",
               event("n1").dump() + "\n" + big.dump() + "\n" + event("n2").dump() + "\n", key,
               ndjson_type),
        3);
  CHECK(events_of(s, key).size() == 4);
}

TEST_CASE("ingest: gzip batches, JSON array and NDJSON, are decoded", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  json array = json::array();
  std::string ndjson;
  for (int i = 0; i < 50; ++i) {
    array.push_back(event("a" + std::to_string(i)));
    ndjson += event("n" + std::to_string(i)).dump() + "\n";
  }
  auto gz = sluice::testing::gzip_compress(array.dump());
  auto res = s.post("/v1/events/batch", gz, key, {{"Content-Encoding", "gzip"}});
  REQUIRE(res.status == 200);
  CHECK(parsed(res).at("stored") == 50);
  CHECK(parsed(res).at("results")[49] == json{{"index", 49}, {"status", "stored"}, {"seq", 50}});
  auto nd = s.post("/v1/events/batch", sluice::testing::gzip_compress(ndjson), key,
                   {{"Content-Type", "application/x-ndjson"}, {"Content-Encoding", "gzip"}});
  REQUIRE(nd.status == 200);
  CHECK(parsed(nd).at("stored") == 50);
  auto events = events_of(s, key);
  REQUIRE(events.size() == 100);
  CHECK(events[0].at("event_id") == "a0");
  CHECK(events[99].at("event_id") == "n49");
}

TEST_CASE("ingest: a duplicate inside one batch gets the seq of its first copy", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto nat = json{{"session_id", "s"}, {"event_type", "t"}, {"timestamp", ts}};
  json batch = json::array({event("x"), event("x"), nat, event("y"), nat});
  auto res = s.post("/v1/events/batch", batch.dump(), key);
  REQUIRE(res.status == 200);
  auto body = parsed(res);
  CHECK(body.at("stored") == 3);
  CHECK(body.at("duplicates") == 2);
  CHECK(body.at("results") == json::array({
                                  {{"index", 0}, {"status", "stored"}, {"seq", 1}},
                                  {{"index", 1}, {"status", "duplicate"}, {"seq", 1}},
                                  {{"index", 2}, {"status", "stored"}, {"seq", 2}},
                                  {{"index", 3}, {"status", "stored"}, {"seq", 3}},
                                  {{"index", 4}, {"status", "duplicate"}, {"seq", 2}},
                              }));
  CHECK(events_of(s, key).size() == 3);
}

TEST_CASE("ingest: ack=received answers 202 and the event is readable soon after",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto res = s.post("/v1/events?ack=received", event("r1").dump(), key);
  CHECK(res.status == 202);
  CHECK(parsed(res) == json{{"status", "accepted"}});
  auto alias = s.post("/v1/events?wait=false", event("r2").dump(), key);
  CHECK(alias.status == 202);
  json events;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    events = events_of(s, key);
    if (events.size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  REQUIRE(events.size() == 2);
  CHECK(events[0].at("event_id") == "r1");
  CHECK(events[1].at("event_id") == "r2");
  CHECK(parsed(s.post("/v1/events?ack=durable", event("r1").dump(), key)) == duplicate(1));
  auto bad = s.post("/v1/events?ack=eventually", event("r3").dump(), key);
  CHECK(bad.status == 400);
  CHECK(parsed(bad).at("error").at("field") == "ack");
}

TEST_CASE("ingest: sent_at corrects the client's clock and keeps original_timestamp",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  // The client's clock shows 10 s after the event happened when it sends it.
  auto before = now_us();
  auto res = s.post("/v1/events",
                    event("skew", {{"timestamp", "2020-01-01T00:00:00Z"},
                                   {"sent_at", "2020-01-01T00:00:10.500Z"}})
                        .dump(),
                    key);
  auto after = now_us();
  REQUIRE(res.status == 201);
  auto events = events_of(s, key);
  REQUIRE(events.size() == 1);
  auto& e = events[0];
  CHECK(e.at("original_timestamp") == "2020-01-01T00:00:00Z");
  auto stored_ts = micros_of(e.at("timestamp"));
  auto received = micros_of(e.at("received_at"));
  CHECK(received - stored_ts == 10500000);
  CHECK(stored_ts >= before - 10500000 - 1000);
  CHECK(stored_ts <= after - 10500000 + 1000);
}

TEST_CASE("ingest: /v1/encode returns a payload that /v1/events accepts", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  std::string text = R"({ "event_type": "buy", "timestamp": "2026-01-01T15:12:11Z",
                          "event_id": "enc-1", "properties": {"price": 1.50, "tags": ["a", "b"]} })";
  auto enc = s.post("/v1/encode", text, key);
  REQUIRE(enc.status == 200);
  std::string payload = parsed(enc).at("payload");
  CHECK(json::parse(sluice::testing::from_base64(payload)) == json::parse(text));
  CHECK(events_of(s, key).empty());  // encoding stores nothing

  auto res = s.post("/v1/events", json{{"payload", payload}}.dump(), key);
  CHECK(res.status == 201);
  CHECK(parsed(res) == stored(1));
  auto events = events_of(s, key);
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("event_id") == "enc-1");
  CHECK(events[0].at("properties") == json::parse(text).at("properties"));

  auto bad = s.post("/v1/encode", R"({"event_type":"buy"})", key);
  CHECK(bad.status == 400);
  CHECK(parsed(bad).at("error").at("field") == "timestamp");
  CHECK(s.post("/v1/encode", text, "sk_unknown").status == 401);
}

TEST_CASE("ingest: seq and dedup survive a SIGTERM restart and a SIGKILL restart",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  for (int i = 1; i <= 3; ++i)
    REQUIRE(parsed(s.post("/v1/events", event("e" + std::to_string(i)).dump(), key)) == stored(i));
  REQUIRE(parsed(s.post("/v1/events", event("", {{"session_id", "s"}}).dump(), key)) == stored(4));
  REQUIRE(parsed(s.post("/v1/events", event("i").dump(), key, {{"Idempotency-Key", "k1"}})) ==
          stored(5));

  CHECK(s.stop() == 0);
  s.restart();
  CHECK(parsed(s.post("/v1/events", event("e6").dump(), key)) == stored(6));
  auto again = s.post("/v1/events", event("e2").dump(), key);
  CHECK(again.status == 200);
  CHECK(parsed(again) == duplicate(2));
  CHECK(parsed(s.post("/v1/events", event("", {{"session_id", "s"}}).dump(), key)) == duplicate(4));
  CHECK(parsed(s.post("/v1/events", event("z").dump(), key, {{"Idempotency-Key", "k1"}})) ==
        duplicate(5));

  s.kill();
  s.restart();
  CHECK(parsed(s.post("/v1/events", event("e7").dump(), key)) == stored(7));
  CHECK(parsed(s.post("/v1/events", event("e6").dump(), key)) == duplicate(6));
  CHECK(parsed(s.post("/v1/events", event("e1").dump(), key)) == duplicate(1));
  auto events = events_of(s, key);
  REQUIRE(events.size() == 7);
  for (int i = 0; i < 7; ++i) CHECK(events[i].at("seq") == i + 1);
}

TEST_CASE("ingest: SIGTERM after an ingest shuts down cleanly within 5 s",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  REQUIRE(s.post("/v1/events", event("e1").dump(), key).status == 201);
  CHECK(s.stop_within(5000) == 0);
}

TEST_CASE("ingest: tenants are isolated in dedup, seq and reads", "[integration]") {
  sluice_process s;
  auto a = s.create_tenant("a");
  auto b = s.create_tenant("b");
  auto ra = s.post("/v1/events", event("same", {{"properties", {{"owner", "a"}}}}).dump(), a);
  auto rb = s.post("/v1/events", event("same", {{"properties", {{"owner", "b"}}}}).dump(), b);
  CHECK(ra.status == 201);
  CHECK(rb.status == 201);
  CHECK(parsed(ra) == stored(1));
  CHECK(parsed(rb) == stored(1));
  auto nat = json{{"session_id", "s"}, {"event_type", "t"}, {"timestamp", ts}}.dump();
  CHECK(parsed(s.post("/v1/events", nat, a)) == stored(2));
  CHECK(parsed(s.post("/v1/events", nat, b)) == stored(2));
  CHECK(parsed(s.post("/v1/events", event("x").dump(), a, {{"Idempotency-Key", "k"}})) ==
        stored(3));

  auto only = [&](const std::string& key, const std::string& owner, std::size_t n,
                  const std::string& query) {
    auto events = events_of(s, key, query);
    CHECK(events.size() == n);
    for (auto& e : events) {
      CHECK(e.at("tenant_id") == owner);
      if (e.contains("properties")) CHECK(e.at("properties").at("owner") == owner);
    }
  };
  only(a, "a", 3, "");
  only(b, "b", 2, "");
  only(a, "a", 3, "&tenant_id=b");  // a query can never widen access
  auto header = sluice::http_call("127.0.0.1", s.port(), "GET", "/v1/events",
                                  {{"X-API-Key", a}, {"X-Tenant-ID", "b"}});
  REQUIRE(header.status == 200);
  for (auto& e : parsed(header).at("events")) CHECK(e.at("tenant_id") == "a");
  CHECK(parsed(s.post("/v1/events", event("y").dump(), b, {{"Idempotency-Key", "k"}})) ==
        stored(3));
}
