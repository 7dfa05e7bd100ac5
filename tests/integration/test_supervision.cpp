// Supervision through the real binary, with injected faults: a writer shard that crashes while
// it holds queued writes has every request answered (503 or stored, never hanging, never
// doubled; ack=received writes it held become dead letters) and is restarted; a writer that
// fails on every start makes the supervisor give up: /readyz 503 with the reason, and a log line.
#include "tests/integration/event_ledger.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

using sluice::http_call;
using sluice::testing::dead_letters;
using sluice::testing::probe_batch;
using sluice::testing::probe_event;
using sluice::testing::sluice_process;
using sluice::testing::stored_counts;
using json = nlohmann::json;

TEST_CASE("supervision: a writer that crashes with queued work answers it all and is restarted",
          "[integration]") {
  // The third flush crashes the (only) writer shard while writes are queued at it.
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_crash:nth=3"},
                                                      {"SLUICE_SHARDS", "1"}});
  auto key = s.create_tenant("acme");
  std::mutex mutex;
  std::map<std::string, int> status_of;  // event_id → HTTP status of its request
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        auto id = "c" + std::to_string(c) + "-" + std::to_string(i);
        bool received = i % 4 == 3;
        auto res = http_call(
            "127.0.0.1", s.port(), "POST", received ? "/v1/events?ack=received" : "/v1/events",
            {{"Content-Type", "application/json"}, {"X-API-Key", key}}, probe_event(id), 20000);
        std::lock_guard<std::mutex> lock(mutex);
        status_of[id] = res.status;
      }
    });
  for (auto& t : clients) t.join();

  // The node serves again once the supervisor has restarted the writer.
  int after = 0;
  for (int i = 0; i < 200 && after != 201; ++i) {
    after = s.post("/v1/events", probe_event("after-" + std::to_string(i)), key).status;
    if (after != 201) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(after == 201);

  auto stored = stored_counts(s, key);
  std::set<std::string> lettered;
  for (auto& d : dead_letters(s, key)) lettered.insert(d.at("event").at("event_id"));
  int refused = 0;
  for (auto& [id, status] : status_of) {
    INFO(id << " answered " << status);
    CHECK((status == 201 || status == 202 || status == 503));  // answered, never hanging
    CHECK(stored[id] <= 1);                                    // never doubled
    if (status == 201) CHECK(stored[id] == 1);
    if (status == 202) CHECK(stored[id] + static_cast<int>(lettered.count(id)) == 1);
    refused += status == 503;
  }
  // The crash took something with it: a refused request or a dead-lettered received write.
  CHECK(refused + lettered.size() > 0);
  CHECK(s.log_shows("writer shard 0 failed; restarting"));
  CHECK(s.log_shows("injected fault: writer_crash"));
}

TEST_CASE("supervision: a writer that fails on every start escalates: readyz 503 and a log line",
          "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_start:every=1"},
                                                      {"SLUICE_SHARDS", "1"}});
  auto key = s.create_tenant("acme");  // the catalog is not the writer's
  sluice::client_response ready;
  for (int i = 0; i < 400; ++i) {
    ready = s.get("/readyz");
    if (ready.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(ready.status == 503);
  auto reason = json::parse(ready.body).at("error").at("message").get<std::string>();
  CHECK(reason.find("writer shard 0") != std::string::npos);
  CHECK(reason.find("not restarting") != std::string::npos);
  const std::string escalation = "writer shard 0 failed 6 times within a minute; not restarting";
  REQUIRE(s.log_shows(escalation));
  auto log = s.log_text();
  auto line = log.find(escalation);
  REQUIRE(line != std::string::npos);
  auto line_start = log.rfind('\n', line);
  auto text = log.substr(line_start == std::string::npos ? 0 : line_start + 1);
  text = text.substr(0, text.find('\n'));
  CHECK(text.find("\"level\":\"error\"") != std::string::npos);
  CHECK(text.find("injected fault: writer_start") != std::string::npos);
  // Writes are refused clearly, not left hanging.
  auto res = s.post("/v1/events", probe_event("e-1"), key);
  CHECK(res.status == 503);
  CHECK(s.get("/healthz").status == 200);
}
