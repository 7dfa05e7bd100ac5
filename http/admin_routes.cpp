// Tenant administration (/v1/admin/...): input checks here, the work in the tenant directory.
// The router has already checked the admin token.
#include "http/responses.hpp"
#include "http/routes.hpp"

#include <nlohmann/json.hpp>

namespace sluice {

namespace {

using json = nlohmann::json;

bool valid_tenant_id(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && (c == '_' || c == '-'));
  };
  for (std::size_t i = 0; i < id.size(); ++i)
    if (!ok(id[i], i == 0)) return false;
  return true;
}

struct admin_input_error {
  std::string field, message;
};

// Reads the optional "name" and "rate_limit" of a create or patch body into `req`.
std::optional<admin_input_error> read_tenant_fields(const json& body, admin_request& req,
                                                    bool allow_id) {
  for (auto& [key, value] : body.items()) {
    if (key == "id" && allow_id) continue;
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty() ||
          value.get<std::string>().size() > 256)
        return admin_input_error{"name", "must be a string of 1 to 256 bytes"};
      req.name = value.get<std::string>();
    } else if (key == "rate_limit") {
      if (!value.is_object()) return admin_input_error{"rate_limit", "must be an object"};
      rate_limit limit;
      for (auto& [k, v] : value.items()) {
        if (k != "events_per_sec" && k != "burst")
          return admin_input_error{"rate_limit." + k, "unknown field"};
        if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1e9)
          return admin_input_error{"rate_limit." + k, "must be a positive number up to 1e9"};
      }
      if (!value.contains("events_per_sec") || !value.contains("burst"))
        return admin_input_error{"rate_limit", "needs events_per_sec and burst"};
      limit.events_per_sec = value["events_per_sec"].get<double>();
      limit.burst = value["burst"].get<double>();
      if (limit.burst < 1) return admin_input_error{"rate_limit.burst", "must be at least 1"};
      req.limit = limit;
    } else {
      return admin_input_error{key, "unknown field"};
    }
  }
  return std::nullopt;
}

void forward(route_call& call, admin_request req) {
  auto respond = call.respond;
  auto* refusals = &call.ctx.refusals;
  bool changes_limits = req.what == admin_request::op::patch_tenant ||
                        req.what == admin_request::op::revoke_key ||
                        req.what == admin_request::op::delete_tenant;
  call.ctx.n.admin(std::move(req), [respond, refusals, changes_limits](admin_reply r) {
    // A raised limit, a revoked key or a deleted tenant takes effect at once, also at the edge.
    if (changes_limits) refusals->clear();
    respond(json_response(r.status, std::move(r.body)));
  });
}

}  // namespace

std::optional<json> json_body(route_call& call) {
  if (!content_type_is(call.req, "application/json")) {
    call.respond(
        error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
    return std::nullopt;
  }
  auto body = json::parse(call.req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    call.respond(error_response(400, "invalid_json", "body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

void admin_create_tenant(route_call& call) {
  auto body = json_body(call);
  if (!body) return;
  admin_request req;
  req.what = admin_request::op::create_tenant;
  auto id = body->find("id");
  if (id == body->end() || !id->is_string() || !valid_tenant_id(id->get<std::string>()))
    return call.respond(
        error_response(400, "invalid_tenant", "id must match [a-z0-9][a-z0-9_-]{0,62}", "id"));
  req.tenant_id = id->get<std::string>();
  if (auto err = read_tenant_fields(*body, req, true))
    return call.respond(error_response(400, "invalid_tenant", err->message, err->field));
  forward(call, std::move(req));
}

void admin_list_tenants(route_call& call) {
  admin_request req;
  req.what = admin_request::op::list_tenants;
  forward(call, std::move(req));
}

void admin_patch_tenant(route_call& call) {
  auto body = json_body(call);
  if (!body) return;
  admin_request req;
  req.what = admin_request::op::patch_tenant;
  req.tenant_id = call.params.at(0);
  if (auto err = read_tenant_fields(*body, req, false))
    return call.respond(error_response(400, "invalid_tenant", err->message, err->field));
  forward(call, std::move(req));
}

void admin_add_key(route_call& call) {
  admin_request req;
  req.what = admin_request::op::add_key;
  req.tenant_id = call.params.at(0);
  forward(call, std::move(req));
}

void admin_revoke_key(route_call& call) {
  admin_request req;
  req.what = admin_request::op::revoke_key;
  req.tenant_id = call.params.at(0);
  req.key_id = call.params.at(1);
  forward(call, std::move(req));
}

void admin_delete_tenant(route_call& call) {
  admin_request req;
  req.what = admin_request::op::delete_tenant;
  req.tenant_id = call.params.at(0);
  forward(call, std::move(req));
}

}  // namespace sluice
