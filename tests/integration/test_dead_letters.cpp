// Writer retries and dead letters through the real binary, with injected commit faults:
// a commit that fails a few times is retried and stores once; one that keeps failing answers
// 503 and becomes a dead letter that GET /v1/dead-letters shows and replay stores (dedup kept);
// `sluice dlq` does the same for operators.
#include "tests/integration/event_ledger.hpp"

#include <catch2/catch.hpp>

using sluice::testing::dead_letters;
using sluice::testing::probe_event;
using sluice::testing::run_command;
using sluice::testing::sluice_process;
using sluice::testing::stored_counts;
using json = nlohmann::json;

namespace {

json replay(sluice_process& s, const std::string& key, const std::string& body) {
  auto res = s.post("/v1/dead-letters/replay", body, key);
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

// The value of sluice_dead_letters_total for the tenant on /metrics; -1 when absent.
double dead_letter_metric(sluice_process& s, const std::string& tenant) {
  auto text = s.get("/metrics").body;
  std::string series = "sluice_dead_letters_total{tenant=\"" + tenant + "\"} ";
  auto at = text.find(series);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size()));
}

}  // namespace

TEST_CASE("dead letters: a commit that fails three times is retried and stores the event once",
          "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_commit:first=3"}});
  auto key = s.create_tenant("acme");
  auto res = s.post("/v1/events", probe_event("e-1"), key);
  REQUIRE(res.status == 201);
  CHECK(json::parse(res.body).at("seq") == 1);
  CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});
  CHECK(dead_letters(s, key).empty());
  CHECK(s.get("/readyz").status == 200);  // the failure cleared with the successful commit
}

TEST_CASE("dead letters: retries exhausted answer 503 and keep the event, replay stores it once",
          "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_commit:first=10"},
                                                      {"SLUICE_WRITER_RETRY_ATTEMPTS", "5"}});
  auto key = s.create_tenant("acme");
  auto other = s.create_tenant("other");

  auto res = s.post("/v1/events", probe_event("e-1"), key);
  REQUIRE(res.status == 503);
  CHECK(json::parse(res.body).at("error").at("code") == "unavailable");
  CHECK(stored_counts(s, key).empty());
  auto letters = dead_letters(s, key);
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].at("id") == "dl-1");
  CHECK(letters[0].at("kind") == "event");
  CHECK(letters[0].at("attempts") == 5);
  CHECK(letters[0].at("reason").get<std::string>().find("injected fault: writer_commit") !=
        std::string::npos);
  CHECK(letters[0].at("event").at("event_id") == "e-1");
  CHECK(letters[0].at("first_failed_at").get<std::string>().back() == 'Z');
  CHECK(letters[0].at("last_failed_at") >= letters[0].at("first_failed_at"));
  CHECK(dead_letter_metric(s, "acme") == 1);

  // The same event fails again (the faults cover 10 commits): a second letter of it.
  REQUIRE(s.post("/v1/events", probe_event("e-1"), key).status == 503);
  REQUIRE(dead_letters(s, key).size() == 2);
  CHECK(dead_letter_metric(s, "acme") == 2);

  SECTION("another tenant neither sees nor replays them") {
    CHECK(dead_letters(s, other).empty());
    auto r = replay(s, other, R"({"ids":["dl-1","dl-2"]})");
    CHECK(r.at("not_found") == 2);
    CHECK(r.at("results")[0].at("status") == "not_found");
    CHECK(dead_letters(s, key).size() == 2);
  }
  SECTION("paging") {
    auto page = json::parse(s.get("/v1/dead-letters?limit=1", key).body);
    REQUIRE(page.at("dead_letters").size() == 1);
    CHECK(page.at("next_after_id") == "dl-1");
    page = json::parse(s.get("/v1/dead-letters?limit=1&after_id=dl-1", key).body);
    REQUIRE(page.at("dead_letters").size() == 1);
    CHECK(page.at("dead_letters")[0].at("id") == "dl-2");
    CHECK(page.at("next_after_id").is_null());
  }
  SECTION("replay stores once, removes the letter, and dedup holds for the other letter") {
    auto r = replay(s, key, R"({"ids":["dl-1"]})");
    CHECK(r.at("stored") == 1);
    REQUIRE(r.at("results").size() == 1);
    CHECK(r.at("results")[0].at("id") == "dl-1");
    CHECK(r.at("results")[0].at("status") == "stored");
    auto seq = r.at("results")[0].at("seq");
    CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});
    auto left = dead_letters(s, key);
    REQUIRE(left.size() == 1);
    CHECK(left[0].at("id") == "dl-2");

    r = replay(s, key, R"({"ids":["dl-1"]})");
    CHECK(r.at("results")[0].at("status") == "not_found");

    r = replay(s, key, "{}");
    CHECK(r.at("duplicates") == 1);
    CHECK(r.at("more") == false);
    CHECK(r.at("results")[0].at("status") == "duplicate");
    CHECK(r.at("results")[0].at("seq") == seq);
    CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});
    CHECK(dead_letters(s, key).empty());
  }
  SECTION("replaying both letters of one event at once stores it once") {
    auto r = replay(s, key, "{}");
    CHECK(r.at("stored") == 1);
    CHECK(r.at("duplicates") == 1);
    CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});
    CHECK(dead_letters(s, key).empty());
  }
}

TEST_CASE("dead letters: a replay that fails again keeps the letter with one more attempt",
          "[integration]") {
  // One attempt per commit: the write fails once (a letter), the replay fails once more.
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_commit:first=2"},
                                                      {"SLUICE_WRITER_RETRY_ATTEMPTS", "1"}});
  auto key = s.create_tenant("acme");
  REQUIRE(s.post("/v1/events", probe_event("e-1"), key).status == 503);
  auto r = replay(s, key, "{}");
  CHECK(r.at("failed") == 1);
  CHECK(r.at("results")[0].at("status") == "failed");
  CHECK(r.at("results")[0].at("reason").get<std::string>().find("writer_commit") !=
        std::string::npos);
  auto letters = dead_letters(s, key);
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].at("attempts") == 2);
  CHECK(dead_letter_metric(s, "acme") == 1);  // still one letter: the replay did not add one
  r = replay(s, key, "{}");
  CHECK(r.at("stored") == 1);
  CHECK(dead_letters(s, key).empty());
  CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});
}

TEST_CASE("dead letters: bad requests get 400 with the field", "[integration]") {
  sluice_process s;
  auto key = s.create_tenant("acme");
  auto field_of = [](const sluice::client_response& r) {
    return json::parse(r.body).at("error").value("field", "");
  };
  auto r = s.post("/v1/dead-letters/replay", R"({"ids":"dl-1"})", key);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "ids");
  r = s.post("/v1/dead-letters/replay", R"({"ids":["x-1"]})", key);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "ids");
  r = s.post("/v1/dead-letters/replay", R"({"all":true})", key);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "all");
  CHECK(s.post("/v1/dead-letters/replay", "[1]", key).status == 400);
  CHECK(s.post("/v1/dead-letters/replay", "{}", key, {{"Content-Type", "text/plain"}}).status ==
        415);
  r = s.get("/v1/dead-letters?after_id=7", key);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "after_id");
  r = s.get("/v1/dead-letters?limit=1001", key);
  CHECK(r.status == 400);
  CHECK(field_of(r) == "limit");
  CHECK(s.get("/v1/dead-letters").status == 401);
  CHECK(s.post("/v1/dead-letters/replay", "{}", "sk_wrong").status == 401);
  CHECK(s.admin("GET", "/v1/admin/tenants/nobody/dead-letters").status == 404);
  CHECK(s.get("/v1/admin/tenants/acme/dead-letters", key).status == 403);
}

TEST_CASE("dead letters: sluice dlq lists, replays and purges a tenant's letters",
          "[integration]") {
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_FAULTS", "writer_commit:first=3"},
                                                      {"SLUICE_WRITER_RETRY_ATTEMPTS", "1"}});
  auto key = s.create_tenant("acme");
  for (int i = 1; i <= 3; ++i)
    REQUIRE(s.post("/v1/events", probe_event("e-" + std::to_string(i)), key).status == 503);
  std::string dlq = std::string(SLUICE_BINARY) +
                    " dlq --server 127.0.0.1:" + std::to_string(s.port()) + " --token " +
                    s.admin_token() + " ";

  auto [status, out] = run_command(dlq + "list --tenant acme");
  REQUIRE(status == 0);
  auto listed = json::parse(out);
  REQUIRE(listed.at("dead_letters").size() == 3);
  CHECK(listed.at("dead_letters")[2].at("event").at("event_id") == "e-3");

  std::tie(status, out) = run_command(dlq + "list --tenant acme --limit 2");
  REQUIRE(status == 0);
  CHECK(json::parse(out).at("next_after_id") == "dl-2");

  std::tie(status, out) = run_command(dlq + "replay --tenant acme --id dl-1");
  REQUIRE(status == 0);
  CHECK(json::parse(out).at("results")[0].at("status") == "stored");
  CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});

  std::tie(status, out) = run_command(dlq + "purge --tenant acme --id dl-2");
  REQUIRE(status == 0);
  CHECK(json::parse(out).at("purged") == 1);
  std::tie(status, out) = run_command(dlq + "purge --tenant acme");
  REQUIRE(status == 0);
  CHECK(json::parse(out).at("purged") == 1);
  CHECK(dead_letters(s, key).empty());
  CHECK(stored_counts(s, key) == std::map<std::string, int>{{"e-1", 1}});

  std::tie(status, out) = run_command(dlq + "list --tenant nobody");
  CHECK(status == 1);
  CHECK(out.find("not_found") != std::string::npos);
}
