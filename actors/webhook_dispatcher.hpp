// The webhook dispatcher: one detached actor (its own thread: it reads the shards and fsyncs the
// catalog) that owns every webhook subscription of the node. It serves the /v1/webhooks calls,
// delivers each subscription's events in seq order with one POST in flight per subscription
// (through webhook_client's own io thread), retries with backoff, dead-letters what keeps
// failing, and advances the subscription's durable cursor only after a 2xx or a dead letter — so
// a crash or restart resumes where the cursor stands (at-least-once). Each cursor advance is
// one fsync'd catalog commit on this thread, which bounds deliveries to a few thousand per second
// per node — plenty for webhooks, and nothing a receiver can slow down. Started and restarted by
// the supervisor.
#pragma once

#include "actors/protocol.hpp"
#include "actors/webhook_client.hpp"
#include "store/catalog.hpp"
#include "store/shard_store.hpp"

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sluice {

struct subscription {
  webhook_record record;
  http_url url;
  std::uint64_t cursor = 0;          // last seq delivered or dead-lettered (durable)
  std::deque<delivery> pending;      // read from the shard, not yet delivered, in seq order
  bool busy = false;                 // a POST in flight, or a retry scheduled
  int failures = 0;                  // failed attempts of pending.front()
  std::int64_t first_failed_us = 0;  // of pending.front()
};

struct webhook_state {
  const node_context* node = nullptr;
  std::shared_ptr<catalog> cat;
  std::vector<std::shared_ptr<shard_store>> stores;
  std::map<std::string, subscription> subs;  // by webhook id
  std::unique_ptr<webhook_client> client;
  std::mt19937_64 rng{std::random_device{}()};
  static inline const char* name = "webhook_dispatcher";
  static constexpr std::size_t max_per_tenant = 100;
  // Events read from the shard at a time: bounds a subscription's memory (each up to ~32 KiB).
  static constexpr std::size_t read_ahead = 16;
};

using webhook_pointer = webhook_actor::stateful_pointer<webhook_state>;

webhook_actor::behavior_type webhook_dispatcher(webhook_pointer self, std::shared_ptr<catalog> cat,
                                                std::vector<std::shared_ptr<shard_store>> stores,
                                                const node_context* node);

// The /v1/webhooks calls and replays (actors/webhook_subscriptions.cpp).
void run_webhook_job(webhook_pointer self, webhook_job& job);
void run_redeliver(webhook_pointer self, redeliver_job& job);

}  // namespace sluice
