// `sluice dlq list|replay|purge --tenant ID [--id dl-N ...]`: a tenant's dead letters, through
// the admin API of a running server (/v1/admin/tenants/{id}/dead-letters).
#include "cli/commands.hpp"

#include <nlohmann/json.hpp>

namespace sluice {

namespace {

std::string letters_path(const std::string& tenant) {
  return "/v1/admin/tenants/" + tenant + "/dead-letters";
}

}  // namespace

int run_dlq_list(const admin_flags& flags, const std::string& tenant, const std::string& after,
                 int limit) {
  std::string target = letters_path(tenant) + "?limit=" + std::to_string(limit);
  if (!after.empty()) target += "&after_id=" + after;
  return admin_call(flags, "GET", target, "");
}

int run_dlq_replay(const admin_flags& flags, const std::string& tenant,
                   const std::vector<std::string>& ids) {
  nlohmann::json body = nlohmann::json::object();
  if (!ids.empty()) body["ids"] = ids;
  return admin_call(flags, "POST", letters_path(tenant) + "/replay", body.dump());
}

int run_dlq_purge(const admin_flags& flags, const std::string& tenant,
                  const std::vector<std::string>& ids) {
  std::string target = letters_path(tenant);
  for (std::size_t i = 0; i < ids.size(); ++i) target += (i ? "," : "?ids=") + ids[i];
  return admin_call(flags, "DELETE", target, "");
}

}  // namespace sluice
