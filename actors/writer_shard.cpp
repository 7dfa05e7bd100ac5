#include "actors/writer_shard.hpp"

#include "config/log.hpp"

#include <chrono>

namespace sluice {
namespace {

std::int64_t now_sec() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Commits as many queued batches as fit in one transaction (at least one), then answers them.
void flush(writer_actor::stateful_pointer<writer_state> self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.queue.empty()) return;  // a drain already committed everything
  auto taken = st.queue.take(static_cast<std::size_t>(st.node->cfg.max_commit_events));
  std::size_t events_taken = 0;
  for (auto& p : taken) events_taken += p.batch.events.size();

  std::vector<event_to_store> events;
  events.reserve(events_taken);
  for (auto& p : taken)
    for (auto& e : p.batch.events) events.push_back({p.batch.tenant, &e});

  std::vector<store_outcome> outcomes;
  auto started = std::chrono::steady_clock::now();
  auto ec = st.store->append(events, now_sec(), st.node->cfg.dedup_window_sec, outcomes);
  auto& metrics = st.node->metrics;
  if (ec) {
    metrics.commit_failed(st.shard);
  } else {
    metrics.commit(
        st.shard, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        events.size());
    auto [used, size] = st.store->env().usage();
    metrics.map_usage(st.shard, static_cast<double>(used), static_cast<double>(size));
  }
  if (ec) {
    st.node->health.set_store_failure("store cannot commit: " + ec.message());
    for (auto& p : taken)
      p.promise.deliver(write_result{503, "unavailable", "store unavailable: " + ec.message(), {}});
  } else {
    st.node->health.clear_store_failure();
    std::size_t next = 0;
    for (auto& p : taken) {
      write_result r;
      r.outcomes.reserve(p.batch.events.size());
      for (std::size_t i = 0; i < p.batch.events.size(); ++i, ++next)
        r.outcomes.push_back({outcomes[next].duplicate, outcomes[next].seq});
      p.promise.deliver(std::move(r));
    }
  }
  if (!st.queue.empty()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

}  // namespace

writer_actor::behavior_type writer_shard(writer_actor::stateful_pointer<writer_state> self,
                                         std::shared_ptr<shard_store> store, int shard,
                                         const node_context* node) {
  self->state.store = std::move(store);
  self->state.shard = shard;
  self->state.node = node;
  self->state.queue = write_queue<writer_state::pending>(
      node->cfg.fair_scheduling, static_cast<std::size_t>(node->cfg.fair_quantum_events));
  self->delayed_send(self, std::chrono::seconds(60), sweep_atom::value);
  return {
      [=](write_atom, write_batch& batch) -> caf::result<write_result> {
        auto& st = self->state;
        if (st.queue.events() + batch.events.size() >
            static_cast<std::size_t>(st.node->cfg.max_inflight_per_shard))
          return write_result{503, "overloaded", "writer shard queue is full; retry", {}};
        auto promise = self->make_response_promise<write_result>();
        auto tenant = batch.tenant;
        auto size = batch.events.size();
        st.queue.push(tenant, size, writer_state::pending{std::move(batch), promise});
        // The flush message lands behind every write already in the mailbox: one commit for all.
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
        return promise;
      },
      [=](purge_atom, const std::string& tenant) -> bool {
        return !self->state.store->delete_tenant(tenant);
      },
      [=](flush_atom) { flush(self); },
      [=](drain_atom) {
        while (!self->state.queue.empty()) flush(self);
        return true;
      },
      [=](sweep_atom) {
        // Bounded work per run so writes never wait long behind a sweep.
        constexpr std::size_t per_run = 10000;
        std::size_t removed = 0;
        auto ec = self->state.store->sweep_expired(now_sec(), per_run, removed);
        if (ec) log_warn("dedup sweep failed", {{"error", ec.message()}});
        auto next = removed == per_run ? std::chrono::seconds(1) : std::chrono::seconds(60);
        self->delayed_send(self, next, sweep_atom::value);
      },
  };
}

}  // namespace sluice
