// The replay seam (node::redeliver_webhooks) on a node started in this process, against a real
// loopback receiver: the HTTP replay route that calls it lives on another branch.
#include "actors/node.hpp"
#include "store/secrets.hpp"
#include "tests/integration/sluice_process.hpp"
#include "tests/integration/webhook_receiver.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <future>

using namespace sluice;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

admin_reply call_admin(node& n, admin_request req) {
  std::promise<admin_reply> p;
  n.admin(std::move(req), [&](admin_reply r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

admin_reply call_webhooks(node& n, webhook_request req) {
  std::promise<admin_reply> p;
  n.webhooks(std::move(req), [&](admin_reply r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

std::vector<std::string> redeliver(node& n, const std::string& tenant,
                                   std::vector<dead_letter> letters) {
  std::promise<std::vector<std::string>> p;
  n.redeliver_webhooks(tenant, std::move(letters),
                       [&](std::vector<std::string> r) { p.set_value(std::move(r)); });
  auto f = p.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  return f.get();
}

dead_letter letter(const std::string& tenant, const std::string& webhook_id, std::string body) {
  dead_letter l;
  l.tenant = tenant;
  l.kind = "webhook";
  l.webhook_id = webhook_id;
  l.attempts = 8;
  l.seq = 1;
  l.event.body = std::move(body);
  return l;
}

}  // namespace

TEST_CASE(
    "redeliver_webhooks POSTs each letter once with the current secret and says why any "
    "failed",
    "[webhooks]") {
  char tmpl[] = "/tmp/sluice-redeliver-XXXXXX";
  config cfg;
  cfg.data_dir = ::mkdtemp(tmpl);
  cfg.shards = 1;
  cfg.map_size_mb = 16;
  cfg.webhooks_timeout_ms = 2000;
  testing::webhook_receiver receiver;
  std::string error;
  auto n = node::start(cfg, error);
  REQUIRE(n);

  admin_request create_tenant;
  create_tenant.what = admin_request::op::create_tenant;
  create_tenant.tenant_id = "acme";
  REQUIRE(call_admin(*n, create_tenant).status == 201);
  tenant_record acme{"acme", "acme", {}, 0, 0};
  auto subscribe = [&](const std::string& url) {
    webhook_request req;
    req.what = webhook_request::op::create;
    req.tenant = acme;
    req.url = url;
    req.event_types = {"login"};
    req.secret = "new-secret";
    auto r = call_webhooks(*n, req);
    REQUIRE(r.status == 201);
    return json::parse(r.body)["id"].get<std::string>();
  };
  auto id = subscribe(receiver.url());
  auto dead_id = subscribe("http://127.0.0.1:" + std::to_string(testing::free_port()) + "/h");

  receiver.fail_next(1);
  auto reasons =
      redeliver(*n, "acme",
                {letter("acme", id, R"({"seq":1,"n":"first"})"),
                 letter("acme", id, R"({"seq":1,"n":"second"})"), letter("acme", "wh-gone", "{}"),
                 letter("other", id, "{}"),  // not the caller's letter
                 letter("acme", dead_id, "{}")});
  CHECK(reasons == std::vector<std::string>{"HTTP 500", "", "webhook no longer exists",
                                            "webhook no longer exists", "connection refused"});
  auto got = receiver.requests();
  REQUIRE(got.size() == 2);
  CHECK(got[0].body == R"({"seq":1,"n":"first"})");
  CHECK(got[1].body == R"({"seq":1,"n":"second"})");
  CHECK(got[1].headers["x-sluice-signature"] ==
        "sha256=" + hmac_sha256_hex("new-secret", got[1].body));
  CHECK(got[1].headers["x-sluice-webhook-id"] == id);
  CHECK(got[1].headers["x-sluice-delivery-attempt"] == "9");

  webhook_request remove;
  remove.what = webhook_request::op::remove;
  remove.tenant = acme;
  remove.id = id;
  REQUIRE(call_webhooks(*n, remove).status == 200);
  CHECK(redeliver(*n, "acme", {letter("acme", id, "{}")}) ==
        std::vector<std::string>{"webhook no longer exists"});
  CHECK(redeliver(*n, "acme", {}).empty());

  n->shutdown(1000ms);
  n.reset();
  (void)std::system(("rm -rf '" + cfg.data_dir + "'").c_str());
}
