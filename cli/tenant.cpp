// `sluice tenant create|list|rotate-key`: calls the admin API of a running server (admin_call is
// shared with `sluice dlq`).
#include "cli/commands.hpp"
#include "http/client.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace sluice {

int admin_call(const admin_flags& flags, const std::string& method, const std::string& target,
               const std::string& body) {
  std::string token = flags.token;
  if (token.empty())
    if (const char* env = std::getenv("SLUICE_ADMIN_TOKEN")) token = env;
  if (token.empty()) {
    std::ifstream in(flags.data_dir + "/admin_token");
    std::getline(in, token);
  }
  if (token.empty()) {
    std::cerr << "sluice: no admin token: pass --token, set SLUICE_ADMIN_TOKEN, or point --data at "
                 "the server's data dir\n";
    return 2;
  }
  std::string host;
  unsigned short port = 0;
  if (!split_host_port(flags.server, host, port)) {
    std::cerr << "sluice: --server must be host:port\n";
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + token}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto res = http_call(host, port, method, target, headers, body);
  if (res.status == 0) {
    std::cerr << "sluice: cannot reach " << flags.server << ": " << res.error << "\n";
    return 1;
  }
  auto parsed = nlohmann::json::parse(res.body, nullptr, false);
  std::cout << (parsed.is_discarded() ? res.body : parsed.dump(2)) << "\n";
  return res.status < 300 ? 0 : 1;
}

int run_tenant_create(const admin_flags& flags, const std::string& id, const std::string& name,
                      std::optional<double> rate, std::optional<double> burst) {
  nlohmann::json body{{"id", id}};
  if (!name.empty()) body["name"] = name;
  if (rate || burst) {
    config defaults;
    body["rate_limit"] = {
        {"events_per_sec", rate.value_or(defaults.default_rate_limit.events_per_sec)},
        {"burst", burst.value_or(defaults.default_rate_limit.burst)}};
  }
  return admin_call(flags, "POST", "/v1/admin/tenants", body.dump());
}

int run_tenant_list(const admin_flags& flags) {
  return admin_call(flags, "GET", "/v1/admin/tenants", "");
}

int run_tenant_rotate_key(const admin_flags& flags, const std::string& id) {
  return admin_call(flags, "POST", "/v1/admin/tenants/" + id + "/keys", "");
}

}  // namespace sluice
