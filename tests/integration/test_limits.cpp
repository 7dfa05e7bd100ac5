#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
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

TEST_CASE("limits: a saturated writer shard answers 503 with Retry-After and loses nothing", "[integration]") {
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
