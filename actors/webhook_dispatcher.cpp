#include "actors/webhook_dispatcher.hpp"

#include "actors/retry_backoff.hpp"
#include "config/log.hpp"
#include "store/timestamp.hpp"
#include "store/webhook_feed.hpp"

namespace sluice {
namespace {

using std::chrono::milliseconds;

void send_head(webhook_pointer self, subscription& s);

// Reads the next events after the cursor when nothing is pending; sends the first one.
void pump(webhook_pointer self, subscription& s) {
  auto& st = self->state;
  if (s.busy) return;
  if (s.pending.empty()) {
    std::vector<feed_event> events;
    auto& store = *st.stores.at(static_cast<std::size_t>(s.record.shard));
    if (auto ec = next_events(store, s.record.tenant, s.record.event_types, s.cursor,
                              webhook_state::read_ahead, events)) {
      log_warn("webhook: reading events failed; will retry",
               {{"tenant", s.record.tenant}, {"webhook_id", s.record.id}, {"error", ec.message()}});
      return;
    }
    for (auto& e : events) s.pending.push_back(make_delivery(s.record, e));
  }
  if (!s.pending.empty()) send_head(self, s);
}

void send_head(webhook_pointer self, subscription& s) {
  auto& st = self->state;
  s.busy = true;
  auto& d = s.pending.front();
  std::string id = s.record.id;
  if (st.node->injected.fail(
          fault_point::webhook_crash)) {  // test-only: the supervisor restarts us
    self->quit(caf::make_error(caf::sec::runtime_error, "injected fault: webhook_crash"));
    return;
  }
  if (st.node->injected.fail(fault_point::webhook_send)) {
    self->send(self, sent_atom::value, id, d.seq, false,
               std::string("injected fault (webhook_send)"));
    return;
  }
  // The callback runs on the client's io thread: it only posts a message, through a weak
  // handle, so a dispatcher that is gone is simply not told.
  caf::actor_addr weak = self->address();
  auto seq = d.seq;
  st.client->post(
      s.url, d.body, delivery_headers(id, s.record.secret, d.body, s.failures + 1),
      milliseconds(st.node->cfg.webhooks_timeout_ms), [weak, id, seq](webhook_outcome out) {
        if (auto hdl = caf::actor_cast<caf::actor>(weak))
          caf::anon_send(hdl, sent_atom::value, id, seq, out.delivered, std::move(out.reason));
      });
}

// The head event is done with (delivered or dead-lettered): advance the durable cursor.
void advance(webhook_pointer self, subscription& s) {
  auto seq = s.pending.front().seq;
  s.pending.pop_front();
  s.cursor = seq;
  s.failures = 0;
  s.first_failed_us = 0;
  s.busy = false;
  if (auto ec = self->state.cat->set_webhook_cursor(s.record.id, seq))
    log_warn("webhook: cursor not saved; the event may be delivered again after a restart",
             {{"tenant", s.record.tenant}, {"webhook_id", s.record.id}, {"error", ec.message()}});
}

void on_failure(webhook_pointer self, subscription& s, std::string reason) {
  auto& st = self->state;
  auto& cfg = st.node->cfg;
  auto now = now_micros();
  if (s.failures++ == 0) s.first_failed_us = now;
  st.node->metrics.webhook_delivery(s.record.tenant, false);
  if (s.failures < cfg.webhooks_max_attempts) {
    auto delay =
        retry_delay(s.failures - 1, cfg.webhooks_retry_base_ms, cfg.webhooks_retry_max_ms, st.rng);
    self->delayed_send(self, delay, retry_atom::value, s.record.id, s.pending.front().seq);
    return;
  }
  std::vector<dead_letter> letters{
      webhook_dead_letter(s.record, s.pending.front(), reason, s.failures, s.first_failed_us, now)};
  if (auto ec = st.node->dead_letters.add(letters)) {
    // Never drop it: keep the event at the head and try again after the longest delay.
    log_error("webhook: dead letter not stored; retrying the delivery",
              {{"tenant", s.record.tenant}, {"webhook_id", s.record.id}, {"error", ec.message()}});
    --s.failures;
    self->delayed_send(self, milliseconds(cfg.webhooks_retry_max_ms), retry_atom::value,
                       s.record.id, s.pending.front().seq);
    return;
  }
  st.node->metrics.dead_lettered(s.record.tenant);
  log_warn("webhook delivery dead-lettered", {{"tenant", s.record.tenant},
                                              {"webhook_id", s.record.id},
                                              {"seq", std::to_string(s.pending.front().seq)},
                                              {"reason", reason},
                                              {"attempts", std::to_string(s.failures)}});
  advance(self, s);
  pump(self, s);
}

// The subscription `id` still waits for the outcome of `seq` (not deleted, not superseded).
subscription* waiting(webhook_pointer self, const std::string& id, std::uint64_t seq) {
  auto found = self->state.subs.find(id);
  if (found == self->state.subs.end()) return nullptr;
  auto& s = found->second;
  if (!s.busy || s.pending.empty() || s.pending.front().seq != seq) return nullptr;
  return &s;
}

// Subscriptions and cursors from the catalog; those of deleted tenants are removed.
void load(webhook_pointer self) {
  auto& st = self->state;
  std::vector<tenant_record> tenants;
  std::vector<key_record> keys;
  std::vector<webhook_record> hooks;
  std::map<std::string, std::uint64_t> cursors;
  if (auto ec = st.cat->load(tenants, keys)) throw std::runtime_error("catalog: " + ec.message());
  if (auto ec = st.cat->load_webhooks(hooks, cursors))
    throw std::runtime_error("catalog webhooks: " + ec.message());
  for (auto& w : hooks) {
    bool live = std::any_of(tenants.begin(), tenants.end(),
                            [&](auto& t) { return t.id == w.tenant && t.shard == w.shard; });
    std::string error;
    auto url = parse_webhook_url(w.url, error);
    if (!live || !url || static_cast<std::size_t>(w.shard) >= st.stores.size()) {
      bool removed = false;
      st.cat->remove_webhook(w.id, removed);
      continue;
    }
    subscription s;
    s.url = *url;
    s.cursor = cursors[w.id];
    s.record = std::move(w);
    st.subs.emplace(s.record.id, std::move(s));
  }
}

}  // namespace

webhook_actor::behavior_type webhook_dispatcher(webhook_pointer self, std::shared_ptr<catalog> cat,
                                                std::vector<std::shared_ptr<shard_store>> stores,
                                                const node_context* node) {
  auto& st = self->state;
  st.node = node;
  st.cat = std::move(cat);
  st.stores = std::move(stores);
  st.client = std::make_unique<webhook_client>();
  load(self);
  self->send(self, tick_atom::value);
  return {
      [=](webhook_atom, webhook_job& job) { run_webhook_job(self, job); },
      [=](redeliver_atom, redeliver_job& job) { run_redeliver(self, job); },
      [=](forget_atom, const std::string& tenant) {
        auto& subs = self->state.subs;
        for (auto s = subs.begin(); s != subs.end();)
          s = s->second.record.tenant == tenant ? subs.erase(s) : std::next(s);
      },
      [=](tick_atom) {
        for (auto& [id, s] : self->state.subs) pump(self, s);
        self->delayed_send(self, milliseconds(self->state.node->cfg.webhooks_poll_ms),
                           tick_atom::value);
      },
      [=](retry_atom, const std::string& id, std::uint64_t seq) {
        if (auto* s = waiting(self, id, seq)) send_head(self, *s);
      },
      [=](sent_atom, const std::string& id, std::uint64_t seq, bool delivered,
          std::string& reason) {
        auto* s = waiting(self, id, seq);
        if (!s) return;
        if (!delivered) return on_failure(self, *s, std::move(reason));
        self->state.node->metrics.webhook_delivery(s->record.tenant, true);
        advance(self, *s);
        pump(self, *s);
      },
  };
}

}  // namespace sluice
