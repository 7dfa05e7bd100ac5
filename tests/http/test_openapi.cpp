#include "http/openapi.hpp"
#include "http/router.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string>

using json = nlohmann::json;

namespace {

// "/v1/tenants/{id}/keys/{key_id}" -> "/v1/tenants/{}/keys/{}": parameter names may differ
// between the router and the document, their places may not.
std::string normalised(const std::string& path) {
  std::string out;
  bool in_parameter = false;
  for (char c : path) {
    if (c == '{') {
      in_parameter = true;
      out += "{}";
    } else if (c == '}') {
      in_parameter = false;
    } else if (!in_parameter) {
      out += c;
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

TEST_CASE("openapi: the embedded document is an OpenAPI 3 JSON object with paths") {
  auto doc = json::parse(sluice::openapi_document());
  REQUIRE(doc.is_object());
  REQUIRE(doc["openapi"].is_string());
  CHECK(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  REQUIRE(doc["paths"].is_object());
  CHECK(doc["paths"].contains("/openapi.json"));
}

TEST_CASE("openapi: every route the server answers is in the document") {
  auto doc = json::parse(sluice::openapi_document());
  auto routes = sluice::route_list();
  REQUIRE(routes.size() > 10);
  for (auto& [method, path] : routes) {
    INFO(method << " " << path);
    const json* item = nullptr;
    for (auto& [documented, operations] : doc["paths"].items())
      if (normalised(documented) == normalised(path)) item = &operations;
    REQUIRE(item != nullptr);
    CHECK(item->contains(lower(method)));
  }
}

TEST_CASE("openapi: route_list names each path parameter") {
  auto routes = sluice::route_list();
  auto has = [&](const std::string& method, const std::string& path) {
    return std::find(routes.begin(), routes.end(), std::make_pair(method, path)) != routes.end();
  };
  CHECK(has("GET", "/v1/events/{event_id}"));
  CHECK(has("DELETE", "/v1/admin/tenants/{id}/keys/{key_id}"));
  CHECK(has("GET", "/openapi.json"));
}
