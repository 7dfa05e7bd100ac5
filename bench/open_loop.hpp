// The open-loop load engine of the noisy-neighbour harness. Each tenant has a fixed arrival
// schedule; a request whose intended send time comes while all of its tenant's keep-alive
// connections are busy waits in a queue, and its latency still counts from that intended time, so
// a slow server cannot slow the generator down and hide its own slowness (no coordinated
// omission). Each tenant class runs on its own io thread, so the heavy tenant's replies never
// delay a quiet tenant's send inside the generator. Blocking: returns when every schedule ran.
#pragma once

#include "bench/noisy_stats.hpp"

#include <string>
#include <vector>

namespace sluice::bench {

struct tenant_spec {
  std::string id, cls, key;
  double rate = 0;  // requests per second, each one event
  int connections = 1;
  int shard = 0;
  bool poisson = false;  // exponential gaps instead of even ones
};

struct load_plan {
  std::string host;
  unsigned short port = 0;
  double warmup_sec = 2;     // sent but not measured: connections, tenant actors, page cache
  double duration_sec = 20;  // the measured window
  double drain_sec = 10;     // after it, how long replies may take before they count unanswered
  std::string run_id;        // makes event_ids unique across runs
  std::string timestamp;     // the events' timestamp
};

// Runs every tenant's schedule against the server and returns each tenant's samples.
std::vector<tenant_samples> run_open_loop(const std::vector<tenant_spec>& tenants,
                                          const load_plan& plan);

}  // namespace sluice::bench
