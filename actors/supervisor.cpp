#include "actors/supervisor.hpp"

#include "actors/tenant_directory.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "actors/writer_shard.hpp"
#include "config/log.hpp"

namespace sluice {
namespace {

using self_ptr = caf::stateful_actor<supervisor_state>*;

void start_writer(self_ptr self, int shard) {
  auto& st = self->state;
  st.writers[shard] =
      self->spawn<caf::detached + caf::monitored>(writer_shard, st.stores[shard], shard, st.node);
}

void start_directory(self_ptr self) {
  auto& st = self->state;
  st.directory = self->spawn<caf::monitored>(tenant_directory, st.cat, st.node, st.writers);
  st.on_directory(st.directory);
}

// Detached: it reads the shards and fsyncs cursor updates to the catalog.
void start_webhooks(self_ptr self) {
  auto& st = self->state;
  st.webhooks =
      self->spawn<caf::detached + caf::monitored>(webhook_dispatcher, st.cat, st.stores, st.node);
  st.on_webhooks(st.webhooks);
}

// Child index: 0..shards-1 are writers, `shards` is the directory, `shards + 1` the webhook
// dispatcher. -1: not ours.
int child_index(supervisor_state& st, const caf::actor_addr& who) {
  for (std::size_t i = 0; i < st.writers.size(); ++i)
    if (st.writers[i].address() == who) return static_cast<int>(i);
  if (st.directory.address() == who) return static_cast<int>(st.writers.size());
  if (st.webhooks.address() == who) return static_cast<int>(st.writers.size()) + 1;
  return -1;
}

std::string child_name(const supervisor_state& st, int child) {
  auto shards = static_cast<int>(st.writers.size());
  if (child == shards) return "tenant directory";
  if (child == shards + 1) return "webhook dispatcher";
  return "writer shard " + std::to_string(child);
}

}  // namespace

caf::behavior supervisor(self_ptr self, const node_context* node, std::shared_ptr<catalog> cat,
                         std::vector<std::shared_ptr<shard_store>> stores,
                         std::function<void(directory_actor)> on_directory,
                         std::function<void(webhook_actor)> on_webhooks) {
  auto& st = self->state;
  st.node = node;
  st.cat = std::move(cat);
  st.stores = std::move(stores);
  st.on_directory = std::move(on_directory);
  st.on_webhooks = std::move(on_webhooks);
  st.writers.resize(st.stores.size());
  st.restarts.resize(st.stores.size() + 2);
  for (int i = 0; i < static_cast<int>(st.stores.size()); ++i) start_writer(self, i);
  start_directory(self);
  start_webhooks(self);

  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    int child = child_index(st, msg.source);
    if (child < 0) return;
    std::string what = child_name(st, child);
    auto now = std::chrono::steady_clock::now();
    auto& history = st.restarts[child];
    history.erase(std::remove_if(history.begin(), history.end(),
                                 [&](auto t) { return now - t > std::chrono::minutes(1); }),
                  history.end());
    if (static_cast<int>(history.size()) >= supervisor_state::max_restarts) {
      // A restart storm: restarting again would only fail again. Escalate to the operator.
      std::string reason = what + " failed " + std::to_string(history.size() + 1) +
                           " times within a minute; not restarting (last exit: " +
                           self->system().render(msg.reason) + ")";
      log_error(reason, {{"child", what}, {"exit", self->system().render(msg.reason)}});
      st.node->health.set_fatal(reason);
      return;
    }
    history.push_back(now);
    auto backoff = std::chrono::milliseconds(50 << history.size());
    log_warn(what + " failed; restarting", {{"exit", self->system().render(msg.reason)},
                                            {"backoff_ms", std::to_string(backoff.count())}});
    self->delayed_send(self, backoff, restart_atom::value, child);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto& w : st.writers) self->send_exit(w, msg.reason);
    self->send_exit(st.directory, msg.reason);
    self->send_exit(st.webhooks, msg.reason);
    self->quit(msg.reason);
  });
  return {
      // Every writer commits what it has queued; the reply comes when all have.
      [=](drain_atom) -> caf::result<bool> {
        auto promise = self->make_response_promise<bool>();
        auto pending = std::make_shared<std::size_t>(self->state.writers.size());
        for (auto& w : self->state.writers)
          self->request(w, std::chrono::seconds(30), drain_atom::value)
              .then(
                  [=](bool) mutable {
                    if (--*pending == 0) promise.deliver(true);
                  },
                  [=](caf::error&) mutable {
                    if (--*pending == 0) promise.deliver(true);
                  });
        return promise;
      },
      [=](restart_atom, int child) {
        auto& st = self->state;
        if (child == static_cast<int>(st.writers.size())) {
          start_directory(self);
          return;
        }
        if (child == static_cast<int>(st.writers.size()) + 1) {
          start_webhooks(self);
          return;
        }
        start_writer(self, child);
        self->send(st.directory, writer_atom::value, child, st.writers[child]);
      },
  };
}

}  // namespace sluice
