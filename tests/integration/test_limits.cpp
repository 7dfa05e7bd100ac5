#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

std::string event(const std::string& id) {
  return R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":")" + id + "\"}";
}

}  // namespace

TEST_CASE("limits: the token bucket refills over time at the tenant's rate", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme", 4, 2);  // 4 events/s, burst 2
  CHECK(s.post("/v1/events", event("a"), key).status == 201);
  CHECK(s.post("/v1/events", event("b"), key).status == 201);
  auto refused = s.post("/v1/events", event("c"), key);
  REQUIRE(refused.status == 429);
  CHECK(refused.headers["ratelimit-limit"] == "2");
  CHECK(refused.headers["ratelimit-remaining"] == "0");
  CHECK(refused.headers["retry-after"] == "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // 4/s × 0.6 s = 2.4 tokens
  CHECK(s.post("/v1/events", event("c"), key).status == 201);
  CHECK(s.post("/v1/events", event("d"), key).status == 201);
  CHECK(s.post("/v1/events", event("e"), key).status == 429);
}

TEST_CASE("limits: a saturated writer shard answers 503 with Retry-After and loses nothing",
          "[integration]") {
  // One event may wait at a shard at a time: concurrent writers overflow it.
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_MAX_INFLIGHT_PER_SHARD", "1"}});
  auto key = s.create_tenant("acme");
  std::mutex mutex;
  std::map<std::string, int> stored;  // event_id → seq
  std::atomic<int> overloaded{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        auto id = std::to_string(t) + "-" + std::to_string(i);
        auto res = s.post("/v1/events", event(id), key);
        if (res.status == 201) {
          std::lock_guard<std::mutex> lock(mutex);
          stored[id] = json::parse(res.body)["seq"];
        } else if (res.status == 503 && res.headers.count("retry-after") &&
                   json::parse(res.body)["error"]["code"] == "overloaded") {
          ++overloaded;
        } else {
          ++other;
        }
      }
    });
  for (auto& c : clients) c.join();
  CHECK(other == 0);
  CHECK(overloaded > 0);
  REQUIRE(!stored.empty());
  // Every 201 is stored with its seq, and nothing refused was stored.
  auto page = json::parse(s.get("/v1/events?limit=1000", key).body);
  std::map<std::string, int> read;
  for (auto& e : page["events"]) read[e["event_id"]] = e["seq"];
  CHECK(read == stored);
  CHECK(page["events"].size() == stored.size());
}

using sluice::testing::metric;

TEST_CASE(
    "limits: a tenant refused at the edge is counted, and a raised limit or a revoked key "
    "takes effect at once",
    "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_LOG_LEVEL", "info"}});
  // One event every 100 s: once the burst is spent the bucket stays empty far longer than the
  // test, so every later refusal comes from the edge's memory of the first one.
  s.create_tenant("flood", 0.01, 1);
  auto added = s.admin("POST", "/v1/admin/tenants/flood/keys");
  REQUIRE(added.status == 201);
  auto key_reply = json::parse(added.body);
  std::string key = key_reply.at("api_key"), key_id = key_reply.at("key_id");
  auto quiet = s.create_tenant("quiet");

  REQUIRE(s.post("/v1/events", event("first"), key).status == 201);
  int first_reset = -1;
  for (int i = 0; i < 5; ++i) {
    auto refused = s.post("/v1/events", event("r" + std::to_string(i)), key);
    if (i == 0) first_reset = std::stoi(refused.headers["ratelimit-reset"]);
    REQUIRE(refused.status == 429);
    CHECK(json::parse(refused.body).at("error").at("code") == "rate_limited");
    CHECK(refused.headers["ratelimit-limit"] == "1");
    CHECK(refused.headers["ratelimit-remaining"] == "0");
    CHECK(refused.headers.count("retry-after") == 1);
  }
  auto batch = s.post("/v1/events/batch", "[" + event("b1") + "]", key);
  CHECK(batch.status == 429);
  CHECK(s.post("/v1/events", event("q"), quiet).status == 201);  // no one else is refused

  // A second later the next refusal gets an access-log line again, counting the silent ones.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto later = s.post("/v1/events", event("later"), key);
  REQUIRE(later.status == 429);
  // Its RateLimit-Reset counts down from the first refusal's (about 100 s, one second ago).
  CHECK(std::stoi(later.headers["ratelimit-reset"]) < first_reset);

  auto metrics = s.get("/metrics").body;
  CHECK(metric(metrics, R"(sluice_rate_limited_total{tenant="flood"})") == 7);
  CHECK(metric(metrics, R"(sluice_events_rejected_total{reason="rate_limited",tenant="flood"})") ==
        7);

  json raised{{"rate_limit", {{"events_per_sec", 1000}, {"burst", 1000}}}};
  REQUIRE(s.admin("PATCH", "/v1/admin/tenants/flood", raised.dump()).status == 200);
  // The bucket refills at the new rate (it is not topped up): 0.1 s gives it 100 events, while
  // at the old rate it would stay empty for 100 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(s.post("/v1/events", event("after-patch"), key).status == 201);

  json lowered{{"rate_limit", {{"events_per_sec", 0.01}, {"burst", 1}}}};
  REQUIRE(s.admin("PATCH", "/v1/admin/tenants/flood", lowered.dump()).status == 200);
  REQUIRE(s.post("/v1/events", event("last"), key).status == 201);
  REQUIRE(s.post("/v1/events", event("spent"), key).status == 429);
  REQUIRE(s.admin("DELETE", "/v1/admin/tenants/flood/keys/" + key_id).status == 200);
  CHECK(s.post("/v1/events", event("revoked"), key).status == 401);

  REQUIRE(s.stop() == 0);  // flushes the log
  std::ifstream log(s.data_dir() + ".log");
  std::string line;
  int refusal_lines = 0, summaries = 0;
  while (std::getline(log, line)) {
    if (line.find(R"("status":"429")") == std::string::npos) continue;
    if (line.find(R"("tenant":"flood")") == std::string::npos) continue;
    ++refusal_lines;
    summaries += line.find(R"("unlogged_refusals":"5")") != std::string::npos;
  }
  CHECK(refusal_lines == 3);  // the first refusal, "later" (with the count), "spent"
  CHECK(summaries == 1);
}
