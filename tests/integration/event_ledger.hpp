// Helpers for the dead-letter and supervision tests: probe events with distinct event_ids, and
// what the server holds of them (stored events by event_id, dead letters) read back over HTTP.
#pragma once

#include "tests/integration/sluice_process.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

inline std::string probe_event(const std::string& id) {
  return nlohmann::json{{"event_id", id},
                        {"event_type", "probe"},
                        {"timestamp", "2026-01-01T00:00:00Z"},
                        {"properties", {{"probe", id}}}}
      .dump();
}

inline std::string probe_batch(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + probe_event(ids[i]);
  return out + "]";
}

// How many times each event_id is stored for the tenant of `key` (all pages of GET /v1/events).
inline std::map<std::string, int> stored_counts(sluice_process& s, const std::string& key) {
  std::map<std::string, int> counts;
  std::string after = "0";
  for (;;) {
    auto res = s.get("/v1/events?limit=1000&after_seq=" + after, key);
    if (res.status != 200) throw std::runtime_error("GET /v1/events: " + res.body);
    auto page = nlohmann::json::parse(res.body);
    for (auto& e : page.at("events")) counts[e.at("event_id").get<std::string>()]++;
    if (page.at("next_after_seq").is_null()) return counts;
    after = std::to_string(page.at("next_after_seq").get<std::uint64_t>());
  }
}

// All dead letters of the tenant of `key`, oldest first (every page).
inline std::vector<nlohmann::json> dead_letters(sluice_process& s, const std::string& key) {
  std::vector<nlohmann::json> out;
  std::string target = "/v1/dead-letters?limit=1000";
  for (;;) {
    auto res = s.get(target, key);
    if (res.status != 200) throw std::runtime_error("GET /v1/dead-letters: " + res.body);
    auto page = nlohmann::json::parse(res.body);
    for (auto& d : page.at("dead_letters")) out.push_back(d);
    if (page.at("next_after_id").is_null()) return out;
    target = "/v1/dead-letters?limit=1000&after_id=" + page.at("next_after_id").get<std::string>();
  }
}

}  // namespace sluice::testing
