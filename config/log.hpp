// Structured logs: one JSON object per line on stderr (time, level, message, then fields such
// as tenant or request id). Thread-safe; set up once at start-up. Never pass an API key or an
// event payload as a field.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sluice {

using log_fields = std::vector<std::pair<std::string, std::string>>;

// level: debug, info, warn, error
void init_logging(const std::string& level);
// Writes out what the background log thread still holds (call before exiting).
void flush_logs();
void log_debug(const std::string& message, const log_fields& fields = {});
void log_info(const std::string& message, const log_fields& fields = {});
void log_warn(const std::string& message, const log_fields& fields = {});
void log_error(const std::string& message, const log_fields& fields = {});

}  // namespace sluice
