#include "config/config.hpp"

#include "config/faults.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <variant>

namespace sluice {
namespace {

// One option: its dotted name (the TOML path; SLUICE_NAME_WITH_UNDERSCORES in the environment)
// and where it lives in the struct.
using target = std::variant<std::string*, int*, std::uint64_t*, double*, bool*>;
struct option {
  std::string name;
  target where;
};

std::vector<option> options_of(config& c) {
  return {
      {"listen", &c.listen},
      {"data_dir", &c.data_dir},
      {"admin_token", &c.admin_token},
      {"io_threads", &c.io_threads},
      {"shards", &c.shards},
      {"map_size_mb", &c.map_size_mb},
      {"dedup_window_sec", &c.dedup_window_sec},
      {"max_body_bytes", &c.max_body_bytes},
      {"max_batch_events", &c.max_batch_events},
      {"max_header_bytes", &c.max_header_bytes},
      {"max_connections", &c.max_connections},
      {"read_timeout_ms", &c.read_timeout_ms},
      {"idle_timeout_ms", &c.idle_timeout_ms},
      {"max_inflight_per_tenant", &c.max_inflight_per_tenant},
      {"max_inflight_per_shard", &c.max_inflight_per_shard},
      {"max_commit_events", &c.max_commit_events},
      {"tenant_idle_sec", &c.tenant_idle_sec},
      {"fair_scheduling", &c.fair_scheduling},
      {"fair_quantum_events", &c.fair_quantum_events},
      {"writer.retry_attempts", &c.writer_retry_attempts},
      {"writer.retry_base_ms", &c.writer_retry_base_ms},
      {"writer.retry_max_ms", &c.writer_retry_max_ms},
      {"rate_limit.events_per_sec", &c.default_rate_limit.events_per_sec},
      {"rate_limit.burst", &c.default_rate_limit.burst},
      {"log_level", &c.log_level},
      {"access_log", &c.access_log},
      {"metrics.listen", &c.metrics_listen},
      {"metrics.max_tenants", &c.metrics_max_tenants},
      {"metrics.idle_sec", &c.metrics_idle_sec},
      {"shutdown.grace_ms", &c.shutdown_grace_ms},
      {"shutdown.timeout_ms", &c.shutdown_timeout_ms},
      {"trusted_gateway", &c.trusted_gateway},
      {"webhooks.poll_ms", &c.webhooks_poll_ms},
      {"webhooks.timeout_ms", &c.webhooks_timeout_ms},
      {"webhooks.max_attempts", &c.webhooks_max_attempts},
      {"webhooks.retry_base_ms", &c.webhooks_retry_base_ms},
      {"webhooks.retry_max_ms", &c.webhooks_retry_max_ms},
      {"faults", &c.faults},
  };
}

std::string env_name(const std::string& name) {
  std::string out = "SLUICE_";
  for (char ch : name) out += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
  return out;
}

// Parses text into the option; returns an error message or "".
std::string assign_text(const option& o, const std::string& text) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          *p = text;
          return "";
        } else if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1")
            *p = true;
          else if (text == "false" || text == "0")
            *p = false;
          else
            return "must be true or false";
          return "";
        } else {
          char* end = nullptr;
          errno = 0;
          if constexpr (std::is_same_v<T, double>) {
            double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || errno != 0) return "must be a number";
            *p = v;
          } else {
            if (text.empty() || text[0] == '-') return "must be a non-negative integer";
            unsigned long long v = std::strtoull(text.c_str(), &end, 10);
            if (*end != '\0' || errno != 0) return "must be a non-negative integer";
            if constexpr (std::is_same_v<T, int>) {
              if (v > 0x7fffffffULL) return "is too large";
            }
            *p = static_cast<T>(v);
          }
          return "";
        }
      },
      o.where);
}

std::string assign_toml(const option& o, const toml::node& n) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!n.is_string()) return "must be a string";
          *p = *n.value<std::string>();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!n.is_boolean()) return "must be true or false";
          *p = *n.value<bool>();
        } else if constexpr (std::is_same_v<T, double>) {
          if (!n.is_number()) return "must be a number";
          *p = *n.value<double>();
        } else {
          if (!n.is_integer()) return "must be an integer";
          auto v = *n.value<std::int64_t>();
          if (v < 0) return "must be a non-negative integer";
          if (std::is_same_v<T, int> && v > 0x7fffffff) return "is too large";
          *p = static_cast<T>(v);
        }
        return "";
      },
      o.where);
}

void collect_unknown(const toml::table& t, const std::string& prefix,
                     const std::vector<option>& opts, std::vector<std::string>& errors) {
  for (auto&& [key, node] : t) {
    std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (auto* sub = node.as_table()) {
      collect_unknown(*sub, name, opts, errors);
      continue;
    }
    bool known = std::any_of(opts.begin(), opts.end(), [&](auto& o) { return o.name == name; });
    if (!known) errors.push_back(name + ": unknown option");
  }
}

}  // namespace

std::vector<std::string> load_config_file(const std::string& path, config& out) {
  std::vector<std::string> errors;
  if (path.empty()) return errors;
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    errors.push_back("config file " + path + ": " + std::string(e.description()));
    return errors;
  }
  auto opts = options_of(out);
  collect_unknown(table, "", opts, errors);
  for (auto& o : opts) {
    auto node = table.at_path(o.name);
    if (!node) continue;
    if (auto err = assign_toml(o, *node.node()); !err.empty())
      errors.push_back(o.name + ": " + err);
  }
  return errors;
}

std::vector<std::string> apply_environment(config& out) {
  std::vector<std::string> errors;
  for (auto& o : options_of(out)) {
    auto name = env_name(o.name);
    if (const char* v = std::getenv(name.c_str())) {
      if (auto err = assign_text(o, v); !err.empty()) errors.push_back(name + ": " + err);
    }
  }
  return errors;
}

bool split_host_port(const std::string& s, std::string& host, unsigned short& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto port_text = s.substr(colon + 1);
  if (!std::all_of(port_text.begin(), port_text.end(), ::isdigit) || port_text.size() > 5)
    return false;
  auto p = std::stoul(port_text);
  if (p > 65535) return false;
  host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  port = static_cast<unsigned short>(p);
  return true;
}

std::vector<std::string> validate(const config& c) {
  std::vector<std::string> errors;
  auto check = [&](bool ok, const char* name, const char* why) {
    if (!ok) errors.push_back(std::string(name) + ": " + why);
  };
  std::string host;
  unsigned short port = 0;
  check(split_host_port(c.listen, host, port), "listen", "must be host:port");
  check(!c.data_dir.empty(), "data_dir", "must not be empty");
  check(c.admin_token.empty() || c.admin_token.size() >= 16, "admin_token",
        "must be at least 16 characters");
  check(c.io_threads >= 1 && c.io_threads <= 64, "io_threads", "must be between 1 and 64");
  check(c.shards >= 1 && c.shards <= 64, "shards", "must be between 1 and 64");
  check(c.map_size_mb >= 16, "map_size_mb", "must be at least 16");
  check(c.dedup_window_sec >= 1, "dedup_window_sec", "must be at least 1");
  check(c.max_body_bytes >= 1024, "max_body_bytes", "must be at least 1024");
  check(c.max_batch_events >= 1, "max_batch_events", "must be at least 1");
  check(c.max_header_bytes >= 1024, "max_header_bytes", "must be at least 1024");
  check(c.max_connections >= 1, "max_connections", "must be at least 1");
  check(c.read_timeout_ms >= 100, "read_timeout_ms", "must be at least 100");
  check(c.idle_timeout_ms >= 100, "idle_timeout_ms", "must be at least 100");
  check(c.max_inflight_per_tenant >= 1, "max_inflight_per_tenant", "must be at least 1");
  check(c.max_inflight_per_shard >= 1, "max_inflight_per_shard", "must be at least 1");
  check(c.tenant_idle_sec >= 1, "tenant_idle_sec", "must be at least 1");
  check(c.fair_quantum_events >= 1, "fair_quantum_events", "must be at least 1");
  check(c.max_commit_events >= 1, "max_commit_events", "must be at least 1");
  check(c.writer_retry_attempts >= 1 && c.writer_retry_attempts <= 20, "writer.retry_attempts",
        "must be between 1 and 20");
  check(c.writer_retry_base_ms >= 1, "writer.retry_base_ms", "must be at least 1");
  check(c.writer_retry_max_ms >= c.writer_retry_base_ms && c.writer_retry_max_ms <= 10000,
        "writer.retry_max_ms", "must be between writer.retry_base_ms and 10000");
  // The tenant actor gives a write 30 s; the retries must end well before that.
  check(static_cast<std::int64_t>(c.writer_retry_attempts - 1) * c.writer_retry_max_ms <= 20000,
        "writer.retry_max_ms",
        "(writer.retry_attempts - 1) x writer.retry_max_ms must be at most 20000 ms");
  check(c.metrics_listen.empty() || split_host_port(c.metrics_listen, host, port), "metrics.listen",
        "must be host:port");
  check(c.metrics_max_tenants >= 1, "metrics.max_tenants", "must be at least 1");
  check(c.metrics_idle_sec >= 1, "metrics.idle_sec", "must be at least 1");
  check(c.shutdown_timeout_ms >= 100, "shutdown.timeout_ms", "must be at least 100");
  check(c.default_rate_limit.events_per_sec > 0, "rate_limit.events_per_sec", "must be positive");
  check(c.default_rate_limit.burst >= 1, "rate_limit.burst", "must be at least 1");
  check(c.log_level == "debug" || c.log_level == "info" || c.log_level == "warn" ||
            c.log_level == "error",
        "log_level", "must be one of debug, info, warn, error");
  check(c.webhooks_poll_ms >= 10 && c.webhooks_poll_ms <= 60000, "webhooks.poll_ms",
        "must be between 10 and 60000");
  check(c.webhooks_timeout_ms >= 100, "webhooks.timeout_ms", "must be at least 100");
  check(c.webhooks_max_attempts >= 1 && c.webhooks_max_attempts <= 100, "webhooks.max_attempts",
        "must be between 1 and 100");
  check(c.webhooks_retry_base_ms >= 1, "webhooks.retry_base_ms", "must be at least 1");
  check(c.webhooks_retry_max_ms >= c.webhooks_retry_base_ms, "webhooks.retry_max_ms",
        "must be at least webhooks.retry_base_ms");
  std::string fault_error;
  if (!faults().parse(c.faults, fault_error)) errors.push_back(fault_error);
  return errors;
}

}  // namespace sluice
