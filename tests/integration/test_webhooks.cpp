#include "store/dead_letters.hpp"
#include "tests/integration/sluice_process.hpp"
#include "tests/integration/webhook_receiver.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <thread>

using sluice::testing::received_request;
using sluice::testing::sluice_process;
using sluice::testing::webhook_receiver;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Small delays so each test takes a few seconds.
std::map<std::string, std::string> fast(std::map<std::string, std::string> more = {}) {
  std::map<std::string, std::string> env{{"SLUICE_WEBHOOKS_POLL_MS", "50"},
                                         {"SLUICE_WEBHOOKS_RETRY_BASE_MS", "100"},
                                         {"SLUICE_WEBHOOKS_RETRY_MAX_MS", "10000"},
                                         {"SLUICE_WEBHOOKS_TIMEOUT_MS", "2000"}};
  for (auto& [k, v] : more) env[k] = v;
  return env;
}

std::string subscribe(sluice_process& s, const std::string& key, const std::string& url, json types,
                      const std::string& secret = "s3cret") {
  auto res = s.post("/v1/webhooks",
                    json{{"url", url}, {"event_types", types}, {"secret", secret}}.dump(), key);
  INFO(res.body);
  REQUIRE(res.status == 201);
  return json::parse(res.body).at("id");
}

void store_events(sluice_process& s, const std::string& key, const std::vector<std::string>& types,
                  const std::string& id_prefix = "e") {
  std::string body;
  int n = 0;
  for (auto& t : types)
    body += json{{"event_type", t},
                 {"timestamp", "2026-01-01T10:00:00Z"},
                 {"event_id", id_prefix + std::to_string(n++)}}
                .dump() +
            "\n";
  auto res = s.post("/v1/events/batch", body, key, {{"Content-Type", "application/x-ndjson"}});
  REQUIRE(res.status == 200);
  REQUIRE(json::parse(res.body)["stored"] == types.size());
}

// The signature computed here with OpenSSL, apart from the server's code.
std::string signature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out = "sha256=";
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

std::uint64_t seq_of(const received_request& r) {
  return json::parse(r.body).at("seq");
}

// Seqs answered 200, in arrival order.
std::vector<std::uint64_t> delivered(const std::vector<received_request>& requests) {
  std::vector<std::uint64_t> out;
  for (auto& r : requests)
    if (r.status == 200) out.push_back(seq_of(r));
  return out;
}

auto count_delivered(std::size_t n) {
  return [n](const std::vector<received_request>& r) { return delivered(r).size() >= n; };
}

auto count_requests(std::size_t n) {
  return [n](const std::vector<received_request>& r) { return r.size() >= n; };
}

// The node counts a delivery just after the receiver answered it: poll /metrics for the line.
bool metrics_show(sluice_process& s, const std::string& line) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (s.get("/metrics").body.find(line) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST_CASE("webhooks: create, list and delete, with input errors and other tenants' ids as 404",
          "[integration][webhooks]") {
  sluice_process s;
  auto a = s.create_tenant("acme");
  auto b = s.create_tenant("bravo");
  auto id = subscribe(s, a, "http://127.0.0.1:9/hook", {"login", "purchase"});
  CHECK(id.rfind("wh-", 0) == 0);

  auto list = s.get("/v1/webhooks", a);
  REQUIRE(list.status == 200);
  auto hooks = json::parse(list.body)["webhooks"];
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["id"] == id);
  CHECK(hooks[0]["url"] == "http://127.0.0.1:9/hook");
  CHECK(hooks[0]["event_types"] == json{"login", "purchase"});
  CHECK_FALSE(hooks[0].contains("secret"));
  CHECK(list.body.find("s3cret") == std::string::npos);
  CHECK(json::parse(s.get("/v1/webhooks", b).body)["webhooks"].empty());

  auto bad = [&](json body, const std::string& field) {
    auto res = s.post("/v1/webhooks", body.dump(), a);
    INFO(body.dump() << " → " << res.status << " " << res.body);
    REQUIRE(res.status == 400);
    CHECK(json::parse(res.body)["error"]["field"] == field);
    return json::parse(res.body)["error"]["message"].get<std::string>();
  };
  json good{{"url", "http://127.0.0.1:9/h"}, {"event_types", {"login"}}, {"secret", "k"}};
  auto with = [&](const std::string& k, json v) {
    json b = good;
    b[k] = v;
    return b;
  };
  CHECK(bad(with("url", "https://example.org/h"), "url").find("https") != std::string::npos);
  bad(with("url", "ftp://example.org/h"), "url");
  bad(with("url", 5), "url");
  bad(with("event_types", json::array()), "event_types");
  bad(with("event_types", {""}), "event_types");
  bad(with("event_types", {std::string(129, 't')}), "event_types");
  bad(with("event_types", "login"), "event_types");
  bad(with("secret", ""), "secret");
  bad(with("secret", std::string(257, 's')), "secret");
  bad(with("extra", 1), "extra");
  json no_secret = good;
  no_secret.erase("secret");
  bad(no_secret, "secret");
  CHECK(s.post("/v1/webhooks", good.dump(), a, {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(s.post("/v1/webhooks", "{", a).status == 400);
  CHECK(s.post("/v1/webhooks", good.dump()).status == 401);
  CHECK(s.get("/v1/webhooks").status == 401);

  // Another tenant's webhook looks exactly like a missing one.
  auto foreign =
      sluice::http_call("127.0.0.1", s.port(), "DELETE", "/v1/webhooks/" + id, {{"X-API-Key", b}});
  auto missing = sluice::http_call("127.0.0.1", s.port(), "DELETE", "/v1/webhooks/wh-nothing",
                                   {{"X-API-Key", b}});
  CHECK(foreign.status == 404);
  CHECK(missing.status == 404);
  CHECK(json::parse(foreign.body)["error"]["code"] == json::parse(missing.body)["error"]["code"]);
  CHECK(json::parse(s.get("/v1/webhooks", a).body)["webhooks"].size() == 1);

  auto del =
      sluice::http_call("127.0.0.1", s.port(), "DELETE", "/v1/webhooks/" + id, {{"X-API-Key", a}});
  CHECK(del.status == 200);
  CHECK(json::parse(s.get("/v1/webhooks", a).body)["webhooks"].empty());
  CHECK(sluice::http_call("127.0.0.1", s.port(), "DELETE", "/v1/webhooks/" + id, {{"X-API-Key", a}})
            .status == 404);

  // At most 100 per tenant; subscriptions survive a restart.
  for (int i = 0; i < 100; ++i) subscribe(s, b, "http://127.0.0.1:9/h" + std::to_string(i), {"x"});
  auto over = s.post("/v1/webhooks", good.dump(), b);
  CHECK(over.status == 409);
  CHECK(json::parse(over.body)["error"]["code"] == "too_many_webhooks");
  s.restart();
  CHECK(json::parse(s.get("/v1/webhooks", b).body)["webhooks"].size() == 100);
  CHECK(json::parse(s.get("/v1/webhooks", a).body)["webhooks"].empty());

  // Deleting a tenant deletes its webhooks: the same id created again starts with none.
  REQUIRE(s.admin("DELETE", "/v1/admin/tenants/bravo").status == 200);
  auto b2 = s.create_tenant("bravo");
  CHECK(json::parse(s.get("/v1/webhooks", b2).body)["webhooks"].empty());
  s.restart();
  CHECK(json::parse(s.get("/v1/webhooks", b2).body)["webhooks"].empty());
}

TEST_CASE("webhooks: only subscribed types are delivered, in seq order, signed with the secret",
          "[integration][webhooks]") {
  webhook_receiver receiver;
  sluice_process s(fast());
  auto key = s.create_tenant("acme");
  store_events(s, key, {"login"}, "before");  // seq 1: stored before the subscription
  auto id = subscribe(s, key, receiver.url("/in?x=1"), {"login", "purchase"}, "k3y");
  store_events(s, key, {"view", "login", "purchase", "view", "login", "other", "purchase"});
  // seqs 2..8; subscribed: 3, 4, 6, 8
  REQUIRE(receiver.wait_until(count_delivered(4), 10s));
  // A later event proves nothing else was on its way before it.
  store_events(s, key, {"login"}, "after");  // seq 9
  REQUIRE(receiver.wait_until(count_delivered(5), 10s));
  auto requests = receiver.requests();
  CHECK(delivered(requests) == std::vector<std::uint64_t>{3, 4, 6, 8, 9});
  for (auto& r : requests) {
    INFO(r.body);
    CHECK(r.method == "POST");
    CHECK(r.target == "/in?x=1");
    CHECK(r.headers["content-type"] == "application/json");
    CHECK(r.headers["x-sluice-signature"] == signature("k3y", r.body));
    CHECK(r.headers["x-sluice-webhook-id"] == id);
    CHECK(r.headers["x-sluice-delivery-attempt"] == "1");
    auto body = json::parse(r.body);
    CHECK(body["webhook_id"] == id);
    CHECK(body["tenant_id"] == "acme");
    CHECK(body["event"]["seq"] == body["seq"]);
    CHECK(body["event"]["tenant_id"] == "acme");
    CHECK(body["event_id"] == body["event"]["event_id"]);
    std::set<std::string> wanted{"login", "purchase"};
    CHECK(wanted.count(body["event"]["event_type"]) == 1);
  }
  CHECK(json::parse(requests[0].body)["event_id"] == "e1");

  // More events than the dispatcher reads ahead at a time: still all of them, in order.
  store_events(s, key, std::vector<std::string>(40, "purchase"), "many");  // seqs 10..49
  REQUIRE(receiver.wait_until(count_delivered(45), 10s));
  std::vector<std::uint64_t> expected{3, 4, 6, 8, 9};
  for (std::uint64_t seq = 10; seq <= 49; ++seq) expected.push_back(seq);
  CHECK(delivered(receiver.requests()) == expected);
}

TEST_CASE("webhooks: a failing receiver gets retries with growing gaps, then one delivery",
          "[integration][webhooks]") {
  webhook_receiver receiver;
  receiver.fail_next(3);
  sluice_process s(fast());
  auto key = s.create_tenant("acme");
  subscribe(s, key, receiver.url(), {"login"});
  store_events(s, key, {"login"});
  REQUIRE(receiver.wait_until(count_delivered(1), 10s));
  store_events(s, key, {"login"}, "second");
  REQUIRE(receiver.wait_until(count_delivered(2), 10s));
  auto r = receiver.requests();
  REQUIRE(r.size() == 5);
  CHECK(delivered(r) == std::vector<std::uint64_t>{1, 2});
  for (int i = 0; i < 4; ++i) {
    CHECK(seq_of(r[i]) == 1);
    CHECK(r[i].body == r[0].body);
    CHECK(r[i].headers["x-sluice-signature"] == signature("s3cret", r[i].body));
    CHECK(r[i].headers["x-sluice-delivery-attempt"] == std::to_string(i + 1));
    CHECK(r[i].status == (i < 3 ? 500 : 200));
  }
  // Retry n waits within [100·2^(n-1)/2, 100·2^(n-1)] ms: each gap at least its lower bound,
  // and none shorter than the one before (give or take a little scheduling noise).
  std::vector<long long> gaps;
  for (int i = 1; i < 4; ++i)
    gaps.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(r[i].at - r[i - 1].at).count());
  INFO("gaps " << gaps[0] << " " << gaps[1] << " " << gaps[2]);
  CHECK(gaps[0] >= 50);
  CHECK(gaps[1] >= 100);
  CHECK(gaps[2] >= 200);
  CHECK(gaps[1] + 20 >= gaps[0]);
  CHECK(gaps[2] + 20 >= gaps[1]);
  CHECK(gaps[2] > gaps[0]);
  CHECK(metrics_show(s, R"(sluice_webhook_deliveries_total{outcome="delivered",tenant="acme"} 2)"));
  CHECK(metrics_show(s, R"(sluice_webhook_deliveries_total{outcome="failed",tenant="acme"} 3)"));
}

TEST_CASE(
    "webhooks: deliveries that keep failing go to the dead letters, then the next event "
    "is delivered",
    "[integration][webhooks]") {
  webhook_receiver receiver;
  receiver.fail_next(1000);
  sluice_process s(fast({{"SLUICE_WEBHOOKS_MAX_ATTEMPTS", "3"}}));
  auto key = s.create_tenant("acme");
  auto id = subscribe(s, key, receiver.url(), {"login"});
  store_events(s, key, {"login"});
  REQUIRE(receiver.wait_until(count_requests(3), 10s));

  std::vector<sluice::dead_letter> letters;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (letters.empty() && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    auto store = sluice::dead_letter_store::open(s.data_dir() + "/dead-letters", true, ec);
    REQUIRE(store);
    REQUIRE_FALSE(store->list("acme", 0, 100, letters));
    if (letters.empty()) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(letters.size() == 1);
  auto& l = letters[0];
  auto first = receiver.requests()[0];
  CHECK(l.kind == "webhook");
  CHECK(l.webhook_id == id);
  CHECK(l.seq == 1);
  CHECK(l.reason == "HTTP 500");
  CHECK(l.attempts == 3);
  CHECK(l.event.body == first.body);
  CHECK(l.event.event_type == "login");
  CHECK(l.event.event_id == "e0");
  CHECK(l.first_failed_at_us < l.last_failed_at_us);
  CHECK(metrics_show(s, R"(sluice_dead_letters_total{tenant="acme"} 1)"));

  receiver.fail_next(0);
  store_events(s, key, {"login"}, "healed");
  REQUIRE(receiver.wait_until(count_delivered(1), 10s));
  CHECK(delivered(receiver.requests()) == std::vector<std::uint64_t>{2});
  CHECK(receiver.requests().size() == 4);

  // The receiver healed: replaying the letter through the API delivers it, signed, and the
  // letter leaves the dead letters.
  auto listed = s.get("/v1/dead-letters", key);
  REQUIRE(listed.status == 200);
  auto listed_body = json::parse(listed.body);
  REQUIRE(listed_body.at("dead_letters").size() == 1);
  auto letter_id = listed_body["dead_letters"][0].at("id").get<std::string>();
  CHECK(listed_body["dead_letters"][0].at("kind") == "webhook");
  auto replay = s.post("/v1/dead-letters/replay", json{{"ids", {letter_id}}}.dump(), key);
  INFO(replay.body);
  REQUIRE(replay.status == 200);
  auto replayed = json::parse(replay.body);
  CHECK(replayed.at("delivered") == 1);
  CHECK(replayed.at("failed") == 0);
  CHECK(replayed.at("results")[0].at("status") == "delivered");
  auto requests = receiver.requests();
  REQUIRE(requests.size() == 5);
  CHECK(requests.back().status == 200);
  CHECK(requests.back().body == l.event.body);
  CHECK(requests.back().headers["x-sluice-signature"] == signature("s3cret", l.event.body));
  CHECK(json::parse(s.get("/v1/dead-letters", key).body).at("dead_letters").empty());
}

TEST_CASE("webhooks: a hanging receiver of one tenant does not hold another tenant's deliveries",
          "[integration][webhooks]") {
  webhook_receiver stuck, healthy;
  stuck.hang(true);
  sluice_process s(fast({{"SLUICE_WEBHOOKS_TIMEOUT_MS", "20000"}}));
  auto a = s.create_tenant("acme");
  auto b = s.create_tenant("bravo");
  subscribe(s, a, stuck.url(), {"login"});
  subscribe(s, b, healthy.url(), {"login"});
  store_events(s, a, {"login", "login", "login"});
  REQUIRE(stuck.wait_until(count_requests(1), 10s));  // held, unanswered
  store_events(s, b, {"login", "login", "login"});
  // Well below acme's 20 s timeout: bravo's events do not wait behind acme's.
  REQUIRE(healthy.wait_until(count_delivered(3), 8s));
  CHECK(delivered(healthy.requests()) == std::vector<std::uint64_t>{1, 2, 3});
  // acme still ingests, and its subscription keeps one delivery in flight.
  store_events(s, a, {"login"}, "more");
  CHECK(stuck.requests().size() == 1);
  CHECK(stuck.requests()[0].status == 0);
  // A delivery still waiting for its answer does not hold up a graceful shutdown.
  CHECK(s.stop_within(10000) == 0);
}

TEST_CASE(
    "webhooks: deliveries pending at a stop or crash are delivered after the restart, in seq order",
    "[integration][webhooks]") {
  webhook_receiver receiver;
  sluice_process s(fast({{"SLUICE_WEBHOOKS_MAX_ATTEMPTS", "100"}}));
  auto key = s.create_tenant("acme");
  subscribe(s, key, receiver.url(), {"login"});
  store_events(s, key, {"login", "login", "login"});
  REQUIRE(receiver.wait_until(count_delivered(3), 10s));
  receiver.fail_next(1000);
  store_events(s, key, {"login", "view", "login", "login"}, "later");  // seqs 4, 6, 7
  REQUIRE(receiver.wait_until(count_requests(5), 10s));                // 4 failed at least twice
  SECTION("graceful stop") {
    REQUIRE(s.stop() == 0);
  }
  SECTION("kill -9") {
    s.kill();
  }
  receiver.fail_next(0);
  s.restart();
  REQUIRE(receiver.wait_until(count_delivered(6), 10s));
  // Each event delivered once: the cursor kept 1-3 from being sent again after the restart.
  CHECK(delivered(receiver.requests()) == std::vector<std::uint64_t>{1, 2, 3, 4, 6, 7});
}

TEST_CASE("webhooks: an injected webhook_send fault is a failed attempt that is retried",
          "[integration][webhooks]") {
  webhook_receiver receiver;
  sluice_process s(fast({{"SLUICE_FAULTS", "webhook_send:first=2"}}));
  auto key = s.create_tenant("acme");
  subscribe(s, key, receiver.url(), {"login"});
  store_events(s, key, {"login"});
  REQUIRE(receiver.wait_until(count_delivered(1), 10s));
  auto r = receiver.requests();
  REQUIRE(r.size() == 1);  // the two injected failures never reached the receiver
  CHECK(r[0].headers["x-sluice-delivery-attempt"] == "3");
  CHECK(metrics_show(s, R"(sluice_webhook_deliveries_total{outcome="failed",tenant="acme"} 2)"));
}

TEST_CASE(
    "webhooks: a crashed dispatcher is restarted by the supervisor and resumes from its "
    "cursors",
    "[integration][webhooks]") {
  webhook_receiver receiver;
  // The dispatcher quits just before its 3rd send; the supervisor starts a new one.
  sluice_process s(fast({{"SLUICE_FAULTS", "webhook_crash:nth=3"}}));
  auto key = s.create_tenant("acme");
  auto id = subscribe(s, key, receiver.url(), {"login"});
  store_events(s, key, {"login", "login"});
  REQUIRE(receiver.wait_until(count_delivered(2), 10s));
  store_events(s, key, {"login", "login", "login"}, "after");
  REQUIRE(receiver.wait_until(count_delivered(5), 10s));
  // Nothing skipped, nothing sent twice: the new dispatcher started at the saved cursor.
  CHECK(delivered(receiver.requests()) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(s.log_shows("webhook dispatcher failed; restarting"));
  // The node still serves subscriptions through the new dispatcher.
  auto listed = s.get("/v1/webhooks", key);
  REQUIRE(listed.status == 200);
  CHECK(json::parse(listed.body).at("webhooks").at(0).at("id") == id);
  CHECK(s.get("/readyz").status == 200);
}
