#include "actors/keep_dead_letters.hpp"

#include <map>

namespace sluice {

void keep_as_dead_letters(const node_context& node, std::vector<dead_letter>& letters,
                          const std::string& what, const log_fields& fields) {
  if (letters.empty()) return;
  std::map<std::string, std::uint64_t> per_tenant;
  for (auto& d : letters) ++per_tenant[d.tenant];
  auto ec = node.dead_letters.add(letters);
  for (auto& [tenant, n] : per_tenant) {
    log_fields line{{"tenant", tenant}, {"count", std::to_string(n)}};
    line.insert(line.end(), fields.begin(), fields.end());
    if (ec) {
      line.emplace_back("error", ec.message());
      log_error(what + " nor dead-lettered; they are lost", line);
    } else {
      node.metrics.dead_lettered(tenant, n);
      log_error(what + "; kept as dead letters", line);
    }
  }
}

}  // namespace sluice
