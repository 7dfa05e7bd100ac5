// The `sluice` binary: `serve` runs a node; `tenant` administers tenants of a running node;
// `export` reads a tenant's events from a data dir.
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
  using namespace sluice;
  CLI::App app{"Sluice: a multi-tenant event ingestion engine"};
  app.require_subcommand(1);

  serve_flags serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the server");
  serve_cmd->add_option("--config", serve.config_file, "TOML config file");
  serve_cmd->add_option("--listen", serve.listen, "host:port to listen on");
  serve_cmd->add_option("--data", serve.data_dir, "data directory");
  serve_cmd->add_option("--shards", serve.shards, "writer shards");
  serve_cmd->add_option("--log-level", serve.log_level, "debug, info, warn or error");

  admin_flags admin;
  const char* listen_env = std::getenv("SLUICE_LISTEN");
  admin.server = listen_env ? listen_env : "127.0.0.1:8080";
  auto* tenant_cmd = app.add_subcommand("tenant", "administer tenants of a running server");
  tenant_cmd->require_subcommand(1);
  tenant_cmd->add_option("--server", admin.server, "host:port of the server")
      ->capture_default_str();
  tenant_cmd->add_option("--token", admin.token,
                         "admin token (default: SLUICE_ADMIN_TOKEN or <data>/admin_token)");
  tenant_cmd->add_option("--data", admin.data_dir, "data directory holding admin_token")
      ->capture_default_str();

  std::string id, name;
  std::optional<double> rate, burst;
  auto* create =
      tenant_cmd->add_subcommand("create", "create a tenant and print its first API key");
  create->add_option("id", id, "tenant id: [a-z0-9][a-z0-9_-]{0,62}")->required();
  create->add_option("--name", name, "display name");
  create->add_option("--rate", rate, "events per second");
  create->add_option("--burst", burst, "burst size");
  auto* list = tenant_cmd->add_subcommand("list", "list tenants");
  auto* rotate = tenant_cmd->add_subcommand("rotate-key", "issue a new API key for a tenant");
  rotate->add_option("id", id, "tenant id")->required();

  export_flags exp;
  auto* export_cmd =
      app.add_subcommand("export", "write a tenant's events as NDJSON, in seq order");
  export_cmd->add_option("--tenant", exp.tenant, "tenant id")->required();
  export_cmd->add_option("--from", exp.from, "RFC 3339 time, inclusive");
  export_cmd->add_option("--to", exp.to, "RFC 3339 time, exclusive");
  export_cmd->add_option("--data", exp.data_dir, "data directory")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*export_cmd) return run_export(exp);
  if (*serve_cmd) return run_serve(serve);
  if (*create) return run_tenant_create(admin, id, name, rate, burst);
  if (*list) return run_tenant_list(admin);
  if (*rotate) return run_tenant_rotate_key(admin, id);
  return 2;
}
