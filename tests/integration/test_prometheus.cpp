// A real scrape: the distribution's `prometheus` server scrapes a running `sluice` on loopback,
// and the per-tenant counters are read back through Prometheus' HTTP query API. Also lints a real
// /metrics exposition with `promtool check metrics`. Both tools come from the `prometheus` package
// (scripts/install-deps.sh); when they are missing these tests fail rather than skip.
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

using sluice::testing::free_port;
using sluice::testing::run_command;
using sluice::testing::sluice_process;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The full path of `name` on PATH, or "".
std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::string url_encode(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

// A `prometheus` server on a free loopback port with its own temp storage, scraping one target
// every second. Stopped (SIGTERM, then SIGKILL) and its directory removed when it goes away.
class prometheus_process {
 public:
  explicit prometheus_process(const std::string& target) : dir_(make_temp_dir("sluice-prom")) {
    auto binary = find_in_path("prometheus");
    if (binary.empty())
      throw std::runtime_error("prometheus is not installed (run scripts/install-deps.sh)");
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  scrape_timeout: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: sluice\n"
                                               "    static_configs:\n"
                                               "      - targets: ['"
                                            << target << "']\n";
    port_ = free_port();
    auto config = "--config.file=" + dir_ + "/prometheus.yml";
    auto storage = "--storage.tsdb.path=" + dir_ + "/data";
    auto listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (FILE* f = std::freopen((dir_ + "/prometheus.log").c_str(), "a", stderr)) (void)f;
      if (FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
      ::execl(binary.c_str(), binary.c_str(), config.c_str(), storage.c_str(), listen.c_str(),
              static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (sluice::http_call("127.0.0.1", port_, "GET", "/-/ready", {}, "", 500).status == 200)
        return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("prometheus exited at start-up: " + log());
      }
      std::this_thread::sleep_for(100ms);
    }
    throw std::runtime_error("prometheus was not ready in 30 s: " + log());
  }

  ~prometheus_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 100 && !reaped; ++i) {
        reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(50ms);
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    std::string cmd = "rm -rf '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) {
    }
  }

  prometheus_process(const prometheus_process&) = delete;
  prometheus_process& operator=(const prometheus_process&) = delete;

  // The instant value of `query` per tenant label, as Prometheus answers it now.
  std::map<std::string, double> by_tenant(const std::string& query) {
    std::map<std::string, double> out;
    auto res =
        sluice::http_call("127.0.0.1", port_, "GET", "/api/v1/query?query=" + url_encode(query));
    if (res.status != 200) return out;
    auto body = json::parse(res.body);
    if (body.value("status", "") != "success") return out;
    for (auto& sample : body["data"]["result"])
      out[sample["metric"].value("tenant", "")] = std::stod(sample["value"][1].get<std::string>());
    return out;
  }

  std::string log() const {
    std::ifstream in(dir_ + "/prometheus.log");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

 private:
  std::string dir_;
  unsigned short port_ = 0;
  int pid_ = -1;
};

std::string event(const std::string& id) {
  return R"({"event_type":"page_view","timestamp":"2026-01-01T00:00:00Z","event_id":")" + id +
         "\"}";
}

}  // namespace

TEST_CASE("prometheus: a real scrape carries each tenant's stored and duplicate counts",
          "[integration]") {
  auto metrics_port = free_port();
  auto metrics_listen = "127.0.0.1:" + std::to_string(metrics_port);
  sluice_process s(std::map<std::string, std::string>{{"SLUICE_METRICS_LISTEN", metrics_listen}});
  prometheus_process prom(metrics_listen);

  auto alpha = s.create_tenant("alpha");
  auto beta = s.create_tenant("beta");
  for (int i = 0; i < 7; ++i)
    REQUIRE(s.post("/v1/events", event("a" + std::to_string(i)), alpha).status == 201);
  for (int i = 0; i < 3; ++i)
    REQUIRE(s.post("/v1/events", event("b" + std::to_string(i)), beta).status == 201);
  for (int i = 0; i < 2; ++i)
    REQUIRE(s.post("/v1/events", event("b" + std::to_string(i)), beta).status == 200);

  const std::map<std::string, double> want_stored{{"alpha", 7}, {"beta", 3}};
  const std::map<std::string, double> want_duplicates{{"alpha", 0}, {"beta", 2}};
  std::map<std::string, double> stored, duplicates;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    stored = prom.by_tenant("sluice_events_stored_total");
    duplicates = prom.by_tenant("sluice_events_duplicate_total");
    if (stored == want_stored && duplicates == want_duplicates) break;
    std::this_thread::sleep_for(500ms);
  }
  INFO("prometheus log: " << prom.log());
  CHECK(stored["alpha"] == 7);
  CHECK(stored["beta"] == 3);
  CHECK(duplicates["alpha"] == 0);
  CHECK(duplicates["beta"] == 2);
  CHECK(stored.size() == 2);  // no other tenant label
  CHECK(prom.by_tenant("up{job=\"sluice\"}")[""] == 1);
}

TEST_CASE("prometheus: promtool check metrics passes on a real scrape of /metrics",
          "[integration]") {
  REQUIRE_FALSE(find_in_path("promtool").empty());  // from the prometheus package
  auto metrics_port = free_port();
  sluice_process s(std::map<std::string, std::string>{
      {"SLUICE_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)}});
  auto alpha = s.create_tenant("alpha");
  auto beta = s.create_tenant("beta", 1, 1);  // the second event is rate limited
  REQUIRE(s.post("/v1/events", event("a1"), alpha).status == 201);
  REQUIRE(s.post("/v1/events", event("a1"), alpha).status == 200);
  REQUIRE(s.post("/v1/events", R"({"event_type":"x"})", alpha).status == 400);
  REQUIRE(s.post("/v1/events", event("b1"), beta).status == 201);
  REQUIRE(s.post("/v1/events", event("b2"), beta).status == 429);
  REQUIRE(s.post("/v1/events", event("c1"), "not-a-key").status == 401);

  auto scrape = sluice::http_call("127.0.0.1", metrics_port, "GET", "/metrics");
  REQUIRE(scrape.status == 200);
  // Every kind of series is there: counters, gauges, histograms, process metrics.
  for (auto name :
       {"sluice_events_stored_total", "sluice_events_duplicate_total",
        "sluice_events_rejected_total", "sluice_rate_limited_total",
        "sluice_ingest_duration_seconds_bucket", "sluice_tenant_queue_events",
        "sluice_shard_commit_duration_seconds_bucket", "sluice_shard_commit_events_bucket",
        "sluice_shard_map_used_bytes", "process_resident_memory_bytes"}) {
    INFO(name);
    CHECK(scrape.body.find(std::string("\n") + name) != std::string::npos);
  }

  char path[] = "/tmp/sluice-metrics-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << scrape.body;
  auto [status, output] = run_command(std::string("promtool check metrics < ") + path);
  ::unlink(path);
  INFO("promtool check metrics said: " << output);
  CHECK(status == 0);
  CHECK(output.empty());
}
