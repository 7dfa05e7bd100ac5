#include "http/openapi.hpp"
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sluice::testing::sluice_process;
using json = nlohmann::json;

TEST_CASE("openapi: GET /openapi.json serves the document without credentials") {
  sluice_process s;
  auto res = s.get("/openapi.json");
  REQUIRE(res.status == 200);
  CHECK(res.headers["content-type"] == "application/json");
  CHECK(res.body == sluice::openapi_document());
  auto doc = json::parse(res.body);
  CHECK(doc["paths"].contains("/v1/events"));

  auto post = s.post("/openapi.json", "{}");
  CHECK(post.status == 405);
  CHECK(post.headers["allow"] == "GET");
}
