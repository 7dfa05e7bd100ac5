#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sluice::testing::sluice_process;
using json = nlohmann::json;

TEST_CASE("smoke: an event sent is stored and read back with its seq") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto res = s.post(
      "/v1/events",
      R"({"event_type":"page_view","timestamp":"2026-01-01T15:12:11Z","event_id":"e1"})", key);
  REQUIRE(res.status == 201);
  CHECK(json::parse(res.body) == json{{"status", "stored"}, {"seq", 1}});
  auto page = json::parse(s.get("/v1/events", key).body);
  REQUIRE(page["events"].size() == 1);
  CHECK(page["events"][0]["seq"] == 1);
  CHECK(page["events"][0]["tenant_id"] == "acme");
  CHECK(page["events"][0]["event_id"] == "e1");
}
