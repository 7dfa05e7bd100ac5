// Numbers of the noisy-neighbour harness: turns the raw samples of one scenario into its summary
// (per tenant class: throughput, latency percentiles, rejections by status, p99 per second), and
// merges the summaries of all scenarios into the JSON, Markdown and gnuplot files of the report.
// Plain functions over plain data; used by bench/noisy_neighbour.cpp after its io threads ended.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::bench {

// Status codes that are not HTTP: the request got no reply at all.
constexpr int status_conn_error = 0;   // the connection failed under it
constexpr int status_unanswered = -1;  // still waiting (queued or in flight) at the deadline

// One request. Times in microseconds; `intended_us` is relative to the start of the measured
// window (negative during warm-up), and latency counts from it, not from the actual send.
struct sample {
  std::int64_t intended_us = 0;
  std::int64_t latency_us = 0;
  std::int64_t lag_us = 0;  // actual send − intended send: how long it waited for a connection
  int status = 0;
};

struct tenant_samples {
  std::string id;
  std::string cls;  // tenant class from the scenario file ("quiet", "heavy")
  int shard = 0;    // writer shard it lands on (tells who shares a queue with whom)
  std::vector<sample> samples;
};

// Summary of one scenario; `scenario` is its entry from the scenario file, copied into the result.
nlohmann::json summarize(const nlohmann::json& scenario, const std::vector<tenant_samples>& tenants,
                         double duration_sec);

struct report_paths {
  std::string json, markdown, plot_data, plot_script, png;
};

// Merges per-scenario summaries into the report files. `context` (machine, build, commands) is
// stored as is. Returns the Markdown text it wrote, for the caller to print.
std::string write_report(const std::vector<nlohmann::json>& summaries,
                         const nlohmann::json& context, const report_paths& out);

}  // namespace sluice::bench
