#include "actors/tenant_actor.hpp"

#include "actors/keep_dead_letters.hpp"
#include "store/timestamp.hpp"

#include <cmath>

namespace sluice {
namespace {

void refill(tenant_state& st) {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - st.refilled_at).count();
  st.tokens = std::min(st.record.limit.burst, st.tokens + elapsed * st.record.limit.events_per_sec);
  st.refilled_at = now;
}

node_error rate_limited(const tenant_state& st, std::size_t wanted) {
  auto& limit = st.record.limit;
  double missing = static_cast<double>(wanted) - st.tokens;
  int retry_after = std::max(1, static_cast<int>(std::ceil(missing / limit.events_per_sec)));
  int reset = static_cast<int>(std::ceil((limit.burst - st.tokens) / limit.events_per_sec));
  node_error e{429, "rate_limited", "tenant is over its rate limit", retry_after, {}};
  if (static_cast<double>(wanted) > limit.burst)
    e.message = "batch is larger than the tenant's burst of " +
                std::to_string(static_cast<long>(limit.burst));
  e.headers = {{"RateLimit-Limit", std::to_string(static_cast<long>(limit.burst))},
               {"RateLimit-Remaining", std::to_string(static_cast<long>(std::floor(st.tokens)))},
               {"RateLimit-Reset", std::to_string(std::max(0, reset))}};
  return e;
}

// How long the tenant must be idle before it is passivated: the configured idle time, and at
// least the time the bucket needs to refill (so the next actor may start with a full bucket).
std::chrono::steady_clock::duration idle_period(const tenant_state& st) {
  double refill_sec = st.record.limit.burst / st.record.limit.events_per_sec;
  double sec = std::max<double>(st.node->cfg.tenant_idle_sec, std::ceil(refill_sec));
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(std::min(sec, 86400.0)));
}

// An ack=received write (answered 202 already) that never reached a commit attempt — the writer
// was gone or its queue full — is kept as a dead letter, or it would be lost silently. (A write
// the writer gave up on after its retries it has dead-lettered itself.)
void keep_received(const node_context& node, const std::string& tenant,
                   std::vector<journal_event>& events, const std::string& reason) {
  auto now = now_micros();
  std::vector<dead_letter> letters;
  for (auto& e : events)
    letters.push_back(dead_letter{0, tenant, "event", reason, 0, now, now, std::move(e), "", 0});
  keep_as_dead_letters(node, letters, "received events could not be queued", {{"reason", reason}});
}

}  // namespace

tenant_actor::behavior_type tenant_actor_behavior(tenant_actor::stateful_pointer<tenant_state> self,
                                                  tenant_record record, writer_actor writer,
                                                  const node_context* node,
                                                  directory_actor directory) {
  auto& st = self->state;
  st.record = std::move(record);
  st.writer = std::move(writer);
  st.node = node;
  st.tokens = st.record.limit.burst;
  st.refilled_at = std::chrono::steady_clock::now();
  st.directory = std::move(directory);
  st.last_active = st.refilled_at;
  self->delayed_send(self, idle_period(st), idle_atom::value);
  return {
      [=](ingest_atom, ingest_job& job) {
        auto& st = self->state;
        st.last_active = std::chrono::steady_clock::now();
        auto& metrics = st.node->metrics;
        auto n = job.events.size();
        ingest_reply refused;
        refused.tenant = st.record.id;
        refill(st);
        if (static_cast<double>(n) > st.tokens) {
          metrics.rate_limited(st.record.id);
          refused.error = rate_limited(st, n);
          if (st.tokens < 1)
            refused.bucket_empty_for = std::chrono::microseconds(
                static_cast<std::int64_t>((1 - st.tokens) / st.record.limit.events_per_sec * 1e6));
          return job.reply->deliver(std::move(refused));
        }
        if (st.inflight + n > static_cast<std::size_t>(st.node->cfg.max_inflight_per_tenant)) {
          refused.error = node_error{
              429, "too_many_in_flight", "tenant has too many events waiting to be stored", 1, {}};
          return job.reply->deliver(std::move(refused));
        }
        st.tokens -= static_cast<double>(n);
        st.inflight += n;
        metrics.queue_depth(st.record.id, static_cast<double>(st.inflight));
        auto reply = job.reply;
        auto tenant = st.record.id;
        auto finished = [=] {
          auto& st = self->state;
          st.inflight -= n;
          st.node->metrics.queue_depth(tenant, static_cast<double>(st.inflight));
          if (st.passivating && st.inflight == 0) self->quit();
        };
        // Enqueue at the writer before answering ack=received, so a graceful shutdown that
        // drains the writers after the last reply also commits this write.
        // ack=received: a copy to keep as a dead letter if the write never reaches the writer.
        auto kept =
            job.durable ? nullptr : std::make_shared<std::vector<journal_event>>(job.events);
        self->request(st.writer, std::chrono::seconds(30), write_atom::value,
                      write_batch{st.record.id, std::move(job.events)})
            .then(
                [=](write_result& result) {
                  finished();
                  if (kept && result.code == "overloaded")
                    keep_received(*self->state.node, tenant, *kept, result.reason);
                  ingest_reply r;
                  r.tenant = tenant;
                  if (result.status != 0) {
                    r.error = node_error{result.status, result.code, result.reason, 1, {}};
                  } else {
                    std::uint64_t duplicates = 0;
                    for (auto& o : result.outcomes) duplicates += o.duplicate;
                    auto& metrics = self->state.node->metrics;
                    if (duplicates < result.outcomes.size())
                      metrics.stored(tenant, result.outcomes.size() - duplicates);
                    if (duplicates) metrics.duplicates(tenant, duplicates);
                    r.outcomes = std::move(result.outcomes);
                  }
                  reply->deliver(std::move(r));
                },
                [=](caf::error& err) {
                  finished();
                  if (kept)
                    keep_received(
                        *self->state.node, tenant, *kept,
                        "the write did not reach the writer shard: " + self->system().render(err));
                  ingest_reply r;
                  r.tenant = tenant;
                  r.error = node_error{503,
                                       "unavailable",
                                       "the write did not complete: " + self->system().render(err),
                                       1,
                                       {}};
                  reply->deliver(std::move(r));
                });
        if (!job.durable) reply->deliver(ingest_reply{tenant, std::nullopt, true, {}});
      },
      [=](writer_atom, writer_actor& w) { self->state.writer = std::move(w); },
      [=](idle_atom) {
        auto& st = self->state;
        if (st.passivating) return;
        auto idle_for = std::chrono::steady_clock::now() - st.last_active;
        if (st.inflight == 0 && idle_for >= idle_period(st)) {
          self->send(st.directory, passivate_atom::value, st.record.id);
          return;  // the directory answers with passivate_atom
        }
        self->delayed_send(self, idle_period(st), idle_atom::value);
      },
      [=](passivate_atom) {
        auto& st = self->state;
        st.passivating = true;
        if (st.inflight == 0) self->quit();
      },
      [=](limit_atom, rate_limit& limit) {
        auto& st = self->state;
        refill(st);
        st.record.limit = limit;
        st.tokens = std::min(st.tokens, limit.burst);
      },
  };
}

}  // namespace sluice
