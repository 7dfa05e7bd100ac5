#include "actors/retry_backoff.hpp"
#include "actors/webhook_delivery.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sluice;

TEST_CASE("webhook URLs: http host, port and target are taken apart, anything else is refused") {
  std::string error;
  auto u = parse_webhook_url("http://127.0.0.1:8123/hooks/in?x=1", error);
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 8123);
  CHECK(u->target == "/hooks/in?x=1");
  u = parse_webhook_url("HTTP://example.org", error);
  REQUIRE(u);
  CHECK(u->port == 80);
  CHECK(u->target == "/");
  u = parse_webhook_url("http://[::1]:9000/h#frag", error);
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->target == "/h");

  CHECK_FALSE(parse_webhook_url("https://example.org/h", error));
  CHECK(error.find("https is not supported") != std::string::npos);
  for (auto bad : {"ftp://x/h", "example.org/h", "http:///h", "http://a b/h", "http://x:0/h",
                   "http://x:70000/h", "http://x:/h", "http://user@x/h", "http://x:y/h",
                   "http://a:b:80/h", "http://[::1/h"}) {
    INFO(bad);
    CHECK_FALSE(parse_webhook_url(bad, error));
  }
}

TEST_CASE("retry delays use equal jitter: each within its range, ranges doubling up to the cap") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    for (int n = 1; n <= 10; ++n) {
      auto d = retry_delay(n - 1, 100, 5000, rng).count();  // after n failures
      long long full = std::min(100LL << (n - 1), 5000LL);
      INFO("failures " << n << " delay " << d);
      CHECK(d >= full / 2);
      CHECK(d <= full);
    }
  }
}

TEST_CASE("a delivery body carries the webhook, tenant, seq, event_id and the event, signed") {
  webhook_record w;
  w.id = "wh-1";
  w.tenant = "acme";
  feed_event e;
  e.seq = 7;
  e.timestamp_us = 1000;
  e.event_type = "login";
  e.json = R"({"seq":7,"tenant_id":"acme","event_type":"login","event_id":"e-\"1"})";
  auto d = make_delivery(w, e);
  auto j = nlohmann::json::parse(d.body);
  CHECK(j["webhook_id"] == "wh-1");
  CHECK(j["tenant_id"] == "acme");
  CHECK(j["seq"] == 7);
  CHECK(j["event_id"] == "e-\"1");
  CHECK(j["event"] == nlohmann::json::parse(e.json));
  CHECK(d.event_id == "e-\"1");

  e.json = R"({"seq":7,"tenant_id":"acme","event_type":"login"})";
  CHECK(nlohmann::json::parse(make_delivery(w, e).body)["event_id"].is_null());

  auto headers = delivery_headers("wh-1", "s3cret", d.body, 3);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), "s3cret", 6, reinterpret_cast<const unsigned char*>(d.body.data()),
       d.body.size(), mac, &len);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  std::map<std::string, std::string> h(headers.begin(), headers.end());
  CHECK(h["X-Sluice-Signature"] == "sha256=" + hex);
  CHECK(h["X-Sluice-Delivery-Attempt"] == "3");
  CHECK(h["X-Sluice-Webhook-Id"] == "wh-1");
  CHECK(h["Content-Type"] == "application/json");

  auto letter = webhook_dead_letter(w, d, "HTTP 500", 8, 10, 20);
  CHECK(letter.kind == "webhook");
  CHECK(letter.seq == 7);
  CHECK(letter.webhook_id == "wh-1");
  CHECK(letter.event.body == d.body);
  CHECK(letter.event.event_type == "login");
  CHECK(letter.attempts == 8);
}
