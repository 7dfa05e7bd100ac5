// The noisy-neighbour harness's command-line tool; bench/noisy_neighbour.sh drives it, one fresh
// server per scenario. It reads the scenario file, creates a scenario's tenants through the admin
// API, runs the open-loop load (bench/open_loop.hpp) and writes the numbers
// (bench/noisy_stats.hpp). Everything that reads JSON lives here, so the shell script needs no JSON
// tool.
//
//   noisy_neighbour list SCENARIOS              scenario names, one a line
//   noisy_neighbour env SCENARIOS NAME          the scenario's server environment, KEY=VALUE lines
//   noisy_neighbour free-port                   a free loopback port
//   noisy_neighbour run SCENARIOS NAME --server HOST:PORT --out FILE [--duration SEC]
//   noisy_neighbour report SCENARIOS --out-dir DIR --work DIR [--build TEXT] RESULT...
#include "bench/noisy_stats.hpp"
#include "bench/open_loop.hpp"
#include "config/config.hpp"
#include "http/client.hpp"
#include "store/secrets.hpp"

#include <sys/utsname.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace sluice::bench {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

json load_scenarios(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return json::parse(in);
}

const json& find_scenario(const json& file, const std::string& name) {
  for (auto& s : file.at("scenarios"))
    if (s.at("name") == name) return s;
  throw std::runtime_error("no scenario named " + name);
}

std::string env_value(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string utc_now() {
  auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// CPU seconds (user + system) that process `pid` ("self" for this one) has used so far.
double cpu_seconds(const std::string& pid) {
  std::string stat = read_first_line("/proc/" + pid + "/stat");
  auto close = stat.rfind(')');  // the command name may hold spaces; fields follow it
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)  // utime and stime are fields 14 and 15
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds the whole machine has been busy (every state but idle, iowait and steal), and
// the seconds the hypervisor gave our vCPUs to someone else (steal), from /proc/stat.
std::pair<double, double> machine_busy_and_steal_seconds() {
  std::istringstream fields(read_first_line("/proc/stat"));
  std::string cpu;
  fields >> cpu;
  double busy = 0, steal = 0, v = 0;
  for (int i = 0; fields >> v; ++i) {
    if (i == 7) steal += v;                 // 7: steal
    else if (i != 3 && i != 4) busy += v;  // 3: idle, 4: iowait
  }
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {busy / tick, steal / tick};
}

// Per writer shard: commits, seconds spent committing, events committed — from the server's
// /metrics, to tell a slow store (fsync) from a busy CPU when latency grows.
json commit_stats(const std::string& host, unsigned short port) {
  json out = json::object();
  auto res = http_call(host, port, "GET", "/metrics");
  std::istringstream lines(res.body);
  const std::vector<std::pair<std::string, std::string>> wanted = {
      {"sluice_shard_commit_duration_seconds_count{", "commits"},
      {"sluice_shard_commit_duration_seconds_sum{", "commit_sec"},
      {"sluice_shard_commit_events_sum{", "events"}};
  for (std::string line; std::getline(lines, line);)
    for (auto& [prefix, key] : wanted) {
      if (line.rfind(prefix, 0) != 0) continue;
      auto label = line.find("shard=\"");
      if (label == std::string::npos) continue;
      auto shard = line.substr(label + 7, line.find('"', label + 7) - label - 7);
      out[shard][key] = std::stod(line.substr(line.rfind(' ') + 1));
    }
  return out;
}

// Creates the scenario's tenants through the admin API; returns them with their keys.
std::vector<tenant_spec> create_tenants(const json& scenario, const std::string& host,
                                        unsigned short port) {
  const char* token = std::getenv("SLUICE_ADMIN_TOKEN");
  if (!token) throw std::runtime_error("SLUICE_ADMIN_TOKEN is not set");
  // The writer shard of a tenant, computed as the tenant directory does (first byte of the id's
  // SHA-256 modulo the shard count), so the report can tell who shares a queue with the heavy one.
  config cfg;
  auto env = scenario.value("server_env", json::object());
  if (env.contains("SLUICE_SHARDS")) cfg.shards = std::stoi(env_value(env["SLUICE_SHARDS"]));
  std::vector<tenant_spec> out;
  for (auto& cls : scenario.at("tenants")) {
    for (int k = 0; k < cls.at("count").get<int>(); ++k) {
      tenant_spec t;
      t.cls = cls.at("class");
      char id[64];
      std::snprintf(id, sizeof id, "%s-%02d", t.cls.c_str(), k);
      t.id = id;
      t.rate = cls.at("rate");
      t.connections = cls.value("connections", 4);
      t.poisson = cls.value("arrivals", "uniform") == "poisson";
      t.shard = static_cast<unsigned char>(sha256(t.id)[0]) % cfg.shards;
      json body = {{"id", t.id}, {"rate_limit", cls.at("rate_limit")}};
      auto res = http_call(
          host, port, "POST", "/v1/admin/tenants",
          {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}},
          body.dump());
      if (res.status != 201)
        throw std::runtime_error("creating tenant " + t.id + ": " + std::to_string(res.status) +
                                 " " + res.body + res.error);
      t.key = json::parse(res.body).at("api_key");
      out.push_back(std::move(t));
    }
  }
  return out;
}

int run(const std::string& file, const std::string& name, const std::string& server,
        const std::string& server_pid, const std::string& out_path, double duration_override,
        double max_other_cores) {
  auto scenarios = load_scenarios(file);
  auto& scenario = find_scenario(scenarios, name);
  auto defaults = scenarios.value("defaults", json::object());
  double duration = duration_override > 0
                        ? duration_override
                        : scenario.value("duration_sec", defaults.value("duration_sec", 20.0));
  double warmup = scenario.value("warmup_sec", defaults.value("warmup_sec", 2.0));
  double drain = scenario.value("drain_sec", defaults.value("drain_sec", 10.0));
  std::string host;
  unsigned short port = 0;
  if (!split_host_port(server, host, port)) throw std::runtime_error("--server must be host:port");
  auto ready_by = steady::now() + std::chrono::seconds(15);
  while (http_call(host, port, "GET", "/readyz", {}, "", 500).status != 200) {
    if (steady::now() > ready_by) throw std::runtime_error(server + " did not become ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto specs = create_tenants(scenario, host, port);

  load_plan plan{host, port, warmup, duration, drain, "nn" + random_hex(4), utc_now()};
  auto load_before = read_first_line("/proc/loadavg");
  double server_cpu = server_pid.empty() ? -1 : cpu_seconds(server_pid);
  double own_cpu = cpu_seconds("self");
  auto [machine_busy, machine_steal] = machine_busy_and_steal_seconds();
  auto started = steady::now();
  auto results = run_open_loop(specs, plan);
  double wall = std::chrono::duration<double>(steady::now() - started).count();
  auto summary = summarize(scenario, results, duration);
  summary["warmup_sec"] = warmup;
  summary["load_before"] = load_before;
  summary["load_after"] = read_first_line("/proc/loadavg");
  // Cores used while the load ran (warm-up and drain included): on a shared 2-core box this
  // says how much of the machine the server and the generator took from each other.
  auto [busy_after, steal_after] = machine_busy_and_steal_seconds();
  double machine_cores = (busy_after - machine_busy) / wall;
  // Time the VM's vCPUs wanted to run but the host ran something else: noise no one here makes.
  summary["steal_cores"] = std::round((steal_after - machine_steal) / wall * 100) / 100;
  double generator_cores = (cpu_seconds("self") - own_cpu) / wall;
  summary["generator_cores"] = std::round(generator_cores * 100) / 100;
  if (server_cpu >= 0) {
    double server_cores = (cpu_seconds(server_pid) - server_cpu) / wall;
    summary["server_cores"] = std::round(server_cores * 100) / 100;
    // Everything else on the machine (other people's builds and benchmarks) during this run.
    summary["other_cores"] =
        std::round(std::max(0.0, machine_cores - server_cores - generator_cores) * 100) / 100;
  }
  summary["io_pressure"] = read_first_line("/proc/pressure/io");
  // Disturbed: other processes, or the host (steal), took more than allowed of our two cores.
  double taken = summary.value("other_cores", 0.0) + summary.value("steal_cores", 0.0);
  bool disturbed = max_other_cores >= 0 && taken > max_other_cores;
  summary["disturbed"] = disturbed;
  summary["load_wall_sec"] = wall;
  summary["shards"] = commit_stats(host, port);
  summary["started_at"] = plan.timestamp;
  std::ofstream(out_path) << summary.dump(2) << "\n";
  for (auto& [cls, c] : summary["classes"].items())
    std::cout << name << " " << cls << ": sent " << c["sent"] << ", stored/s "
              << c["stored_per_sec"] << ", p50/p99/p99.9 ms " << c["latency"]["p50_ms"] << "/"
              << c["latency"]["p99_ms"] << "/" << c["latency"]["p999_ms"] << ", rejections "
              << c["rejections"].dump() << "\n";
  if (disturbed) {
    std::cout << name << ": other processes used " << summary["other_cores"]
              << " cores and the host stole " << summary["steal_cores"]
              << " during the run (limit " << max_other_cores << " together)\n";
    return 3;  // the script may run it again
  }
  return 0;
}

json machine() {
  utsname u{};
  uname(&u);
  std::string cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", cpu},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"generated_at", utc_now()}};
}

int report(const std::string& file, const std::string& out_dir, const std::string& work,
           const std::string& build, const std::vector<std::string>& inputs) {
  auto scenarios = load_scenarios(file);
  std::vector<json> summaries;
  for (auto& path : inputs) summaries.push_back(load_scenarios(path));
  json context = {{"machine", machine()},
                  {"build", build},
                  {"command", "bash bench/noisy_neighbour.sh"},
                  {"compare", scenarios.value("compare", json::object())},
                  {"targets", scenarios.value("targets", json::object())}};
  report_paths paths{out_dir + "/noisy_neighbour.json", out_dir + "/noisy_neighbour.md",
                     work + "/noisy_neighbour.dat", work + "/noisy_neighbour.gp",
                     out_dir + "/noisy_neighbour.png"};
  std::cout << write_report(summaries, context, paths);
  return 0;
}

// Binds port 0 and reports what the kernel chose; the caller's server binds it right after.
int free_port() {
  boost::asio::io_context ioc;
  using tcp = boost::asio::ip::tcp;
  tcp::acceptor a(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  std::cout << a.local_endpoint().port() << "\n";
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) {
  using namespace sluice::bench;
  CLI::App app{"noisy-neighbour load generator (see bench/noisy_neighbour.sh)"};
  app.require_subcommand(1);
  std::string file, name, server, server_pid, out, out_dir, work, build;
  double duration = 0, max_other_cores = -1;
  std::vector<std::string> inputs;
  auto* list = app.add_subcommand("list", "scenario names");
  list->add_option("scenarios", file)->required();
  auto* env = app.add_subcommand("env", "a scenario's server environment");
  env->add_option("scenarios", file)->required();
  env->add_option("name", name)->required();
  auto* port = app.add_subcommand("free-port", "a free loopback port");
  auto* run_cmd = app.add_subcommand("run", "create the tenants and run one scenario");
  run_cmd->add_option("scenarios", file)->required();
  run_cmd->add_option("name", name)->required();
  run_cmd->add_option("--server", server, "host:port")->required();
  run_cmd->add_option("--out", out, "result file (JSON)")->required();
  run_cmd->add_option("--server-pid", server_pid, "the server's pid, to measure its CPU use");
  run_cmd->add_option("--max-other-cores", max_other_cores,
                      "exit 3 when other processes and the host (steal) took more CPU than this during the run");
  run_cmd->add_option("--duration", duration, "measured seconds (overrides the file)");
  auto* report_cmd = app.add_subcommand("report", "merge results into JSON, Markdown, gnuplot");
  report_cmd->add_option("scenarios", file)->required();
  report_cmd->add_option("--out-dir", out_dir)->required();
  report_cmd->add_option("--work", work, "directory for the gnuplot data and script")->required();
  report_cmd->add_option("--build", build, "which server build was measured");
  report_cmd->add_option("results", inputs)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*port) return free_port();
    if (*report_cmd) return report(file, out_dir, work, build, inputs);
    auto scenarios = load_scenarios(file);
    if (*list)
      for (auto& s : scenarios.at("scenarios"))
        std::cout << s.at("name").get<std::string>() << "\n";
    if (*env) {
      auto vars = find_scenario(scenarios, name).value("server_env", nlohmann::json::object());
      for (auto& [k, v] : vars.items()) std::cout << k << "=" << env_value(v) << "\n";
    }
    if (*run_cmd) return run(file, name, server, server_pid, out, duration, max_other_cores);
  } catch (const std::exception& e) {
    std::cerr << "noisy_neighbour: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
