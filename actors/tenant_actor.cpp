#include "actors/tenant_actor.hpp"

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

}  // namespace

tenant_actor::behavior_type tenant_actor_behavior(tenant_actor::stateful_pointer<tenant_state> self,
                                                  tenant_record record, writer_actor writer,
                                                  const config* cfg) {
  auto& st = self->state;
  st.record = std::move(record);
  st.writer = std::move(writer);
  st.cfg = cfg;
  st.tokens = st.record.limit.burst;
  st.refilled_at = std::chrono::steady_clock::now();
  return {
      [=](ingest_atom, ingest_job& job) {
        auto& st = self->state;
        auto n = job.events.size();
        refill(st);
        if (static_cast<double>(n) > st.tokens) {
          ingest_reply r;
          r.error = rate_limited(st, n);
          job.reply->deliver(std::move(r));
          return;
        }
        if (st.inflight + n > static_cast<std::size_t>(st.cfg->max_inflight_per_tenant)) {
          ingest_reply r;
          r.error = node_error{
              429, "too_many_in_flight", "tenant has too many events waiting to be stored", 1, {}};
          job.reply->deliver(std::move(r));
          return;
        }
        st.tokens -= static_cast<double>(n);
        st.inflight += n;
        auto reply = job.reply;
        bool durable = job.durable;
        if (!durable) reply->deliver(ingest_reply{std::nullopt, true, {}});
        self->request(st.writer, std::chrono::seconds(30), write_atom::value,
                      write_batch{st.record.id, std::move(job.events)})
            .then(
                [=](write_result& result) {
                  self->state.inflight -= n;
                  ingest_reply r;
                  if (result.status != 0)
                    r.error = node_error{result.status, "unavailable", result.reason, 1, {}};
                  else
                    r.outcomes = std::move(result.outcomes);
                  reply->deliver(std::move(r));
                },
                [=](caf::error& err) {
                  self->state.inflight -= n;
                  ingest_reply r;
                  r.error = node_error{503,
                                       "unavailable",
                                       "the write did not complete: " + self->system().render(err),
                                       1,
                                       {}};
                  reply->deliver(std::move(r));
                });
      },
      [=](writer_atom, writer_actor& w) { self->state.writer = std::move(w); },
      [=](limit_atom, rate_limit& limit) {
        auto& st = self->state;
        refill(st);
        st.record.limit = limit;
        st.tokens = std::min(st.tokens, limit.burst);
      },
  };
}

}  // namespace sluice
