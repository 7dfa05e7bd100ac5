#include "actors/writer_shard.hpp"

#include "actors/keep_dead_letters.hpp"
#include "actors/retry_backoff.hpp"
#include "config/log.hpp"
#include "store/timestamp.hpp"

#include <chrono>

namespace sluice {
namespace {

using self_ptr = writer_actor::stateful_pointer<writer_state>;
using pending = writer_state::pending;

std::int64_t now_sec() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string shard_name(const writer_state& st) {
  return "writer shard " + std::to_string(st.shard);
}

// Gives up on `items`: their events become dead letters (replays excepted: their letters exist)
// and every request is answered 503 — never a 2xx for a write that did not commit. ack=received
// writes were answered 202 long ago; for them the dead letter is what keeps them.
void answer_as_dead_letters(writer_state& st, std::vector<pending>& items,
                            const writer_state::failed_group& why) {
  std::vector<dead_letter> letters;
  for (auto& p : items)
    if (!p.batch.replay)
      for (auto& e : p.batch.events)
        letters.push_back(dead_letter{0, p.batch.tenant, "event", why.reason, why.attempts,
                                      why.first_failed_us, why.last_failed_us, std::move(e), "",
                                      0});
  // Letters and metrics are written before the answers go out: whoever sees the 503 finds them.
  keep_as_dead_letters(*st.node, letters, "events could not be stored",
                       {{"shard", std::to_string(st.shard)},
                        {"attempts", std::to_string(why.attempts)},
                        {"reason", why.reason}});
  for (auto& p : items)
    p.promise.deliver(write_result{
        503,
        "unavailable",
        "store unavailable after " + std::to_string(why.attempts) + " attempts: " + why.reason,
        {}});
}

// One commit attempt of `items`. On success answers them all; on failure returns why (and
// answers nothing). The writer_commit fault counts as a failed commit.
std::optional<std::string> commit(writer_state& st, std::vector<pending>& items) {
  std::vector<event_to_store> events;
  for (auto& p : items)
    for (auto& e : p.batch.events) events.push_back({p.batch.tenant, &e});
  std::vector<store_outcome> outcomes;
  auto started = std::chrono::steady_clock::now();
  std::string reason;
  if (st.node->injected.fail(fault_point::writer_commit)) {
    reason = "injected fault: writer_commit";
  } else if (auto ec =
                 st.store->append(events, now_sec(), st.node->cfg.dedup_window_sec, outcomes)) {
    reason = "store cannot commit: " + ec.message();
  }
  auto& metrics = st.node->metrics;
  if (!reason.empty()) {
    metrics.commit_failed(st.shard);
    st.node->health.set_store_failure(shard_name(st) + ": " + reason);
    return reason;
  }
  metrics.commit(st.shard,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                 events.size());
  auto [used, size] = st.store->env().usage();
  metrics.map_usage(st.shard, static_cast<double>(used), static_cast<double>(size));
  st.node->health.clear_store_failure();
  std::size_t next = 0;
  for (auto& p : items) {
    write_result r;
    r.outcomes.reserve(p.batch.events.size());
    for (std::size_t i = 0; i < p.batch.events.size(); ++i, ++next)
      r.outcomes.push_back({outcomes[next].duplicate, outcomes[next].seq});
    p.promise.deliver(std::move(r));
  }
  return std::nullopt;
}

// After the last attempt: a group of several writes tries each alone once more, so one poisoned
// write does not take the others down; what still fails is dead-lettered.
void give_up(writer_state& st, writer_state::failed_group g) {
  if (g.items.size() > 1) {
    log_warn("group commit failed on its last attempt; trying each write alone",
             {{"shard", std::to_string(st.shard)},
              {"writes", std::to_string(g.items.size())},
              {"reason", g.reason}});
    std::vector<pending> failed;
    for (auto& p : g.items) {
      std::vector<pending> one;
      one.push_back(std::move(p));
      if (auto reason = commit(st, one)) {
        g.reason = *reason;
        failed.push_back(std::move(one.front()));
      }
    }
    if (failed.empty()) return;
    g.items = std::move(failed);
    g.attempts += 1;
    g.last_failed_us = now_micros();
  }
  answer_as_dead_letters(st, g.items, g);
}

// What follows a settled commit: the next flush when writes wait, and answers to drains.
void settled(self_ptr self) {
  auto& st = self->state;
  if (st.retrying) return;
  if (!st.queue.empty()) {
    if (!st.flush_scheduled) {
      st.flush_scheduled = true;
      self->send(self, flush_atom::value);
    }
    return;
  }
  for (auto& waiter : st.drain_waiters) waiter.deliver(true);
  st.drain_waiters.clear();
}

// One attempt of the group; a failure schedules the next attempt or gives up.
void attempt(self_ptr self, writer_state::failed_group g) {
  auto& st = self->state;
  if (auto reason = commit(st, g.items)) {
    auto now = now_micros();
    if (g.attempts == 0) g.first_failed_us = now;
    g.attempts += 1;
    g.last_failed_us = now;
    g.reason = *reason;
    auto& cfg = st.node->cfg;
    if (g.attempts < cfg.writer_retry_attempts) {
      auto delay =
          retry_delay(g.attempts - 1, cfg.writer_retry_base_ms, cfg.writer_retry_max_ms, st.random);
      log_warn("group commit failed; retrying", {{"shard", std::to_string(st.shard)},
                                                 {"attempt", std::to_string(g.attempts)},
                                                 {"delay_ms", std::to_string(delay.count())},
                                                 {"reason", g.reason}});
      st.retrying = std::move(g);
      self->delayed_send(self, delay, retry_atom::value);
      return;
    }
    give_up(st, std::move(g));
  }
  settled(self);
}

// Commits as many queued batches as fit in one transaction (at least one), then answers them.
void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.retrying || st.stopping || st.queue.empty()) return;
  if (st.node->injected.fail(fault_point::writer_crash)) {
    // Test-only: stop as a crash would, holding queued work; ~writer_state answers it.
    st.stopping = true;
    self->quit(caf::make_error(caf::sec::runtime_error, "injected fault: writer_crash"));
    return;
  }
  writer_state::failed_group g;
  g.items = st.queue.take(static_cast<std::size_t>(st.node->cfg.max_commit_events));
  attempt(self, std::move(g));
}

}  // namespace

writer_state::~writer_state() {
  if (!node) return;
  failed_group why;
  if (retrying) why = std::move(*retrying);
  while (!queue.empty())
    for (auto& p : queue.take(static_cast<std::size_t>(-1))) why.items.push_back(std::move(p));
  if (why.items.empty()) return;
  auto now = now_micros();
  if (why.attempts == 0) why.first_failed_us = now;
  why.last_failed_us = now;
  why.reason = shard_name(*this) + " stopped while holding this write" +
               (why.reason.empty() ? "" : " (last commit error: " + why.reason + ")");
  answer_as_dead_letters(*this, why.items, why);
  for (auto& waiter : drain_waiters) waiter.deliver(false);
}

writer_actor::behavior_type writer_shard(self_ptr self, std::shared_ptr<shard_store> store,
                                         int shard, const node_context* node) {
  self->state.store = std::move(store);
  self->state.shard = shard;
  self->state.node = node;
  self->state.queue = write_queue<pending>(node->cfg.fair_scheduling,
                                           static_cast<std::size_t>(node->cfg.fair_quantum_events));
  if (node->injected.fail(fault_point::writer_start))  // test-only: fail as it starts
    self->send_exit(caf::actor_cast<caf::actor>(self),
                    caf::make_error(caf::sec::runtime_error, "injected fault: writer_start"));
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
        st.queue.push(tenant, size, pending{std::move(batch), promise});
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
      [=](retry_atom) {
        auto& st = self->state;
        if (!st.retrying) return;
        auto g = std::move(*st.retrying);
        st.retrying.reset();
        attempt(self, std::move(g));
      },
      [=](drain_atom) -> caf::result<bool> {
        auto& st = self->state;
        while (!st.retrying && !st.stopping && !st.queue.empty()) flush(self);
        if (!st.retrying && st.queue.empty()) return true;
        // A retry is pending: answer when it (and what queued behind it) has settled.
        auto promise = self->make_response_promise<bool>();
        st.drain_waiters.push_back(promise);
        return promise;
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
