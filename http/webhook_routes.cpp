// Webhook subscriptions (/v1/webhooks): authenticate the tenant, check the input here, and let
// the webhook dispatcher actor store, list or delete (it owns every subscription).
#include "actors/webhook_delivery.hpp"
#include "http/responses.hpp"
#include "http/routes.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace sluice {

namespace {

using json = nlohmann::json;

// Authenticates the caller, then sends `req` (with the tenant filled in) to the dispatcher.
void forward_as_tenant(route_call& call, webhook_request req) {
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    auto with_caller = req;
    with_caller.tenant = t;
    n.webhooks(std::move(with_caller),
               [respond](admin_reply r) { respond(json_response(r.status, std::move(r.body))); });
  });
}

struct input_error {
  std::string field, message;
};

// Reads a create body into `req`; the first problem found, naming its field.
std::optional<input_error> read_create(const json& body, webhook_request& req) {
  for (auto& [key, value] : body.items())
    if (key != "url" && key != "event_types" && key != "secret")
      return input_error{key, key + ": unknown field"};
  auto url = body.find("url");
  if (url == body.end() || !url->is_string())
    return input_error{"url", "url is required: a string http://host[:port]/path"};
  std::string why;
  if (!parse_webhook_url(url->get<std::string>(), why)) return input_error{"url", "url " + why};
  req.url = url->get<std::string>();
  auto types = body.find("event_types");
  if (types == body.end() || !types->is_array() || types->empty() || types->size() > 100)
    return input_error{"event_types", "event_types is required: an array of 1 to 100 strings"};
  for (auto& t : *types) {
    if (!t.is_string() || t.get<std::string>().empty() || t.get<std::string>().size() > 128)
      return input_error{"event_types", "each event type must be a string of 1 to 128 bytes"};
    auto type = t.get<std::string>();
    if (std::find(req.event_types.begin(), req.event_types.end(), type) == req.event_types.end())
      req.event_types.push_back(std::move(type));
  }
  auto secret = body.find("secret");
  if (secret == body.end() || !secret->is_string() || secret->get<std::string>().empty() ||
      secret->get<std::string>().size() > 256)
    return input_error{"secret", "secret is required: a string of 1 to 256 bytes"};
  req.secret = secret->get<std::string>();
  return std::nullopt;
}

}  // namespace

void post_webhook(route_call& call) {
  auto body = json_body(call);
  if (!body) return;
  webhook_request req;
  req.what = webhook_request::op::create;
  if (auto err = read_create(*body, req))
    return call.respond(error_response(400, "invalid_webhook", err->message, err->field));
  forward_as_tenant(call, std::move(req));
}

void get_webhooks(route_call& call) {
  webhook_request req;
  req.what = webhook_request::op::list;
  forward_as_tenant(call, std::move(req));
}

void delete_webhook(route_call& call) {
  webhook_request req;
  req.what = webhook_request::op::remove;
  req.id = call.params.at(0);
  forward_as_tenant(call, std::move(req));
}

}  // namespace sluice
