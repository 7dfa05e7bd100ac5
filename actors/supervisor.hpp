// The supervisor: starts the writer shards, the tenant directory and the webhook dispatcher,
// monitors them, and restarts
// a failed child with exponential backoff. A child that keeps failing (more than
// `max_restarts` within a minute) is not restarted again: the node reports not ready.
#pragma once

#include "actors/health.hpp"
#include "actors/protocol.hpp"
#include "store/shard_store.hpp"

#include <functional>

namespace sluice {

struct supervisor_state {
  const node_context* node = nullptr;
  std::shared_ptr<catalog> cat;
  std::vector<std::shared_ptr<shard_store>> stores;
  std::vector<writer_actor> writers;
  directory_actor directory;
  std::function<void(directory_actor)> on_directory;  // tells the node about a new directory
  webhook_actor webhooks;                             // child index shards + 1
  std::function<void(webhook_actor)> on_webhooks;     // tells the node about a new dispatcher
  std::vector<std::vector<std::chrono::steady_clock::time_point>> restarts;  // per child
  static inline const char* name = "supervisor";
  static constexpr int max_restarts = 5;
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self, const node_context* node,
                         std::shared_ptr<catalog> cat,
                         std::vector<std::shared_ptr<shard_store>> stores,
                         std::function<void(directory_actor)> on_directory,
                         std::function<void(webhook_actor)> on_webhooks);

}  // namespace sluice
