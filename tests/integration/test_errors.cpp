// Every row of shared/API.md's error table through the real binary, plus the request-framing rules
// of the edge (ambiguous framing is refused with 400 and the connection closed).
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

using sluice::client_response;
using sluice::http_call;
using sluice::testing::raw_request;
using sluice::testing::raw_result;
using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

const std::string ts = "2026-01-01T15:12:11Z";

json parsed(const std::string& body) {
  INFO("body: " << body);
  return json::parse(body);
}

json error_of(const client_response& res) {
  return parsed(res.body).at("error");
}

std::string event(const std::string& id, const json& extra = json::object()) {
  json e{{"event_id", id}, {"event_type", "page_view"}, {"timestamp", ts}};
  e.update(extra);
  return e.dump();
}

std::string array_of(int n, const std::string& prefix, const json& extra = json::object()) {
  json a = json::array();
  for (int i = 0; i < n; ++i) a.push_back(json::parse(event(prefix + std::to_string(i), extra)));
  return a.dump();
}

std::size_t stored_count(sluice_process& s, const std::string& key) {
  auto res = s.get("/v1/events?limit=1000", key);
  REQUIRE(res.status == 200);
  return parsed(res.body).at("events").size();
}

// {"a":{"a":...{}}} with `levels` nested objects.
std::string nested(int levels) {
  std::string out;
  for (int i = 1; i < levels; ++i) out += R"({"a":)";
  out += "{}";
  out += std::string(levels - 1, '}');
  return out;
}

std::string http_post(const std::string& target, const std::string& key, const std::string& extra,
                      const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key +
         "\r\nContent-Type: application/json\r\nConnection: close\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked(const std::string& body) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  return std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
}

void check_400_invalid_event(sluice_process& s, const std::string& key, const std::string& body,
                             const std::string& field) {
  INFO("body: " << body);
  auto res = s.post("/v1/events", body, key);
  CHECK(res.status == 400);
  CHECK(error_of(res).at("code") == "invalid_event");
  CHECK(error_of(res).value("field", "") == field);
}

}  // namespace

TEST_CASE("errors: 400 for malformed JSON, bad base64, invalid UTF-8", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto bad_json = s.post("/v1/events", R"({"event_type":"x","timestamp":)", key);
  CHECK(bad_json.status == 400);
  CHECK(error_of(bad_json).at("code") == "invalid_json");

  auto bad_b64 = s.post("/v1/events", R"({"payload":"not*base64!"})", key);
  CHECK(bad_b64.status == 400);
  CHECK(error_of(bad_b64).at("code") == "invalid_base64");
  CHECK(error_of(bad_b64).at("field") == "payload");

  auto bad_utf8 =
      s.post("/v1/events", "{\"event_type\":\"caf\xC3\",\"timestamp\":\"" + ts + "\"}", key);
  CHECK(bad_utf8.status == 400);
  CHECK(error_of(bad_utf8).at("code") == "invalid_utf8");
  CHECK(stored_count(s, key) == 0);
}

TEST_CASE("errors: 400 names the field that is missing, of the wrong type, too long or unknown",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  check_400_invalid_event(s, key, R"({"event_type":"x"})", "timestamp");
  check_400_invalid_event(s, key, json{{"timestamp", ts}}.dump(), "event_type");
  check_400_invalid_event(s, key, event("e", {{"timestamp", "yesterday"}}), "timestamp");
  check_400_invalid_event(s, key, event("e", {{"timestamp", 1767280331}}), "timestamp");
  check_400_invalid_event(s, key, event("e", {{"event_type", 5}}), "event_type");
  check_400_invalid_event(s, key, event("e", {{"properties", "path=/"}}), "properties");
  check_400_invalid_event(s, key, event("e", {{"session_id", json::object()}}), "session_id");
  for (const char* f : {"event_id", "session_id", "device_id", "user_id"}) {
    check_400_invalid_event(s, key, event(f, {{f, std::string(129, 'x')}}), f);
    CHECK(s.post("/v1/events", event(f, {{f, std::string(128, 'x')}}), key).status == 201);
  }
  check_400_invalid_event(s, key, event("e", {{"colour", "red"}}), "colour");
  check_400_invalid_event(s, key, event("e", {{"tenant_id", "other"}}), "tenant_id");

  auto long_idem =
      s.post("/v1/events", event("i"), key, {{"Idempotency-Key", std::string(129, 'k')}});
  CHECK(long_idem.status == 400);
  CHECK(error_of(long_idem).at("field") == "Idempotency-Key");
  CHECK(stored_count(s, key) == 4);  // only the four 128-byte events
}

TEST_CASE("errors: 400 for JSON nested deeper than 32, 32 levels are fine", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto body = [&](int levels) {  // the event object itself is level 1
    return R"({"event_type":"x","timestamp":")" + ts + R"(","properties":)" + nested(levels - 1) +
           "}";
  };
  auto deep = s.post("/v1/events", body(33), key);
  CHECK(deep.status == 400);
  CHECK(error_of(deep).at("code") == "invalid_json");
  CHECK(s.post("/v1/events", body(32), key).status == 201);
  auto very_deep = s.post("/v1/events", body(5000), key);
  CHECK(very_deep.status / 100 == 4);
  CHECK(s.get("/healthz").status == 200);
}

TEST_CASE("errors: 401 without a key, with an unknown or a revoked key, all with one body",
          "[integration]") {
  sluice_process s;
  auto created = parsed(s.admin("POST", "/v1/admin/tenants", R"({"id":"acme"})").body);
  std::string revoked = created.at("api_key");
  REQUIRE(
      s.admin("DELETE", "/v1/admin/tenants/acme/keys/" + created.at("key_id").get<std::string>())
          .status == 200);
  auto none = s.post("/v1/events", event("e1"), "");
  auto unknown = s.post("/v1/events", event("e1"), "sk_0123456789abcdef0123456789abcdef");
  auto gone = s.post("/v1/events", event("e1"), revoked);
  auto bearer = http_call(
      "127.0.0.1", s.port(), "POST", "/v1/events",
      {{"Authorization", "Bearer sk_unknown"}, {"Content-Type", "application/json"}}, event("e1"));
  for (auto* r : {&none, &unknown, &gone, &bearer}) {
    CHECK(r->status == 401);
    CHECK(r->body == none.body);
  }
  CHECK(error_of(none).at("code") == "unauthorized");
}

TEST_CASE("errors: 403 for a tenant key on an admin route, 409 for a taken tenant id",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto forbidden = http_call("127.0.0.1", s.port(), "GET", "/v1/admin/tenants",
                             {{"Authorization", "Bearer " + key}});
  CHECK(forbidden.status == 403);
  CHECK(error_of(forbidden).at("code") == "forbidden");
  auto taken = s.admin("POST", "/v1/admin/tenants", R"({"id":"acme"})");
  CHECK(taken.status == 409);
  CHECK(error_of(taken).at("code") == "conflict");
}

TEST_CASE("errors: 404 for an unknown route, 405 with Allow for a known route", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  for (auto target : {"/v1/nope", "/v1/eventsx", "/v1/events/batch/more", "/v2/events"}) {
    INFO(target);
    auto res = s.get(target, key);
    CHECK(res.status == 404);
    CHECK(error_of(res).at("code") == "not_found");
  }
  auto allow_of = [&](const std::string& method, const std::string& target) {
    auto res = http_call("127.0.0.1", s.port(), method, target, {{"X-API-Key", key}});
    INFO(method << " " << target);
    CHECK(res.status == 405);
    CHECK(error_of(res).at("code") == "method_not_allowed");
    return res.headers["allow"];
  };
  // GET /v1/events/batch is a lookup of the event whose event_id is "batch"; other methods are 405.
  auto batch = allow_of("PUT", "/v1/events/batch");
  CHECK(batch.find("POST") != std::string::npos);
  CHECK(batch.find("GET") != std::string::npos);
  CHECK(s.get("/v1/events/batch", key).status == 404);
  auto events = allow_of("DELETE", "/v1/events");
  CHECK(events.find("GET") != std::string::npos);
  CHECK(events.find("POST") != std::string::npos);
  auto tenant = allow_of("PUT", "/v1/admin/tenants/acme");
  CHECK(tenant.find("PATCH") != std::string::npos);
  CHECK(tenant.find("DELETE") != std::string::npos);
  CHECK(allow_of("POST", "/healthz") == "GET");
}

TEST_CASE("errors: 413 for an event over 32 KiB, plain or base64, and 32 KiB exactly is fine",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto sized = [](std::size_t total) {
    auto base = event("big", {{"properties", {{"pad", ""}}}});
    return event("big", {{"properties", {{"pad", std::string(total - base.size(), 'x')}}}});
  };
  auto over = s.post("/v1/events", sized(32 * 1024 + 1), key);
  CHECK(over.status == 413);
  CHECK(error_of(over).at("code") == "payload_too_large");
  CHECK(s.post("/v1/events", sized(32 * 1024), key).status == 201);

  // An envelope whose payload decodes to one byte over the limit.
  auto b64 = [](const std::string& e) {
    return json{{"payload", sluice::testing::to_base64(e)}}.dump();
  };
  auto b64_over = s.post("/v1/events", b64(sized(32 * 1024 + 1)), key);
  CHECK(b64_over.status == 413);
  CHECK(error_of(b64_over).at("code") == "payload_too_large");
  auto b64_fits = s.post("/v1/events", b64(sized(32 * 1024)), key);
  CHECK(b64_fits.status == 200);  // the same event as above: a duplicate

  // A body past the route's read limit is cut off with 413, not read to the end.
  auto huge = raw_request(s.port(), http_post("/v1/events", key, "", sized(200 * 1024)));
  CHECK(huge.status == 413);
  CHECK(stored_count(s, key) == 1);
}

TEST_CASE("errors: 413 for a batch of 1001 events and nothing of it is stored", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto res = s.post("/v1/events/batch", array_of(1001, "e"), key);
  CHECK(res.status == 413);
  CHECK(error_of(res).at("code") == "payload_too_large");
  std::string ndjson;
  for (int i = 0; i < 1001; ++i) ndjson += event("n" + std::to_string(i)) + "\n";
  auto nd = s.post("/v1/events/batch", ndjson, key, {{"Content-Type", "application/x-ndjson"}});
  CHECK(nd.status == 413);
  CHECK(stored_count(s, key) == 0);
  auto ok = s.post("/v1/events/batch", array_of(1000, "e"), key);
  CHECK(ok.status == 200);
  CHECK(parsed(ok.body).at("stored") == 1000);
}

TEST_CASE("errors: a batch body between 1 MiB and 5 MiB is accepted", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto body = array_of(400, "e", {{"properties", {{"pad", std::string(5000, 'x')}}}});  // ~2 MB
  REQUIRE(body.size() > 1024 * 1024);
  auto res = raw_request(s.port(), http_post("/v1/events/batch", key, "", body), 10000);
  CHECK(res.status == 200);
  CHECK(res.body.find("\"stored\":400") != std::string::npos);
}

TEST_CASE("errors: 413 for a batch body over 5 MiB", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto body = array_of(900, "e", {{"properties", {{"pad", std::string(6000, 'x')}}}});
  REQUIRE(body.size() > 5 * 1024 * 1024);
  auto res = raw_request(s.port(), http_post("/v1/events/batch", key, "", body), 10000);
  CHECK(res.status == 413);
  CHECK(res.body.find("payload_too_large") != std::string::npos);
  CHECK(stored_count(s, key) == 0);
}

TEST_CASE("errors: 413 for a gzip bomb that inflates past 5 MiB", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto bomb = sluice::testing::gzip_compress("[" + std::string(6 * 1024 * 1024, ' ') + "]");
  REQUIRE(bomb.size() < 64 * 1024);
  auto res = s.post("/v1/events/batch", bomb, key, {{"Content-Encoding", "gzip"}});
  CHECK(res.status == 413);
  CHECK(error_of(res).at("code") == "payload_too_large");
  auto garbage = s.post("/v1/events/batch", "not gzip at all", key, {{"Content-Encoding", "gzip"}});
  CHECK(garbage.status == 400);
  CHECK(s.get("/healthz").status == 200);
}

TEST_CASE("errors: 415 for a content type that is not JSON or NDJSON", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  for (auto target : {"/v1/events", "/v1/events/batch", "/v1/encode"}) {
    INFO(target);
    auto res = s.post(target, event("e1"), key, {{"Content-Type", "text/plain"}});
    CHECK(res.status == 415);
    CHECK(error_of(res).at("code") == "unsupported_media_type");
  }
  auto nd_single =
      s.post("/v1/events", event("e1"), key, {{"Content-Type", "application/x-ndjson"}});
  CHECK(nd_single.status == 415);
  CHECK(
      s.post("/v1/events", event("e1"), key, {{"Content-Type", "application/json; charset=utf-8"}})
          .status == 201);
}

TEST_CASE("errors: 429 carries Retry-After and the RateLimit headers", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("slow", 0.01, 3);
  for (auto id : {"e1", "e2", "e3"}) REQUIRE(s.post("/v1/events", event(id), key).status == 201);
  auto res = s.post("/v1/events", event("e4"), key);
  REQUIRE(res.status == 429);
  CHECK(error_of(res).at("code") == "rate_limited");
  auto positive_int = [](const std::string& v) {
    return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos && std::stol(v) > 0;
  };
  CHECK(positive_int(res.headers["retry-after"]));
  CHECK(res.headers["ratelimit-limit"] == "3");
  CHECK(res.headers["ratelimit-remaining"] == "0");
  CHECK(positive_int(res.headers["ratelimit-reset"]));
  CHECK(stored_count(s, key) == 3);
}

TEST_CASE("errors: 429 refuses a batch that would overdraw, whole, storing none of it",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("slow", 0.01, 5);
  for (auto id : {"s1", "s2", "s3"}) REQUIRE(s.post("/v1/events", event(id), key).status == 201);
  auto refused = s.post("/v1/events/batch", array_of(3, "b"), key);
  CHECK(refused.status == 429);
  CHECK(refused.headers.count("retry-after") == 1);
  CHECK(stored_count(s, key) == 3);
  auto fits = s.post("/v1/events/batch", array_of(2, "b"), key);  // b0, b1 were never stored
  REQUIRE(fits.status == 200);
  CHECK(parsed(fits.body).at("stored") == 2);
  CHECK(parsed(fits.body).at("duplicates") == 0);
  CHECK(stored_count(s, key) == 5);
}

TEST_CASE("errors: 503 with Retry-After past the connection cap", "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_MAX_CONNECTIONS", "1"}});
  const std::string ping = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  int held = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (held < 0 && std::chrono::steady_clock::now() < deadline) {  // earlier probes may linger
    held = sluice::testing::connect_loopback(s.port());
    if (held >= 0 && sluice::testing::exchange_on(held, ping).status != 200) {
      ::close(held);
      held = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  REQUIRE(held >= 0);
  auto refused = raw_request(s.port(), ping);
  CHECK(refused.status == 503);
  CHECK(refused.headers["retry-after"] == "1");
  CHECK(refused.closed);
  CHECK(parsed(refused.body).at("error").at("code") == "overloaded");
  CHECK(sluice::testing::exchange_on(held, ping).status == 200);  // the held one still serves
  ::close(held);
  int status = 0;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = s.get("/healthz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(status == 200);
}

TEST_CASE("errors: ambiguous framing answers 400 and closes the connection", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string head = "POST /v1/events HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key +
                           "\r\nContent-Type: application/json\r\n";
  const std::string body = event("smuggled");
  const std::string cases[] = {
      head + "Transfer-Encoding: xchunked\r\n\r\n" + chunked(body) + smuggled,
      head + "Transfer-Encoding: chunked, gzip\r\n\r\n" + chunked(body) + smuggled,
      head + "Transfer-Encoding: gzip\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body + smuggled,
      head + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked(body) + smuggled,
      head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body) +
          smuggled,
      head + "Content-Length: " + std::to_string(body.size()) +
          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body + smuggled,
      "POST /v1/events HTTP/1.0\r\nHost: t\r\nX-API-Key: " + key +
          "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
          chunked(body) + smuggled,
  };
  for (auto& bytes : cases) {
    INFO(bytes.substr(0, bytes.find("\r\n\r\n")));
    auto res = raw_request(s.port(), bytes);
    CHECK(res.status == 400);
    CHECK(res.responses == 1);  // the smuggled request was not answered
    CHECK(res.closed);
  }
  CHECK(stored_count(s, key) == 0);
}

TEST_CASE("errors: a plain chunked request is read and answered on a kept-alive connection",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  std::string bytes = "POST /v1/events HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key +
                      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      chunked(event("c1")) +
                      "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  auto res = raw_request(s.port(), bytes);
  CHECK(res.status == 201);
  CHECK(parsed(res.body) == json{{"status", "stored"}, {"seq", 1}});
  CHECK(res.responses == 2);
  CHECK(res.bytes.find("HTTP/1.1 200 OK") != std::string::npos);
  CHECK(stored_count(s, key) == 1);
}

TEST_CASE("errors: oversized headers get a 4xx and the server keeps serving", "[integration]") {
  sluice_process s;
  for (std::size_t size : {9u * 1024, 1024u * 1024}) {
    INFO("header bytes: " << size);
    auto res = raw_request(s.port(), "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Pad: " +
                                         std::string(size, 'a') + "\r\n\r\n");
    CHECK(res.status >= 400);
    CHECK(res.status < 500);
    CHECK(res.closed);
    CHECK(s.get("/healthz").status == 200);
  }
  auto normal = raw_request(
      s.port(), "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(4 * 1024, 'a') +
                    "\r\nConnection: close\r\n\r\n");
  CHECK(normal.status == 200);
}
