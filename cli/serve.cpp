// `sluice serve`: loads the config (file → env → flags), opens the store, starts the actors and
// the HTTP edge, and runs until SIGINT or SIGTERM.
#include "actors/node.hpp"
#include "cli/commands.hpp"
#include "config/log.hpp"
#include "http/server.hpp"
#include "store/secrets.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

namespace sluice {

std::string load_or_create_admin_token(const std::string& data_dir, bool& created,
                                       std::string& error) {
  created = false;
  std::string path = data_dir + "/admin_token";
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token) && !token.empty()) return token;
  token = random_hex(24);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << token << "\n";
    if (!out.flush()) {
      error = "cannot write " + tmp;
      return "";
    }
  }
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot create " + path;
    return "";
  }
  created = true;
  return token;
}

int run_serve(const serve_flags& flags) {
  config cfg;
  auto errors = load_config_file(flags.config_file, cfg);
  auto env_errors = apply_environment(cfg);
  errors.insert(errors.end(), env_errors.begin(), env_errors.end());
  if (flags.listen) cfg.listen = *flags.listen;
  if (flags.data_dir) cfg.data_dir = *flags.data_dir;
  if (flags.shards) cfg.shards = *flags.shards;
  if (flags.log_level) cfg.log_level = *flags.log_level;
  auto invalid = validate(cfg);
  errors.insert(errors.end(), invalid.begin(), invalid.end());
  if (!errors.empty()) {
    for (auto& e : errors) std::cerr << "sluice: config: " << e << "\n";
    return 2;
  }
  // Signals are taken by a waiting thread, not by handlers: block them before any thread starts (the
  // logger's too).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  init_logging(cfg.log_level);

  if (::mkdir(cfg.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::cerr << "sluice: data_dir: cannot create " << cfg.data_dir << ": " << std::strerror(errno)
              << "\n";
    return 2;
  }
  std::string error;
  bool token_created = false;
  std::string admin_token = cfg.admin_token;
  if (admin_token.empty()) {
    admin_token = load_or_create_admin_token(cfg.data_dir, token_created, error);
    if (admin_token.empty()) {
      std::cerr << "sluice: admin_token: " << error << "\n";
      return 2;
    }
  }


  auto n = node::start(cfg, error);
  if (!n) {
    std::cerr << "sluice: " << error << "\n";
    return 1;
  }
  auto server = http_server::start(cfg, *n, admin_token, error, cfg.listen);
  std::unique_ptr<http_server> metrics_server;
  if (server && !cfg.metrics_listen.empty())
    metrics_server = http_server::start(cfg, *n, admin_token, error, cfg.metrics_listen, true);
  if (!server || (!cfg.metrics_listen.empty() && !metrics_server)) {
    std::cerr << "sluice: " << error << "\n";
    return 1;
  }
  log_info(
      "sluice is listening",
      {{"listen", cfg.listen}, {"data_dir", cfg.data_dir}, {"shards", std::to_string(cfg.shards)}});
  std::string base = "http://" + cfg.listen;
  std::cout << "Sluice is listening on " << base << " (data in " << cfg.data_dir << ")\n";
  if (token_created)
    std::cout << "Generated an admin token (shown once, kept in " << cfg.data_dir
              << "/admin_token):\n  " << admin_token << "\n";
  std::cout << "Create a tenant:\n"
            << "  curl -s -X POST " << base << "/v1/admin/tenants \\\n"
            << "    -H \"Authorization: Bearer $(cat " << cfg.data_dir << "/admin_token)\" \\\n"
            << "    -H 'Content-Type: application/json' -d '{\"id\": \"acme\"}'\n"
            << "or: sluice tenant create acme --data " << cfg.data_dir << "\n"
            << std::flush;

  int sig = 0;
  sigwait(&signals, &sig);
  // Graceful shutdown: not ready at once, so load balancers move away during the grace period;
  // then no new connections; in-flight requests finish; every queued write is committed.
  log_info("shutting down", {{"signal", std::to_string(sig)}});
  n->begin_draining();
  std::this_thread::sleep_for(std::chrono::milliseconds(cfg.shutdown_grace_ms));
  server->stop_accepting();
  if (!server->wait_until_idle(std::chrono::milliseconds(cfg.shutdown_timeout_ms)))
    log_warn("shutdown: requests still running after shutdown.timeout_ms are dropped");
  server->stop();
  server->wait();
  n->shutdown(std::chrono::milliseconds(cfg.shutdown_timeout_ms));
  if (metrics_server) {
    metrics_server->stop();
    metrics_server->wait();
  }
  log_info("stopped");
  flush_logs();
  return 0;
}

}  // namespace sluice
