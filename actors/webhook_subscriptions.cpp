// The webhook dispatcher's answers to the edge: create, list and delete subscriptions
// (/v1/webhooks), and the one-attempt redelivery of webhook dead letters used by replay.
// Runs in the dispatcher actor (actors/webhook_dispatcher.hpp).
#include "actors/webhook_dispatcher.hpp"
#include "store/secrets.hpp"
#include "store/timestamp.hpp"
#include "store/webhook_feed.hpp"

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

using json = nlohmann::json;

admin_reply error_reply(int status, const std::string& code, const std::string& message) {
  return {status, json{{"error", {{"code", code}, {"message", message}}}}.dump()};
}

// As the API shows a subscription: never its secret.
json webhook_json(const webhook_record& w) {
  return {{"id", w.id},
          {"url", w.url},
          {"event_types", w.event_types},
          {"created_at", format_timestamp(w.created_at_us / 1000000 * 1000000)}};
}

admin_reply create(webhook_pointer self, webhook_request& req) {
  auto& st = self->state;
  auto& tenant = req.tenant;
  std::size_t owned = 0;
  for (auto& [id, s] : st.subs) owned += s.record.tenant == tenant.id;
  if (owned >= webhook_state::max_per_tenant)
    return error_reply(409, "too_many_webhooks",
                       "a tenant may have at most " +
                           std::to_string(webhook_state::max_per_tenant) +
                           " webhooks; delete one first");
  std::string error;
  auto url = parse_webhook_url(req.url, error);
  if (!url || static_cast<std::size_t>(tenant.shard) >= st.stores.size())
    return error_reply(400, "invalid_webhook", "url " + error);
  webhook_record w;
  w.id = "wh-" + random_hex(8);
  w.tenant = tenant.id;
  w.url = req.url;
  w.event_types = std::move(req.event_types);
  w.secret = std::move(req.secret);
  w.shard = tenant.shard;
  w.created_at_us = now_micros();
  // It gets the events stored from now on: it starts after the tenant's current last seq.
  std::error_code ec;
  auto cursor = last_seq(*st.stores[static_cast<std::size_t>(w.shard)], w.tenant, ec);
  if (!ec) ec = st.cat->add_webhook(w, cursor);
  if (ec) return error_reply(503, "unavailable", "catalog write failed: " + ec.message());
  subscription s;
  s.url = *url;
  s.cursor = cursor;
  s.record = w;
  st.subs.emplace(w.id, std::move(s));
  return {201, webhook_json(w).dump()};
}

admin_reply list(webhook_pointer self, const webhook_request& req) {
  json out = json::array();
  for (auto& [id, s] : self->state.subs)  // ordered by id
    if (s.record.tenant == req.tenant.id) out.push_back(webhook_json(s.record));
  return {200, json{{"webhooks", out}}.dump()};
}

admin_reply remove(webhook_pointer self, const webhook_request& req) {
  auto& subs = self->state.subs;
  auto found = subs.find(req.id);
  // Another tenant's webhook is answered exactly like a missing one.
  if (found == subs.end() || found->second.record.tenant != req.tenant.id)
    return error_reply(404, "not_found", "no webhook " + req.id);
  bool removed = false;
  if (auto ec = self->state.cat->remove_webhook(req.id, removed))
    return error_reply(503, "unavailable", "catalog write failed: " + ec.message());
  subs.erase(found);  // a POST in flight still ends, but its outcome is ignored
  return {200, json{{"id", req.id}, {"deleted", true}}.dump()};
}

// One replay: the letters' requests, resolved up front, then POSTed one after another on the
// client's io thread; the reply slot answers once the last one ended.
struct redelivery {
  struct item {
    std::optional<http_url> url;  // nullopt: nothing to send; `reason` says why
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<item> items;
  std::vector<std::string> reasons;
  std::shared_ptr<reply_slot<std::vector<std::string>>> reply;
  webhook_client* client = nullptr;  // the dispatcher's; if it goes, so do these callbacks
  std::chrono::milliseconds timeout{0};
};

void redeliver_from(std::shared_ptr<redelivery> run, std::size_t i) {
  while (i < run->items.size() && !run->items[i].url) ++i;
  if (i == run->items.size()) return run->reply->deliver(run->reasons);
  auto& item = run->items[i];
  run->client->post(*item.url, item.body, item.headers, run->timeout,
                    [run, i](webhook_outcome out) {
                      run->reasons[i] = out.delivered ? "" : out.reason;
                      redeliver_from(run, i + 1);
                    });
}

}  // namespace

void run_webhook_job(webhook_pointer self, webhook_job& job) {
  using op = webhook_request::op;
  auto& req = job.request;
  switch (req.what) {
    case op::create:
      return job.reply->deliver(create(self, req));
    case op::list:
      return job.reply->deliver(list(self, req));
    case op::remove:
      return job.reply->deliver(remove(self, req));
  }
}

void run_redeliver(webhook_pointer self, redeliver_job& job) {
  auto& st = self->state;
  auto run = std::make_shared<redelivery>();
  run->reply = std::move(job.reply);
  run->client = st.client.get();
  run->timeout = std::chrono::milliseconds(st.node->cfg.webhooks_timeout_ms);
  run->reasons.resize(job.letters.size());
  for (std::size_t i = 0; i < job.letters.size(); ++i) {
    auto& letter = job.letters[i];
    redelivery::item item;
    auto sub = st.subs.find(letter.webhook_id);
    if (letter.kind != "webhook" || letter.tenant != job.tenant || sub == st.subs.end() ||
        sub->second.record.tenant != job.tenant) {
      run->reasons[i] = "webhook no longer exists";
    } else if (st.node->injected.fail(fault_point::webhook_send)) {
      run->reasons[i] = "injected fault (webhook_send)";
    } else {
      auto& s = sub->second;
      item.url = s.url;
      item.body = letter.event.body;
      item.headers = delivery_headers(s.record.id, s.record.secret, item.body, letter.attempts + 1);
    }
    run->items.push_back(std::move(item));
  }
  redeliver_from(run, 0);
}

}  // namespace sluice
