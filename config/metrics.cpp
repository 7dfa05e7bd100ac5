#include "config/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace sluice {

namespace pm = prometheus;

namespace {

using clock_type = std::chrono::steady_clock;

const pm::Histogram::BucketBoundaries latency_buckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const pm::Histogram::BucketBoundaries commit_size_buckets = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000};

// process_* metrics read from /proc at scrape time.
class process_collector : public pm::Collectable {
 public:
  std::vector<pm::MetricFamily> Collect() const override {
    std::vector<pm::MetricFamily> out;
    auto gauge = [&](const char* name, const char* help, double value, pm::MetricType type) {
      pm::MetricFamily f{name, help, type, {}};
      pm::ClientMetric m;
      if (type == pm::MetricType::Counter)
        m.counter.value = value;
      else
        m.gauge.value = value;
      f.metric.push_back(m);
      out.push_back(std::move(f));
    };
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(text.substr(close + 2));
      std::vector<std::string> f((std::istream_iterator<std::string>(fields)),
                                 std::istream_iterator<std::string>());
      // After the command: field 3 is state, so utime is f[11], stime f[12], starttime f[19],
      // vsize f[20], rss f[21] (pages).
      if (f.size() > 21) {
        double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        double page = static_cast<double>(sysconf(_SC_PAGESIZE));
        gauge("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
              (std::stod(f[11]) + std::stod(f[12])) / ticks, pm::MetricType::Counter);
        gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", std::stod(f[20]),
              pm::MetricType::Gauge);
        gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
              std::stod(f[21]) * page, pm::MetricType::Gauge);
        gauge("process_start_time_seconds",
              "Start time of the process since unix epoch in seconds.",
              boot_time() + std::stod(f[19]) / ticks, pm::MetricType::Gauge);
      }
    }
    double fds = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (readdir(d)) ++fds;
      closedir(d);
      fds -= 2;  // . and ..
    }
    gauge("process_open_fds", "Number of open file descriptors.", fds, pm::MetricType::Gauge);
    return out;
  }

 private:
  static double boot_time() {
    std::ifstream in("/proc/stat");
    std::string key;
    double value = 0;
    while (in >> key)
      if (key == "btime" && in >> value) return value;
    return 0;
  }
};

}  // namespace

struct node_metrics::impl {
  std::shared_ptr<pm::Registry> registry = std::make_shared<pm::Registry>();
  std::shared_ptr<process_collector> process = std::make_shared<process_collector>();
  std::size_t max_tenants;
  std::chrono::seconds idle_after;

  pm::Family<pm::Counter>& stored = pm::BuildCounter()
                                        .Name("sluice_events_stored_total")
                                        .Help("Events stored durably, per tenant.")
                                        .Register(*registry);
  pm::Family<pm::Counter>& duplicates = pm::BuildCounter()
                                            .Name("sluice_events_duplicate_total")
                                            .Help("Events answered as duplicates of a stored one.")
                                            .Register(*registry);
  pm::Family<pm::Counter>& rejected =
      pm::BuildCounter()
          .Name("sluice_events_rejected_total")
          .Help("Events or requests rejected, by reason (the error code).")
          .Register(*registry);
  pm::Family<pm::Counter>& rate_limited =
      pm::BuildCounter()
          .Name("sluice_rate_limited_total")
          .Help("Requests refused with 429 because the tenant was over its rate limit.")
          .Register(*registry);
  pm::Family<pm::Counter>& dead_letters = pm::BuildCounter()
                                              .Name("sluice_dead_letters_total")
                                              .Help("Events moved to the dead letters.")
                                              .Register(*registry);
  pm::Family<pm::Counter>& webhook_deliveries =
      pm::BuildCounter()
          .Name("sluice_webhook_deliveries_total")
          .Help("Webhook POSTs by outcome: delivered (2xx) or failed (an attempt that failed).")
          .Register(*registry);
  pm::Family<pm::Histogram>& latency =
      pm::BuildHistogram()
          .Name("sluice_ingest_duration_seconds")
          .Help("Time from a complete ingest request to its reply.")
          .Register(*registry);
  pm::Family<pm::Gauge>& queue = pm::BuildGauge()
                                     .Name("sluice_tenant_queue_events")
                                     .Help("Events of the tenant waiting to be stored.")
                                     .Register(*registry);
  pm::Gauge& live_tenant_actors =
      pm::BuildGauge()
          .Name("sluice_tenant_actors")
          .Help("Tenant actors alive; idle tenants are passivated and cost none.")
          .Register(*registry)
          .Add({});
  pm::Family<pm::Histogram>& commit_seconds =
      pm::BuildHistogram()
          .Name("sluice_shard_commit_duration_seconds")
          .Help("Duration of one group commit (write txn and fsync).")
          .Register(*registry);
  pm::Family<pm::Histogram>& commit_events = pm::BuildHistogram()
                                                 .Name("sluice_shard_commit_events")
                                                 .Help("Events in one group commit.")
                                                 .Register(*registry);
  pm::Family<pm::Counter>& commit_failures = pm::BuildCounter()
                                                 .Name("sluice_shard_commit_failures_total")
                                                 .Help("Group commits that failed.")
                                                 .Register(*registry);
  pm::Family<pm::Gauge>& map_used = pm::BuildGauge()
                                        .Name("sluice_shard_map_used_bytes")
                                        .Help("Bytes of the shard's LMDB map in use.")
                                        .Register(*registry);
  pm::Family<pm::Gauge>& map_size = pm::BuildGauge()
                                        .Name("sluice_shard_map_size_bytes")
                                        .Help("Size of the shard's LMDB map.")
                                        .Register(*registry);

  struct shard_series {
    pm::Histogram* seconds;
    pm::Histogram* events;
    pm::Counter* failures;
    pm::Gauge* used;
    pm::Gauge* size;
  };
  std::vector<shard_series> shards;

  struct tenant_series {
    pm::Counter* stored;
    pm::Counter* duplicates;
    pm::Counter* rate_limited;
    pm::Counter* dead_letters;
    pm::Histogram* latency;
    pm::Gauge* queue;
    std::map<std::string, pm::Counter*, std::less<>> rejected;
    pm::Counter* webhooks_delivered = nullptr;  // created with the tenant's first webhook POST
    pm::Counter* webhooks_failed = nullptr;
    clock_type::time_point last_used;
  };
  std::mutex mutex;
  std::unordered_map<std::string, tenant_series> tenants;

  impl(std::size_t max, std::chrono::seconds idle) : max_tenants(max), idle_after(idle) {}

  // Call with the mutex held.
  tenant_series& series(std::string_view tenant) {
    std::string name(tenant);
    auto found = tenants.find(name);
    if (found == tenants.end()) {
      if (tenants.size() >= max_tenants) name = "_other";
      found = tenants.find(name);
    }
    if (found == tenants.end()) {
      pm::Labels l{{"tenant", name}};
      found = tenants
                  .emplace(name, tenant_series{&stored.Add(l),
                                               &duplicates.Add(l),
                                               &rate_limited.Add(l),
                                               &dead_letters.Add(l),
                                               &latency.Add(l, latency_buckets),
                                               &queue.Add(l),
                                               {},
                                               nullptr,
                                               nullptr,
                                               {}})
                  .first;
    }
    found->second.last_used = clock_type::now();
    return found->second;
  }

  void remove(std::unordered_map<std::string, tenant_series>::iterator it) {
    auto& s = it->second;
    stored.Remove(s.stored);
    duplicates.Remove(s.duplicates);
    rate_limited.Remove(s.rate_limited);
    dead_letters.Remove(s.dead_letters);
    latency.Remove(s.latency);
    queue.Remove(s.queue);
    for (auto& [reason, c] : s.rejected) rejected.Remove(c);
    for (auto* c : {s.webhooks_delivered, s.webhooks_failed})
      if (c) webhook_deliveries.Remove(c);
    tenants.erase(it);
  }
};

node_metrics::node_metrics(int shards, std::size_t max_tenants, std::chrono::seconds idle_after)
    : impl_(std::make_unique<impl>(max_tenants, idle_after)) {
  for (int i = 0; i < shards; ++i) {
    pm::Labels l{{"shard", std::to_string(i)}};
    impl_->shards.push_back({&impl_->commit_seconds.Add(l, latency_buckets),
                             &impl_->commit_events.Add(l, commit_size_buckets),
                             &impl_->commit_failures.Add(l), &impl_->map_used.Add(l),
                             &impl_->map_size.Add(l)});
  }
}

node_metrics::~node_metrics() = default;

void node_metrics::stored(std::string_view tenant, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).stored->Increment(static_cast<double>(n));
}

void node_metrics::duplicates(std::string_view tenant, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).duplicates->Increment(static_cast<double>(n));
}

void node_metrics::rejected(std::string_view tenant, std::string_view reason, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& s = impl_->series(tenant);
  auto found = s.rejected.find(reason);
  if (found == s.rejected.end()) {
    auto& c = impl_->rejected.Add(
        {{"tenant", impl_->tenants.count(std::string(tenant)) ? std::string(tenant) : "_other"},
         {"reason", std::string(reason)}});
    found = s.rejected.emplace(std::string(reason), &c).first;
  }
  found->second->Increment(static_cast<double>(n));
}

void node_metrics::rate_limited(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).rate_limited->Increment();
}

void node_metrics::webhook_delivery(std::string_view tenant, bool delivered) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& s = impl_->series(tenant);
  auto*& c = delivered ? s.webhooks_delivered : s.webhooks_failed;
  if (!c)
    c = &impl_->webhook_deliveries.Add(
        {{"tenant", impl_->tenants.count(std::string(tenant)) ? std::string(tenant) : "_other"},
         {"outcome", delivered ? "delivered" : "failed"}});
  c->Increment();
}

void node_metrics::dead_lettered(std::string_view tenant, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).dead_letters->Increment(static_cast<double>(n));
}

void node_metrics::ingest_latency(std::string_view tenant, double seconds) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).latency->Observe(seconds);
}

void node_metrics::queue_depth(std::string_view tenant, double events) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->series(tenant).queue->Set(events);
}

void node_metrics::forget_tenant(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto found = impl_->tenants.find(std::string(tenant));
  if (found != impl_->tenants.end()) impl_->remove(found);
}

void node_metrics::tenant_actors(std::size_t live) {
  impl_->live_tenant_actors.Set(static_cast<double>(live));
}

void node_metrics::commit(int shard, double seconds, std::size_t events) {
  auto& s = impl_->shards.at(shard);
  s.seconds->Observe(seconds);
  s.events->Observe(static_cast<double>(events));
}

void node_metrics::commit_failed(int shard) {
  impl_->shards.at(shard).failures->Increment();
}

void node_metrics::map_usage(int shard, double used_bytes, double size_bytes) {
  auto& s = impl_->shards.at(shard);
  s.used->Set(used_bytes);
  s.size->Set(size_bytes);
}

std::string node_metrics::scrape() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto cutoff = clock_type::now() - impl_->idle_after;
    for (auto it = impl_->tenants.begin(); it != impl_->tenants.end();) {
      auto next = std::next(it);
      if (it->second.last_used < cutoff) impl_->remove(it);
      it = next;
    }
  }
  auto families = impl_->registry->Collect();
  for (auto& f : impl_->process->Collect()) families.push_back(std::move(f));
  return pm::TextSerializer().Serialize(families);
}

}  // namespace sluice
