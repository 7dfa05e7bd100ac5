// The one configuration struct of a Sluice node: every option with its default and meaning.
// Loaded once at start-up (TOML file, then SLUICE_* environment, then flags) and then read-only;
// every part of the node gets a const reference to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct rate_limit {
  double events_per_sec = 1000;  // sustained rate of the token bucket
  double burst = 2000;           // bucket size
};

struct config {
  std::string listen = "127.0.0.1:8080";  // host:port of the HTTP edge
  std::string data_dir = "./data";        // LMDB environments live here
  std::string admin_token;                // empty: generated on first start, kept in data_dir
  int io_threads = 1;                     // Beast io threads
  int shards = 2;                         // writer shards (one LMDB env each)
  std::uint64_t map_size_mb = 16384;      // initial LMDB map size per shard; grows when full
  std::uint64_t dedup_window_sec = 7 * 24 * 3600;  // how long a dedup key is remembered
  std::uint64_t max_body_bytes = 5 * 1024 * 1024;  // batch body limit (decoded, after gzip)
  std::uint64_t max_batch_events = 1000;           // events per batch
  std::uint64_t max_header_bytes = 8 * 1024;       // request line + headers
  int max_connections = 10000;                     // concurrent connections; more get 503
  int read_timeout_ms = 10000;                     // to read one request once it started
  int idle_timeout_ms = 60000;                     // keep-alive connection with no request
  int max_inflight_per_tenant = 20000;             // events queued for one tenant; more get 429
  int max_inflight_per_shard = 100000;  // events queued at one writer shard; more get 503
  int max_commit_events = 20000;        // events in one group commit
  int tenant_idle_sec = 60;             // an idle tenant actor is passivated after this long
  bool fair_scheduling = true;          // deficit round-robin over tenants at the writer shards
  int fair_quantum_events = 1000;       // events a tenant may add to each commit
  // A failed group commit is retried (exponential backoff, equal jitter) up to this many
  // attempts in all; then its events become dead letters and durable writers get 503.
  int writer_retry_attempts = 5;
  int writer_retry_base_ms = 10;    // the first retry waits 5..10 ms, each next one twice that
  int writer_retry_max_ms = 1000;   // cap of one wait
  rate_limit default_rate_limit;    // for tenants created without one
  std::string log_level = "info";   // debug, info, warn, error
  bool access_log = true;           // one log line per request
  std::string metrics_listen;       // host:port for /metrics alone; empty: on `listen`
  int metrics_max_tenants = 1000;   // tenants with their own series; the rest: "_other"
  int metrics_idle_sec = 600;       // a tenant's series go after this long without use
  int shutdown_grace_ms = 1000;     // on SIGTERM: /readyz is 503 this long before closing
  int shutdown_timeout_ms = 15000;  // then in-flight requests get this long to finish
  bool trusted_gateway = false;     // take the tenant from X-Tenant-ID (behind a gateway)
  std::string faults;  // test-only fault injection (config/faults.hpp); empty: none

  // Webhook deliveries (actors/webhook_dispatcher.hpp).
  int webhooks_poll_ms = 200;         // a caught-up subscription looks for new events this often
  int webhooks_timeout_ms = 5000;     // one delivery: connect, send and the receiver's answer
  int webhooks_max_attempts = 8;      // attempts per event before it goes to the dead letters
  int webhooks_retry_base_ms = 1000;  // first retry delay; doubles each attempt (with jitter)
  int webhooks_retry_max_ms = 60000;  // cap of the retry delay
};

// Reads `path` (may be empty: no file), then SLUICE_* variables, then command-line overrides
// already applied by the caller. Returns every problem found, each naming its option.
std::vector<std::string> load_config_file(const std::string& path, config& out);
std::vector<std::string> apply_environment(config& out);
std::vector<std::string> validate(const config& c);

// Splits "host:port"; false when malformed.
bool split_host_port(const std::string& s, std::string& host, unsigned short& port);

}  // namespace sluice
