#include "config/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace sluice {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto instance = [] {
    // Asynchronous: a request's access-log line is a queue push, not a write(2) on the io thread.
    spdlog::init_thread_pool(65536, 1);
    auto l = spdlog::create_async<spdlog::sinks::stderr_sink_mt>("sluice");
    // The message part is a JSON fragment built by `line` below; spdlog adds time and level.
    l->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                   spdlog::pattern_time_type::utc);
    return l;
  }();
  return instance;
}

void write(spdlog::level::level_enum level, const std::string& message, const log_fields& fields) {
  auto& l = *logger();
  if (!l.should_log(level)) return;
  std::string line = "\"message\":" + nlohmann::json(message).dump();
  for (auto& [key, value] : fields)
    line += "," + nlohmann::json(key).dump() + ":" +
            nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  l.log(level, line);
}

}  // namespace

void init_logging(const std::string& level) {
  logger()->set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
  logger()->flush_on(spdlog::level::warn);
}

void flush_logs() { logger()->flush(); }

void log_debug(const std::string& m, const log_fields& f) {
  write(spdlog::level::debug, m, f);
}
void log_info(const std::string& m, const log_fields& f) {
  write(spdlog::level::info, m, f);
}
void log_warn(const std::string& m, const log_fields& f) {
  write(spdlog::level::warn, m, f);
}
void log_error(const std::string& m, const log_fields& f) {
  write(spdlog::level::err, m, f);
}

}  // namespace sluice
