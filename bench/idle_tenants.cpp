// Memory per registered-but-idle tenant. Against a running sluice (pid given, so its RssAnon can
// be read): creates N tenants, sends one event for each (so each gets a tenant actor), waits until
// every tenant actor is passivated (sluice_tenant_actors == 0), and reports anonymous memory
// before, with the actors alive, and after passivation — per tenant.
//   idle_tenants --port P --pid PID --admin-token T [--tenants 100000] [--threads 4]
#include "http/client.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

long rss_anon_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  while (in >> key) {
    if (key == "RssAnon:" && in >> value) return value;
    in.ignore(4096, '\n');
  }
  return -1;
}

double gauge(unsigned short port, const std::string& name) {
  auto body = sluice::http_call("127.0.0.1", port, "GET", "/metrics").body;
  auto at = body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

// Runs f(i) for i in [0, n) on `threads` threads; returns how many returned true.
template <class F>
long parallel(int n, int threads, F f) {
  std::atomic<int> next{0};
  std::atomic<long> ok{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < n;) ok += f(i);
    });
  for (auto& th : pool) th.join();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 0;
  int pid = 0, tenants = 100000, threads = 4;
  std::string token;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--pid") pid = std::stoi(value);
    else if (flag == "--tenants") tenants = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else if (flag == "--admin-token") token = value;
  }
  if (!port || !pid || token.empty()) {
    std::cerr << "usage: idle_tenants --port P --pid PID --admin-token T [--tenants N]\n";
    return 2;
  }
  long before = rss_anon_kb(pid);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> keys(tenants);
  long created = parallel(tenants, threads, [&](int i) {
    nlohmann::json body{{"id", "t" + std::to_string(i)}};
    auto res = sluice::http_call("127.0.0.1", port, "POST", "/v1/admin/tenants",
                                 {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                                 body.dump());
    if (res.status != 201) return false;
    keys[i] = nlohmann::json::parse(res.body).at("api_key");
    return true;
  });
  double create_sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  long registered = rss_anon_kb(pid);
  long sent = parallel(tenants, threads, [&](int i) {
    if (keys[i].empty()) return false;
    auto res = sluice::http_call("127.0.0.1", port, "POST", "/v1/events",
                                 {{"X-API-Key", keys[i]}, {"Content-Type", "application/json"}},
                                 R"({"event_type":"x","timestamp":"2026-01-01T00:00:00Z","event_id":"e"})");
    return res.status == 201;
  });
  double live = gauge(port, "sluice_tenant_actors");
  long active = rss_anon_kb(pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (gauge(port, "sluice_tenant_actors") > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::seconds(1));
  double left = gauge(port, "sluice_tenant_actors");
  long idle = rss_anon_kb(pid);
  auto per = [&](long kb) { return (kb - before) * 1024.0 / static_cast<double>(tenants); };
  std::printf("tenants created: %ld in %.1f s; events stored: %ld; tenant actors alive: %.0f, after idle: %.0f\n",
              created, create_sec, sent, live, left);
  std::printf("RssAnon KiB: start %ld, registered %ld, actors alive %ld, passivated %ld\n", before,
              registered, active, idle);
  std::printf("bytes per tenant: registered %.0f, with its actor %.0f, idle after passivation %.0f\n",
              per(registered), per(active), per(idle));
  return created == tenants && sent == tenants && left == 0 ? 0 : 1;
}
