// The handlers behind each route, and what they share: the parsed target and the caller's
// credential. Each handler answers through `respond` exactly once.
#pragma once

#include "http/router.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

struct route_call {
  edge_context& ctx;
  http_request req;
  std::vector<std::string> params;           // the {} segments of the route, in order
  std::map<std::string, std::string> query;  // decoded query parameters
  respond_fn respond;
  post_fn post;
  stream_fn stream;
  std::shared_ptr<request_info> info;  // set info->tenant once the caller is known
};

// The caller's tenant credential from Authorization: Bearer or X-API-Key (or X-Tenant-ID in
// trusted-gateway mode); nullopt when none was given.
std::optional<credential> tenant_credential(const route_call& call);

// The media type of Content-Type (case-insensitive, parameters ignored) is `wanted`.
bool content_type_is(const http_request& req, boost::beast::string_view wanted);

// Authenticates the tenant credential, then runs `read(tenant)` on the io thread; 401 for an
// unknown key.
void with_tenant(route_call& call, std::function<void(const tenant_record&)> read);

// The body as a JSON object; otherwise answers 415 (not JSON) or 400 and returns nullopt.
std::optional<nlohmann::json> json_body(route_call& call);

void post_event(route_call& call);
void post_batch(route_call& call);
void post_encode(route_call& call);
void get_events(route_call& call);
void get_event(route_call& call);
void get_stats(route_call& call);
void get_count(route_call& call);
void get_session(route_call& call);
void get_export(route_call& call);

void post_webhook(route_call& call);
void get_webhooks(route_call& call);
void delete_webhook(route_call& call);

void admin_create_tenant(route_call& call);
void admin_list_tenants(route_call& call);
void admin_patch_tenant(route_call& call);
void admin_add_key(route_call& call);
void admin_revoke_key(route_call& call);
void admin_delete_tenant(route_call& call);

void get_dead_letters(route_call& call);
void post_dead_letter_replay(route_call& call);
void admin_get_dead_letters(route_call& call);
void admin_replay_dead_letters(route_call& call);
void admin_purge_dead_letters(route_call& call);

}  // namespace sluice
