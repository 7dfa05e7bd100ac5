// The `sluice` binary: `serve` runs a node; `tenant` administers tenants of a running node;
// `dlq` lists, replays and purges a tenant's dead letters; `export` reads a tenant's events from
// a data dir.
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
  auto add_admin_options = [&admin](CLI::App* cmd) {
    cmd->require_subcommand(1);
    cmd->add_option("--server", admin.server, "host:port of the server")->capture_default_str();
    cmd->add_option("--token", admin.token,
                    "admin token (default: SLUICE_ADMIN_TOKEN or <data>/admin_token)");
    cmd->add_option("--data", admin.data_dir, "data directory holding admin_token")
        ->capture_default_str();
  };
  auto* tenant_cmd = app.add_subcommand("tenant", "administer tenants of a running server");
  add_admin_options(tenant_cmd);

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

  auto* dlq_cmd = app.add_subcommand("dlq", "a tenant's dead letters on a running server");
  add_admin_options(dlq_cmd);
  std::string dlq_tenant, dlq_after;
  std::vector<std::string> dlq_ids;
  int dlq_limit = 100;
  auto* dlq_list = dlq_cmd->add_subcommand("list", "list dead letters, oldest first");
  auto* dlq_replay =
      dlq_cmd->add_subcommand("replay", "store or deliver them again (all, or --id ...)");
  auto* dlq_purge = dlq_cmd->add_subcommand("purge", "delete them (all, or --id ...)");
  for (auto* sub : {dlq_list, dlq_replay, dlq_purge})
    sub->add_option("--tenant", dlq_tenant, "tenant id")->required();
  dlq_list->add_option("--after", dlq_after, "list after this id (dl-N), for the next page");
  dlq_list->add_option("--limit", dlq_limit, "letters per page, 1 to 1000")->capture_default_str();
  for (auto* sub : {dlq_replay, dlq_purge})
    sub->add_option("--id", dlq_ids, "a dead letter id (dl-N); repeatable; default: all");

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
  if (*dlq_list) return run_dlq_list(admin, dlq_tenant, dlq_after, dlq_limit);
  if (*dlq_replay) return run_dlq_replay(admin, dlq_tenant, dlq_ids);
  if (*dlq_purge) return run_dlq_purge(admin, dlq_tenant, dlq_ids);
  return 2;
}
