#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using sluice::testing::free_port;
using sluice::testing::sluice_process;
using json = nlohmann::json;

using sluice::testing::metric;

TEST_CASE("operations: /metrics counts stored, duplicate and rejected events per tenant", "[integration]") {
  sluice_process s;
  auto a = s.create_tenant("alpha");
  auto b = s.create_tenant("beta", 1, 2);  // a burst of 2: the third event is rate limited
  for (int i = 0; i < 3; ++i)
    REQUIRE(s.post("/v1/events", R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":"a)" +
                                     std::to_string(i) + "\"}", a)
                .status == 201);
  CHECK(s.post("/v1/events", R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":"a0"})", a)
            .status == 200);
  for (int i = 0; i < 3; ++i)
    s.post("/v1/events", R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":"b)" +
                             std::to_string(i) + "\"}", b);
  auto batch = s.post("/v1/events/batch",
                      R"([{"event_type":"x","timestamp":"2026-01-01T00:00:00Z"},{"event_type":"x"}])", a);
  REQUIRE(batch.status == 200);

  auto res = s.get("/metrics");
  REQUIRE(res.status == 200);
  CHECK(res.headers["content-type"].find("text/plain") == 0);
  auto& text = res.body;
  CHECK(metric(text, R"(sluice_events_stored_total{tenant="alpha"})") == 4);
  CHECK(metric(text, R"(sluice_events_duplicate_total{tenant="alpha"})") == 1);
  CHECK(metric(text, R"(sluice_events_rejected_total{reason="invalid_event",tenant="alpha"})") == 1);
  CHECK(metric(text, R"(sluice_events_stored_total{tenant="beta"})") == 2);
  CHECK(metric(text, R"(sluice_rate_limited_total{tenant="beta"})") == 1);
  CHECK(metric(text, R"(sluice_ingest_duration_seconds_count{tenant="alpha"})") == 5);
  CHECK(metric(text, R"(sluice_shard_commit_duration_seconds_count{shard="0"})") +
            metric(text, R"(sluice_shard_commit_duration_seconds_count{shard="1"})") >= 1);
  CHECK(metric(text, "process_open_fds") > 0);
  CHECK(text.find("api_key") == std::string::npos);
}

TEST_CASE("operations: metrics.listen moves /metrics to its own listener", "[integration]") {
  auto port = free_port();
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_METRICS_LISTEN", "127.0.0.1:" + std::to_string(port)}});
  CHECK(s.get("/metrics").status == 404);
  auto res = sluice::http_call("127.0.0.1", port, "GET", "/metrics");
  CHECK(res.status == 200);
  CHECK(res.body.find("sluice_shard_map_size_bytes") != std::string::npos);
  CHECK(sluice::http_call("127.0.0.1", port, "GET", "/v1/events").status == 404);
}

TEST_CASE("operations: requests carry a request id, taken from X-Request-ID when given", "[integration]") {
  sluice_process s;
  auto generated = s.get("/healthz");
  CHECK(generated.headers["x-request-id"].size() >= 16);
  auto given = sluice::http_call("127.0.0.1", s.port(), "GET", "/healthz", {{"X-Request-ID", "trace-42"}});
  CHECK(given.headers["x-request-id"] == "trace-42");
}

TEST_CASE("operations: SIGTERM under load exits 0 and keeps every acknowledged event", "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_SHUTDOWN_GRACE_MS", "300"}});
  auto key = s.create_tenant("acme");
  std::mutex mutex;
  std::map<std::string, int> acked;  // event_id → seq
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; !stop && i < 100000; ++i) {
        auto id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto res = sluice::http_call("127.0.0.1", s.port(), "POST", "/v1/events",
                                     {{"X-API-Key", key}, {"Content-Type", "application/json"}},
                                     R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":")" + id + "\"}",
                                     2000);
        if (res.status == 201) {
          std::lock_guard<std::mutex> lock(mutex);
          acked[id] = json::parse(res.body)["seq"];
        } else if (res.status == 0) {
          return;  // the server is gone
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto started = std::chrono::steady_clock::now();
  int status = s.stop();
  auto took = std::chrono::steady_clock::now() - started;
  stop = true;
  for (auto& c : clients) c.join();
  CHECK(status == 0);
  CHECK(took < std::chrono::seconds(5));  // grace 0.3 s, then in-flight requests finish
  REQUIRE(!acked.empty());

  s.restart();
  std::set<int> seqs;
  std::map<std::string, int> stored;
  std::string after = "0";
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = json::parse(s.get("/v1/events?limit=1000&after_seq=" + after, key).body);
    for (auto& e : page["events"]) {
      stored[e["event_id"]] = e["seq"];
      seqs.insert(e["seq"].get<int>());
    }
    if (page["next_after_seq"].is_null()) break;
    after = std::to_string(page["next_after_seq"].get<int>());
  }
  for (auto& [id, seq] : acked) {
    INFO(id);
    CHECK(stored.count(id) == 1);
    CHECK(stored[id] == seq);
  }
  CHECK(seqs.size() == stored.size());
  CHECK((seqs.empty() || (*seqs.begin() == 1 && *seqs.rbegin() == static_cast<int>(seqs.size()))));
}

TEST_CASE("operations: readyz turns 503 as soon as SIGTERM arrives", "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_SHUTDOWN_GRACE_MS", "2000"}});
  REQUIRE(s.get("/readyz").status == 200);
  ::kill(s.pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto res = s.get("/readyz");
  CHECK(res.status == 503);
  CHECK(res.body.find("shutting down") != std::string::npos);
  CHECK(s.get("/healthz").status == 200);  // still serving during the grace period
  CHECK(s.stop() == 0);
}

TEST_CASE("operations: an idle tenant actor is passivated and revived with a correct bucket", "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_TENANT_IDLE_SEC", "1"}});
  auto key = s.create_tenant("acme", 1, 2);  // 1 event/s, burst 2: the bucket refills in 2 s
  auto live = [&] { return metric(s.get("/metrics").body, "sluice_tenant_actors"); };
  auto send = [&](const std::string& id) {
    return s.post("/v1/events", R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":")" + id + "\"}", key)
        .status;
  };
  CHECK(live() == 0);
  CHECK(send("e1") == 201);
  CHECK(send("e2") == 201);
  CHECK(send("e3") == 429);  // bucket empty
  CHECK(live() == 1);
  // Passivated once idle for max(tenant_idle_sec, refill time) = 2 s; the timer checks every 2 s.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (live() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  REQUIRE(live() == 0);
  // Revived on the next request with a full bucket (2), which is what 2 s of refill gives.
  CHECK(send("e4") == 201);
  CHECK(send("e5") == 201);
  CHECK(send("e6") == 429);
  CHECK(live() == 1);
  auto page = json::parse(s.get("/v1/events", key).body);
  REQUIRE(page["events"].size() == 4);
  CHECK(page["events"][3]["seq"] == 4);  // seq continues across passivation
}
