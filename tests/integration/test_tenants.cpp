// Tenant lifecycle through the admin API of the real binary: create, list, patch, key rotation and
// revocation, delete, and who may call admin routes (shared/API.md, "Tenants (admin)").
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>

using sluice::client_response;
using sluice::http_call;
using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

json parsed(const client_response& res) {
  INFO("body: " << res.body);
  return json::parse(res.body);
}

std::string event(const std::string& id) {
  return json{{"event_id", id}, {"event_type", "page_view"}, {"timestamp", "2026-01-01T15:12:11Z"}}
      .dump();
}

client_response create(sluice_process& s, const json& body) {
  return s.admin("POST", "/v1/admin/tenants", body.dump());
}

// The list entry of `id`, or null.
json listed(sluice_process& s, const std::string& id) {
  auto res = s.admin("GET", "/v1/admin/tenants");
  REQUIRE(res.status == 200);
  auto body = parsed(res);
  for (auto& t : body.at("tenants"))
    if (t.at("id") == id) return t;
  return nullptr;
}

client_response admin_with(sluice_process& s, const std::string& method, const std::string& target,
                           std::vector<std::pair<std::string, std::string>> headers,
                           const std::string& body = "") {
  bool typed = false;
  for (auto& h : headers) typed |= h.first == "Content-Type";
  if (!body.empty() && !typed) headers.emplace_back("Content-Type", "application/json");
  return http_call("127.0.0.1", s.port(), method, target, headers, body);
}

}  // namespace

TEST_CASE("tenants: create answers 201 with id, a random api_key and a key_id", "[integration]") {
  sluice_process s;
  auto res = create(s, {{"id", "acme"},
                        {"name", "Acme Inc"},
                        {"rate_limit", {{"events_per_sec", 500}, {"burst", 1000}}}});
  REQUIRE(res.status == 201);
  auto body = parsed(res);
  CHECK(body.at("id") == "acme");
  std::string key = body.at("api_key");
  CHECK(std::regex_search(key, std::regex("[0-9a-f]{32,}")));  // >= 128 random bits
  CHECK_FALSE(body.at("key_id").get<std::string>().empty());
  CHECK(body.at("key_id") != body.at("api_key"));

  auto other = parsed(create(s, {{"id", "other"}}));
  CHECK(other.at("api_key") != key);
  CHECK(other.at("key_id") != body.at("key_id"));

  // The key works at once on a tenant route.
  CHECK(s.post("/v1/events", event("e1"), key).status == 201);
}

TEST_CASE("tenants: list shows id, name, rate_limit and created_at but never a key",
          "[integration]") {
  sluice_process s;
  auto res = create(s, {{"id", "acme"},
                        {"name", "Acme Inc"},
                        {"rate_limit", {{"events_per_sec", 500}, {"burst", 1000}}}});
  REQUIRE(res.status == 201);
  auto created = parsed(res);
  REQUIRE(create(s, {{"id", "beta"}}).status == 201);

  auto list = s.admin("GET", "/v1/admin/tenants");
  REQUIRE(list.status == 200);
  CHECK(list.body.find(created.at("api_key").get<std::string>()) == std::string::npos);
  CHECK(list.body.find("api_key") == std::string::npos);
  auto tenants = parsed(list).at("tenants");
  REQUIRE(tenants.size() == 2);
  auto acme = listed(s, "acme");
  REQUIRE(acme.is_object());
  CHECK(acme.at("name") == "Acme Inc");
  CHECK(acme.at("rate_limit") == json{{"events_per_sec", 500}, {"burst", 1000}});
  CHECK(std::regex_match(acme.at("created_at").get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
  CHECK(listed(s, "beta").is_object());
}

TEST_CASE("tenants: a taken id answers 409 and keeps the first tenant's key", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto res = create(s, {{"id", "acme"}, {"name", "Impostor"}});
  CHECK(res.status == 409);
  CHECK(parsed(res).at("error").at("code") == "conflict");
  CHECK(s.post("/v1/events", event("e1"), key).status == 201);
  CHECK(listed(s, "acme").at("name") == "acme");
}

TEST_CASE("tenants: a bad id answers 400 with field id", "[integration]") {
  sluice_process s;
  for (json id : {json("Acme"), json("-acme"), json("_acme"), json(""), json("ac me"),
                  json("ac.me"), json(std::string(64, 'a')), json(42), json(nullptr)}) {
    INFO("id: " << id.dump());
    auto res = create(s, {{"id", id}});
    CHECK(res.status == 400);
    CHECK(parsed(res).at("error").at("field") == "id");
  }
  auto missing = create(s, {{"name", "no id"}});
  CHECK(missing.status == 400);
  CHECK(parsed(missing).at("error").at("field") == "id");
  CHECK(parsed(s.admin("GET", "/v1/admin/tenants")).at("tenants").empty());
  // The longest and the punctuated forms the pattern allows are taken.
  CHECK(create(s, {{"id", "a" + std::string(62, 'b')}}).status == 201);
  CHECK(create(s, {{"id", "0a_b-c"}}).status == 201);
}

TEST_CASE("tenants: patch changes name and rate_limit, visible in the list and in effect at once",
          "[integration]") {
  sluice_process s;
  auto busy = s.create_tenant("busy");  // its tenant actor is running when the patch lands
  auto idle = s.create_tenant("idle");  // no event yet
  REQUIRE(s.post("/v1/events", event("warm"), busy).status == 201);

  json patch{{"name", "Busy Co"}, {"rate_limit", {{"events_per_sec", 0.01}, {"burst", 2}}}};
  for (const char* id : {"busy", "idle"}) {
    auto res = s.admin("PATCH", std::string("/v1/admin/tenants/") + id, patch.dump());
    REQUIRE(res.status == 200);
    auto t = listed(s, id);
    CHECK(t.at("name") == "Busy Co");
    CHECK(t.at("rate_limit") == json{{"events_per_sec", 0.01}, {"burst", 2}});
  }
  for (auto* key : {&busy, &idle}) {
    CHECK(s.post("/v1/events", event("a"), *key).status == 201);
    CHECK(s.post("/v1/events", event("b"), *key).status == 201);
    auto third = s.post("/v1/events", event("c"), *key);
    CHECK(third.status == 429);
    CHECK(parsed(third).at("error").at("code") == "rate_limited");
    CHECK(third.headers["ratelimit-limit"] == "2");
  }
  // A patch of the name alone keeps the limit.
  REQUIRE(s.admin("PATCH", "/v1/admin/tenants/busy", R"({"name":"Renamed"})").status == 200);
  CHECK(listed(s, "busy").at("rate_limit") == json{{"events_per_sec", 0.01}, {"burst", 2}});
  CHECK(listed(s, "busy").at("name") == "Renamed");
}

TEST_CASE("tenants: patch with a bad field answers 400 naming it and changes nothing",
          "[integration]") {
  sluice_process s;
  s.create_tenant("acme");
  auto bad_burst = s.admin("PATCH", "/v1/admin/tenants/acme",
                           R"({"rate_limit":{"events_per_sec":10,"burst":0}})");
  CHECK(bad_burst.status == 400);
  CHECK(parsed(bad_burst).at("error").at("field") == "rate_limit.burst");
  auto unknown = s.admin("PATCH", "/v1/admin/tenants/acme", R"({"colour":"red"})");
  CHECK(unknown.status == 400);
  CHECK(parsed(unknown).at("error").at("field") == "colour");
  auto bad_name = s.admin("PATCH", "/v1/admin/tenants/acme", R"({"name":5})");
  CHECK(bad_name.status == 400);
  CHECK(parsed(bad_name).at("error").at("field") == "name");
  CHECK(listed(s, "acme").at("rate_limit") == json{{"events_per_sec", 1e6}, {"burst", 1e6}});
  CHECK(listed(s, "acme").at("name") == "acme");
}

TEST_CASE("tenants: a rotated key and the old key both work", "[integration]") {
  sluice_process s;
  auto first = parsed(create(s, {{"id", "acme"}}));
  auto res = s.admin("POST", "/v1/admin/tenants/acme/keys");
  REQUIRE(res.status == 201);
  auto second = parsed(res);
  CHECK(second.at("id") == "acme");
  CHECK(second.at("api_key") != first.at("api_key"));
  CHECK(second.at("key_id") != first.at("key_id"));
  CHECK(std::regex_search(second.at("api_key").get<std::string>(), std::regex("[0-9a-f]{32,}")));

  auto r1 = s.post("/v1/events", event("e1"), first.at("api_key"));
  auto r2 = s.post("/v1/events", event("e2"), second.at("api_key"));
  CHECK(r1.status == 201);
  CHECK(r2.status == 201);
  CHECK(parsed(r2).at("seq") == 2);  // same tenant: one seq sequence
  auto page = parsed(s.get("/v1/events", second.at("api_key")));
  CHECK(page.at("events").size() == 2);
}

TEST_CASE("tenants: a revoked key gets 401 at once with the body of an unknown key",
          "[integration]") {
  sluice_process s;
  auto first = parsed(create(s, {{"id", "acme"}}));
  auto second = parsed(s.admin("POST", "/v1/admin/tenants/acme/keys"));
  std::string revoked = first.at("api_key");
  REQUIRE(s.post("/v1/events", event("e1"), revoked).status == 201);

  auto res =
      s.admin("DELETE", "/v1/admin/tenants/acme/keys/" + first.at("key_id").get<std::string>());
  REQUIRE(res.status == 200);

  auto unknown_post = s.post("/v1/events", event("e2"), "sk_" + std::string(48, '0'));
  auto revoked_post = s.post("/v1/events", event("e2"), revoked);
  CHECK(unknown_post.status == 401);
  CHECK(revoked_post.status == 401);
  CHECK(revoked_post.body == unknown_post.body);
  CHECK(parsed(revoked_post).at("error").at("code") == "unauthorized");
  auto revoked_get = s.get("/v1/events", revoked);
  CHECK(revoked_get.status == 401);
  CHECK(revoked_get.body == s.get("/v1/events", "nope").body);
  auto bearer = http_call("127.0.0.1", s.port(), "GET", "/v1/events",
                          {{"Authorization", "Bearer " + revoked}});
  CHECK(bearer.status == 401);

  // The other key is untouched; revoking again, or a key of nobody, is 404.
  CHECK(s.post("/v1/events", event("e3"), second.at("api_key")).status == 201);
  CHECK(s.admin("DELETE", "/v1/admin/tenants/acme/keys/" + first.at("key_id").get<std::string>())
            .status == 404);
  CHECK(s.admin("DELETE", "/v1/admin/tenants/acme/keys/key_nonexistent").status == 404);
}

TEST_CASE("tenants: a key of one tenant cannot be revoked through another", "[integration]") {
  sluice_process s;
  auto a = parsed(create(s, {{"id", "a"}}));
  REQUIRE(create(s, {{"id", "b"}}).status == 201);
  auto res = s.admin("DELETE", "/v1/admin/tenants/b/keys/" + a.at("key_id").get<std::string>());
  CHECK(res.status == 404);
  CHECK(s.post("/v1/events", event("e1"), a.at("api_key")).status == 201);
}

TEST_CASE("tenants: delete removes keys, the listing and all data, and the id can be reused",
          "[integration]") {
  sluice_process s;
  auto neighbour = s.create_tenant("acme2");  // shares a prefix: must be untouched
  REQUIRE(s.post("/v1/events", event("e1"), neighbour).status == 201);
  auto old_key = s.create_tenant("acme");
  auto rotated =
      parsed(s.admin("POST", "/v1/admin/tenants/acme/keys")).at("api_key").get<std::string>();
  for (auto id : {"e1", "e2", "e3"})
    REQUIRE(s.post("/v1/events", event(id), old_key).status == 201);

  auto res = s.admin("DELETE", "/v1/admin/tenants/acme");
  REQUIRE(res.status == 200);
  CHECK(s.post("/v1/events", event("e4"), old_key).status == 401);
  CHECK(s.post("/v1/events", event("e4"), rotated).status == 401);
  CHECK(s.get("/v1/events", old_key).status == 401);
  CHECK(listed(s, "acme").is_null());
  CHECK(s.admin("DELETE", "/v1/admin/tenants/acme").status == 404);

  auto new_key = s.create_tenant("acme");
  CHECK(s.get("/v1/events", old_key).status == 401);  // old keys do not come back with the id
  auto page = s.get("/v1/events", new_key);
  REQUIRE(page.status == 200);
  CHECK(parsed(page).at("events").empty());
  auto again = s.post("/v1/events", event("e1"), new_key);  // not a duplicate of the old e1
  CHECK(again.status == 201);
  CHECK(parsed(again) == json{{"status", "stored"}, {"seq", 1}});

  auto kept = parsed(s.get("/v1/events", neighbour)).at("events");
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].at("tenant_id") == "acme2");
  CHECK(listed(s, "acme2").is_object());
  CHECK(parsed(s.post("/v1/events", event("e1"), neighbour)) ==
        json{{"status", "duplicate"}, {"seq", 1}});
}

TEST_CASE("tenants: a deleted tenant stays deleted after a restart", "[integration]") {
  sluice_process s;
  auto other = s.create_tenant("other");
  auto key = s.create_tenant("acme");
  std::vector<std::string> keys{key};
  for (int i = 0; i < 4; ++i)
    keys.push_back(parsed(s.admin("POST", "/v1/admin/tenants/acme/keys")).at("api_key"));
  REQUIRE(s.post("/v1/events", event("e1"), key).status == 201);
  REQUIRE(s.admin("DELETE", "/v1/admin/tenants/acme").status == 200);
  s.kill();  // the catalog must hold the deletion without a clean shutdown
  s.restart();
  CHECK(listed(s, "acme").is_null());
  for (auto& k : keys) CHECK(s.post("/v1/events", event("e2"), k).status == 401);
  CHECK(s.post("/v1/events", event("e2"), other).status == 201);
  auto new_key = s.create_tenant("acme");
  CHECK(parsed(s.get("/v1/events", new_key)).at("events").empty());
}

TEST_CASE("tenants: admin routes answer 403 to a tenant key and 401 to no or a wrong token",
          "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  const std::string list = "/v1/admin/tenants";

  auto tenant_bearer = admin_with(s, "GET", list, {{"Authorization", "Bearer " + key}});
  CHECK(tenant_bearer.status == 403);
  CHECK(parsed(tenant_bearer).at("error").at("code") == "forbidden");
  CHECK(admin_with(s, "GET", list, {{"X-API-Key", key}}).status == 403);
  auto tenant_create =
      admin_with(s, "POST", list, {{"Authorization", "Bearer " + key}}, R"({"id":"sneaky"})");
  CHECK(tenant_create.status == 403);
  CHECK(admin_with(s, "DELETE", "/v1/admin/tenants/acme", {{"X-API-Key", key}}).status == 403);

  auto none = admin_with(s, "GET", list, {});
  CHECK(none.status == 401);
  CHECK(parsed(none).at("error").at("code") == "unauthorized");
  auto wrong = admin_with(s, "GET", list, {{"Authorization", "Bearer " + s.admin_token() + "x"}});
  CHECK(wrong.status == 401);
  CHECK(wrong.body == none.body);
  CHECK(admin_with(s, "GET", list, {{"Authorization", "Basic " + s.admin_token()}}).status == 401);
  CHECK(admin_with(s, "POST", list, {}, R"({"id":"sneaky"})").status == 401);

  // None of those created or deleted anything; the admin token is no tenant key either.
  auto tenants = parsed(s.admin("GET", list)).at("tenants");
  REQUIRE(tenants.size() == 1);
  CHECK(tenants[0].at("id") == "acme");
  CHECK(s.post("/v1/events", event("e1"), s.admin_token()).status == 401);
}

TEST_CASE("tenants: admin operations on an unknown tenant answer 404", "[integration]") {
  sluice_process s;
  s.create_tenant("acme");
  for (auto [method, target, body] :
       {std::tuple{"PATCH", "/v1/admin/tenants/ghost", R"({"name":"x"})"},
        std::tuple{"DELETE", "/v1/admin/tenants/ghost", ""},
        std::tuple{"POST", "/v1/admin/tenants/ghost/keys", ""},
        std::tuple{"DELETE", "/v1/admin/tenants/ghost/keys/key_0123", ""}}) {
    INFO(method << " " << target);
    auto res = s.admin(method, target, body);
    CHECK(res.status == 404);
    CHECK(parsed(res).at("error").at("code") == "not_found");
  }
  CHECK(listed(s, "ghost").is_null());
}

TEST_CASE("tenants: admin bodies accept any spelling of the JSON media type",
          "[integration]") {
  sluice_process s;
  for (auto [id, type] :
       {std::pair{"a1", "Application/JSON"}, std::pair{"a2", "application/json ; charset=utf-8"}}) {
    INFO(type);
    auto res = admin_with(s, "POST", "/v1/admin/tenants",
                          {{"Authorization", "Bearer " + s.admin_token()}, {"Content-Type", type}},
                          json{{"id", id}}.dump());
    CHECK(res.status == 201);
  }
}
