#include "config/faults.hpp"

#include <random>
#include <sstream>

namespace sluice {
namespace {

const char* const point_names[] = {"writer_commit", "webhook_send", "writer_start", "writer_crash",
                                   "webhook_crash"};

bool parse_number(const std::string& s, double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(s, &used);
    return used == s.size() && out >= 0;
  } catch (...) {
    return false;
  }
}

}  // namespace

bool faults::parse(const std::string& spec, std::string& error) {
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    auto colon = item.find(':');
    auto equals = item.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || equals == std::string::npos) {
      error = "faults: \"" + item + "\" is not point:mode=value";
      return false;
    }
    std::string name = item.substr(0, colon);
    std::string mode = item.substr(colon + 1, equals - colon - 1);
    double value = 0;
    int index = -1;
    for (int i = 0; i < points; ++i)
      if (name == point_names[i]) index = i;
    if (index < 0) {
      error = "faults: unknown point \"" + name +
              "\" (writer_commit, webhook_send, writer_start, writer_crash or webhook_crash)";
      return false;
    }
    if (!parse_number(item.substr(equals + 1), value)) {
      error = "faults: \"" + item + "\" needs a non-negative number";
      return false;
    }
    rule& r = rules_[index];
    r.active = true;
    if (mode == "p" && value <= 1)
      r.probability = value;
    else if (mode == "nth")
      r.nth = static_cast<std::uint64_t>(value);
    else if (mode == "first")
      r.first = static_cast<std::uint64_t>(value);
    else if (mode == "every" && value >= 1)
      r.every = static_cast<std::uint64_t>(value);
    else {
      error = "faults: \"" + item + "\": mode must be p (0..1), nth, first or every (>= 1)";
      return false;
    }
  }
  return true;
}

bool faults::fail(fault_point point) {
  int index = static_cast<int>(point);
  const rule& r = rules_[index];
  if (!r.active) return false;
  std::uint64_t call = ++calls_[index];
  if (r.nth && call == r.nth) return true;
  if (r.first && call <= r.first) return true;
  if (r.every && call % r.every == 0) return true;
  if (r.probability > 0) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return std::uniform_real_distribution<double>(0, 1)(random) < r.probability;
  }
  return false;
}

}  // namespace sluice
