// Prometheus metrics of one node (prometheus-cpp): per-tenant series labelled `tenant`, per-shard
// series labelled `shard`, and process basics. Thread-safe; owned by the node, recorded from the
// edge, tenant actors and writer shards. Cardinality is bounded: at most `max_tenants` tenants
// get their own series (the rest share tenant="_other"), and a tenant idle for `idle_after` has
// its series removed at the next scrape.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sluice {

class node_metrics {
 public:
  node_metrics(int shards, std::size_t max_tenants, std::chrono::seconds idle_after);
  ~node_metrics();

  void stored(std::string_view tenant, std::uint64_t n);
  void duplicates(std::string_view tenant, std::uint64_t n);
  void rejected(std::string_view tenant, std::string_view reason, std::uint64_t n = 1);
  void rate_limited(std::string_view tenant);
  void dead_lettered(std::string_view tenant, std::uint64_t n = 1);
  // One webhook POST ended: 2xx (delivered) or a failed attempt.
  void webhook_delivery(std::string_view tenant, bool delivered);
  void ingest_latency(std::string_view tenant, double seconds);
  void queue_depth(std::string_view tenant, double events);
  void forget_tenant(std::string_view tenant);
  void tenant_actors(std::size_t live);

  void commit(int shard, double seconds, std::size_t events);
  void commit_failed(int shard);
  void map_usage(int shard, double used_bytes, double size_bytes);

  // The text exposition format, after dropping idle tenants' series.
  std::string scrape();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice
