// deploy/sluice.toml is the example config operators start from: it must load as shipped, and
// every value it shows commented out must be the real default.
#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

using namespace sluice;

namespace {

std::string write_temp(const std::string& text) {
  char tmpl[] = "/tmp/sluice-toml-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ::close(fd);
  std::ofstream(tmpl) << text;
  return tmpl;
}

// Every field as "name=value", so a mismatch prints which one.
std::vector<std::string> fields(const config& c) {
  std::vector<std::string> out;
  auto add = [&](const char* name, auto value) {
    std::ostringstream s;
    s << name << "=" << value;
    out.push_back(s.str());
  };
  add("listen", c.listen);
  add("data_dir", c.data_dir);
  add("admin_token", c.admin_token);
  add("io_threads", c.io_threads);
  add("shards", c.shards);
  add("map_size_mb", c.map_size_mb);
  add("dedup_window_sec", c.dedup_window_sec);
  add("max_body_bytes", c.max_body_bytes);
  add("max_batch_events", c.max_batch_events);
  add("max_header_bytes", c.max_header_bytes);
  add("max_connections", c.max_connections);
  add("read_timeout_ms", c.read_timeout_ms);
  add("idle_timeout_ms", c.idle_timeout_ms);
  add("max_inflight_per_tenant", c.max_inflight_per_tenant);
  add("max_inflight_per_shard", c.max_inflight_per_shard);
  add("max_commit_events", c.max_commit_events);
  add("rate_limit.events_per_sec", c.default_rate_limit.events_per_sec);
  add("rate_limit.burst", c.default_rate_limit.burst);
  add("log_level", c.log_level);
  add("access_log", c.access_log);
  add("metrics.listen", c.metrics_listen);
  add("metrics.max_tenants", c.metrics_max_tenants);
  add("metrics.idle_sec", c.metrics_idle_sec);
  add("shutdown.grace_ms", c.shutdown_grace_ms);
  add("shutdown.timeout_ms", c.shutdown_timeout_ms);
  add("trusted_gateway", c.trusted_gateway);
  return out;
}

}  // namespace

TEST_CASE("deploy: sluice.toml loads as shipped and its commented values are the defaults") {
  std::ifstream in(SLUICE_SOURCE_DIR "/deploy/sluice.toml");
  REQUIRE(in);
  std::string shipped, uncommented, line;
  static const std::regex commented_option("^#([a-z_]+ = .*)$");
  int commented = 0;
  while (std::getline(in, line)) {
    shipped += line + "\n";
    std::smatch m;
    if (std::regex_match(line, m, commented_option)) {
      uncommented += m[1].str() + "\n";
      ++commented;
    } else {
      uncommented += line + "\n";
    }
  }
  CHECK(commented >= 20);

  config as_shipped;
  auto path = write_temp(shipped);
  CHECK(load_config_file(path, as_shipped).empty());
  ::unlink(path.c_str());
  CHECK(validate(as_shipped).empty());

  config all_lines;
  path = write_temp(uncommented);
  CHECK(load_config_file(path, all_lines).empty());
  ::unlink(path.c_str());

  // Only the two active lines differ from the defaults.
  config expected;
  expected.data_dir = "/var/lib/sluice";
  expected.metrics_listen = "127.0.0.1:9464";
  CHECK(fields(as_shipped) == fields(expected));
  CHECK(fields(all_lines) == fields(expected));
}
