// Every message between Sluice's actors, and the typed interfaces of the writer shard, the
// tenant directory and the tenant actor. Messages that carry a reply callback from the edge are
// local-only (CAF_ALLOW_UNSAFE_MESSAGE_TYPE); the rest are inspectable.
#pragma once

#include "actors/health.hpp"
#include "actors/node.hpp"
#include "config/faults.hpp"
#include "config/metrics.hpp"
#include "store/dead_letters.hpp"

#include <caf/all.hpp>

#include <atomic>

namespace sluice {

using write_atom = caf::atom_constant<caf::atom("write")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using admin_atom = caf::atom_constant<caf::atom("admin")>;
using writer_atom = caf::atom_constant<caf::atom("writer")>;
using limit_atom = caf::atom_constant<caf::atom("limit")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;
using webhook_atom = caf::atom_constant<caf::atom("webhook")>;
using redeliver_atom = caf::atom_constant<caf::atom("redeliver")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using sent_atom = caf::atom_constant<caf::atom("sent")>;

// A callback that is called exactly once: by `deliver`, or with `fallback` when the last
// holder drops it unanswered (an actor died holding the job). No request is left hanging.
template <class T>
class reply_slot {
 public:
  reply_slot(std::function<void(T)> fn, T fallback)
      : fn_(std::move(fn)), fallback_(std::move(fallback)) {}
  ~reply_slot() {
    if (!done_.exchange(true)) fn_(std::move(fallback_));
  }
  void deliver(T value) {
    if (!done_.exchange(true)) fn_(std::move(value));
  }

 private:
  std::function<void(T)> fn_;
  T fallback_;
  std::atomic<bool> done_{false};
};

// What every actor of a node shares; owned by the node, outlives the actors.
struct node_context {
  const config& cfg;
  node_health& health;
  node_metrics& metrics;
  faults& injected;                 // test-only fault injection (config `faults`)
  dead_letter_store& dead_letters;  // work that exhausted its retries
};

// --- writer shard ---
struct write_batch {
  std::string tenant;
  std::vector<journal_event> events;
  // A dead-letter replay: when its retries run out the writer does not dead-letter it again
  // (its letters exist; the replay updates them).
  bool replay = false;
};

struct write_result {
  int status = 0;    // 0: committed; otherwise the HTTP status to answer (503)
  std::string code;  // the error code: overloaded (queue full) or unavailable (store failed)
  std::string reason;
  std::vector<event_outcome> outcomes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, journal_event& x) {
  return f(caf::meta::type_name("journal_event"), x.dedup_digest, x.body, x.event_type,
           x.session_id, x.event_id, x.timestamp_us);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_outcome& x) {
  return f(caf::meta::type_name("event_outcome"), x.duplicate, x.seq);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.tenant, x.events, x.replay);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_result& x) {
  return f(caf::meta::type_name("write_result"), x.status, x.code, x.reason, x.outcomes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rate_limit& x) {
  return f(caf::meta::type_name("rate_limit"), x.events_per_sec, x.burst);
}

using writer_actor = caf::typed_actor<
    caf::replies_to<write_atom, write_batch>::with<write_result>,  // store, reply after fsync
    caf::replies_to<purge_atom, std::string>::with<bool>,          // delete a tenant's data
    caf::replies_to<drain_atom>::with<bool>,                       // commit all queued, then reply
    caf::reacts_to<flush_atom>,                                    // group commit (to self)
    caf::reacts_to<retry_atom>,   // timer: the next attempt of a failed commit (to self)
    caf::reacts_to<sweep_atom>>;  // drop expired dedup keys (timer)

// --- tenant directory and tenant actors ---
struct ingest_job {
  credential who;
  std::vector<journal_event> events;
  bool durable = true;
  std::shared_ptr<reply_slot<ingest_reply>> reply;
};
struct auth_job {
  credential who;
  std::shared_ptr<reply_slot<std::optional<tenant_record>>> reply;
};
struct admin_job {
  admin_request request;
  std::shared_ptr<reply_slot<admin_reply>> reply;
};
// Dead-letter replay (actors/dead_letter_replay.cpp): store these events on the tenant's shard.
// Not through the tenant actor: a replay is an operator action, not rate-limited.
struct replay_job {
  std::string tenant;
  std::vector<journal_event> events;
  std::shared_ptr<reply_slot<write_result>> reply;
};

// --- webhook dispatcher ---
struct webhook_job {
  webhook_request request;
  std::shared_ptr<reply_slot<admin_reply>> reply;
};
struct redeliver_job {
  std::string tenant;
  std::vector<dead_letter> letters;
  std::shared_ptr<reply_slot<std::vector<std::string>>> reply;  // one reason per letter
};

}  // namespace sluice

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::webhook_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::redeliver_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::ingest_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::auth_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::admin_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::replay_job)

namespace sluice {

using directory_actor =
    caf::typed_actor<caf::reacts_to<ingest_atom, ingest_job>,  // authenticate, route to tenant
                                                               // actor
                     caf::reacts_to<auth_atom, auth_job>,      // authenticate only (read routes)
                     caf::reacts_to<admin_atom, admin_job>,    // tenant and key administration
                     caf::reacts_to<replay_atom, replay_job>,  // store replayed dead letters
                     caf::reacts_to<writer_atom, int, writer_actor>,  // shard N has a new writer
                     caf::reacts_to<passivate_atom, std::string>>;  // an idle tenant actor asks to
                                                                    // go

using tenant_actor =
    caf::typed_actor<caf::reacts_to<ingest_atom, ingest_job>,    // rate limit, then hand to the
                                                                 // writer
                     caf::reacts_to<writer_atom, writer_actor>,  // the shard's writer was restarted
                     caf::reacts_to<limit_atom, rate_limit>,     // PATCH changed the rate limit
                     caf::reacts_to<idle_atom>,                  // timer: idle long enough to go?
                     caf::reacts_to<passivate_atom>>;  // the directory no longer routes here

// sent: a POST ended (webhook id, seq, delivered, reason); retry: a backoff timer (id, seq).
using webhook_actor = caf::typed_actor<
    caf::reacts_to<webhook_atom, webhook_job>,      // create, list, delete subscriptions
    caf::reacts_to<redeliver_atom, redeliver_job>,  // POST dead letters again (replay)
    caf::reacts_to<forget_atom, std::string>,       // the tenant was deleted
    caf::reacts_to<tick_atom>,                      // timer: poll idle subscriptions
    caf::reacts_to<retry_atom, std::string, std::uint64_t>,
    caf::reacts_to<sent_atom, std::string, std::uint64_t, bool, std::string>>;

// Registers the inspectable message types with the actor system.
void register_messages(caf::actor_system_config& cfg);

}  // namespace sluice
