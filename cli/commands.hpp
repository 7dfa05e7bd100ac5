// The subcommands of the `sluice` binary; main.cpp wires them to CLI11.
#pragma once

#include "config/config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct serve_flags {
  std::string config_file;
  std::optional<std::string> listen, data_dir, log_level;
  std::optional<int> shards;
};
int run_serve(const serve_flags& flags);

struct admin_flags {
  std::string server;  // host:port of a running sluice
  std::string token;   // admin token; default: SLUICE_ADMIN_TOKEN, then <data>/admin_token
  std::string data_dir = "./data";
};
int run_tenant_create(const admin_flags& flags, const std::string& id, const std::string& name,
                      std::optional<double> rate, std::optional<double> burst);
int run_tenant_list(const admin_flags& flags);
int run_tenant_rotate_key(const admin_flags& flags, const std::string& id);
// Calls the admin API with the admin token and prints the JSON reply; the exit status.
int admin_call(const admin_flags& flags, const std::string& method, const std::string& target,
               const std::string& body);

// `sluice dlq list|replay|purge --tenant ID [--id dl-N ...]`: a tenant's dead letters.
int run_dlq_list(const admin_flags& flags, const std::string& tenant, const std::string& after,
                 int limit);
int run_dlq_replay(const admin_flags& flags, const std::string& tenant,
                   const std::vector<std::string>& ids);
int run_dlq_purge(const admin_flags& flags, const std::string& tenant,
                  const std::vector<std::string>& ids);

struct export_flags {
  std::string tenant, from, to;
  std::string data_dir = "./data";
};
int run_export(const export_flags& flags);

// The admin token kept in <data_dir>/admin_token; created (and returned with created=true) when
// absent.
std::string load_or_create_admin_token(const std::string& data_dir, bool& created,
                                       std::string& error);

}  // namespace sluice
