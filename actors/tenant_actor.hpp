// The tenant actor: one per active tenant, spawned by the tenant directory. The only place that
// decides for its tenant: the token-bucket rate limit, the bound on in-flight events, and the
// order in which its events reach its writer shard. Passivated when idle (it asks the directory,
// which stops routing to it, then it ends once nothing is in flight); the next request spawns a
// fresh one, whose full bucket is right because it only goes after the bucket had time to refill.
#pragma once

#include "actors/protocol.hpp"

#include <chrono>

namespace sluice {

struct tenant_state {
  tenant_record record;
  writer_actor writer;
  const node_context* node = nullptr;
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled_at;
  std::size_t inflight = 0;
  directory_actor directory;
  std::chrono::steady_clock::time_point last_active;
  bool passivating = false;
  static inline const char* name = "tenant_actor";
};

tenant_actor::behavior_type tenant_actor_behavior(tenant_actor::stateful_pointer<tenant_state> self,
                                                  tenant_record record, writer_actor writer,
                                                  const node_context* node,
                                                  directory_actor directory);

}  // namespace sluice
