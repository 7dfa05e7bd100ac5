#include "http/router.hpp"

#include "http/openapi.hpp"
#include "http/responses.hpp"
#include "http/routes.hpp"
#include "store/secrets.hpp"

#include <boost/beast/http/field.hpp>

namespace sluice {

namespace http = boost::beast::http;

namespace {

struct route_entry {
  http::verb method;
  std::vector<std::string> pattern;  // path segments; "{name}" matches any one segment
  void (*handler)(route_call&);
  enum access { open, tenant, admin } who;
};

void healthz(route_call& call) {
  call.respond(json_response(200, R"({"status":"ok"})"));
}

void openapi(route_call& call) {
  call.respond(json_response(200, std::string(openapi_document())));
}

// Prometheus text exposition. On the main listener only when metrics.listen is not set.
void metrics(route_call& call) {
  if (!call.ctx.cfg.metrics_listen.empty() && !call.ctx.metrics_only)
    return call.respond(error_response(404, "not_found", "no such route"));
  auto res = json_response(200, call.ctx.n.metrics().scrape());
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  call.respond(std::move(res));
}

void readyz(route_call& call) {
  std::string reason;
  if (call.ctx.n.ready(reason)) return call.respond(json_response(200, R"({"status":"ready"})"));
  call.respond(error_response(503, "not_ready", reason));
}

const std::vector<route_entry>& routes() {
  static const std::vector<route_entry> table = {
      {http::verb::get, {"healthz"}, healthz, route_entry::open},
      {http::verb::get, {"health"}, healthz, route_entry::open},
      {http::verb::get, {"metrics"}, metrics, route_entry::open},
      {http::verb::get, {"readyz"}, readyz, route_entry::open},
      {http::verb::get, {"ready"}, readyz, route_entry::open},
      {http::verb::get, {"openapi.json"}, openapi, route_entry::open},
      {http::verb::post, {"v1", "events"}, post_event, route_entry::tenant},
      {http::verb::get, {"v1", "events"}, get_events, route_entry::tenant},
      {http::verb::get, {"v1", "events", "{event_id}"}, get_event, route_entry::tenant},
      {http::verb::get, {"v1", "stats"}, get_stats, route_entry::tenant},
      {http::verb::get, {"v1", "count"}, get_count, route_entry::tenant},
      {http::verb::get, {"v1", "sessions", "{session_id}"}, get_session, route_entry::tenant},
      {http::verb::get, {"v1", "export"}, get_export, route_entry::tenant},
      {http::verb::post, {"v1", "events", "batch"}, post_batch, route_entry::tenant},
      {http::verb::post, {"v1", "encode"}, post_encode, route_entry::tenant},
      {http::verb::get, {"v1", "dead-letters"}, get_dead_letters, route_entry::tenant},
      {http::verb::post,
       {"v1", "dead-letters", "replay"},
       post_dead_letter_replay,
       route_entry::tenant},
      {http::verb::post, {"v1", "webhooks"}, post_webhook, route_entry::tenant},
      {http::verb::get, {"v1", "webhooks"}, get_webhooks, route_entry::tenant},
      {http::verb::delete_, {"v1", "webhooks", "{id}"}, delete_webhook, route_entry::tenant},
      {http::verb::post, {"v1", "admin", "tenants"}, admin_create_tenant, route_entry::admin},
      {http::verb::get, {"v1", "admin", "tenants"}, admin_list_tenants, route_entry::admin},
      {http::verb::patch,
       {"v1", "admin", "tenants", "{id}"},
       admin_patch_tenant,
       route_entry::admin},
      {http::verb::delete_,
       {"v1", "admin", "tenants", "{id}"},
       admin_delete_tenant,
       route_entry::admin},
      {http::verb::post,
       {"v1", "admin", "tenants", "{id}", "keys"},
       admin_add_key,
       route_entry::admin},
      {http::verb::delete_,
       {"v1", "admin", "tenants", "{id}", "keys", "{key_id}"},
       admin_revoke_key,
       route_entry::admin},
      {http::verb::get,
       {"v1", "admin", "tenants", "{id}", "dead-letters"},
       admin_get_dead_letters,
       route_entry::admin},
      {http::verb::delete_,
       {"v1", "admin", "tenants", "{id}", "dead-letters"},
       admin_purge_dead_letters,
       route_entry::admin},
      {http::verb::post,
       {"v1", "admin", "tenants", "{id}", "dead-letters", "replay"},
       admin_replay_dead_letters,
       route_entry::admin},
  };
  return table;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.push_back(percent_decode(path.substr(start, end - start), false));
    start = end + 1;
  }
  return segments;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key.empty())
      out[key] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

bool is_parameter(const std::string& segment) {
  return !segment.empty() && segment.front() == '{';
}

bool matches(const route_entry& r, const std::vector<std::string>& segments,
             std::vector<std::string>& params) {
  if (r.pattern.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (is_parameter(r.pattern[i]))
      params.push_back(segments[i]);
    else if (r.pattern[i] != segments[i])
      return false;
  }
  return true;
}

std::string bearer_token(const http_request& req) {
  auto auth = req[http::field::authorization];
  if (auth.size() > 7 && boost::beast::iequals(auth.substr(0, 7), "bearer "))
    return std::string(auth.substr(7));
  return "";
}

// Admin routes: the admin token decides; a valid tenant key gets 403, anything else 401.
void run_admin(route_call& call, void (*handler)(route_call&)) {
  auto token = bearer_token(call.req);
  if (!token.empty() && constant_time_equal(sha256(token), call.ctx.admin_token_hash))
    return handler(call);
  auto who = tenant_credential(call);
  if (!who)
    return call.respond(error_response(401, "unauthorized", "missing or invalid admin token"));
  auto respond = call.respond;
  call.ctx.n.authenticate(*who, [respond](std::optional<tenant_record> t) {
    if (t)
      respond(error_response(403, "forbidden", "a tenant key cannot use admin routes"));
    else
      respond(error_response(401, "unauthorized", "missing or invalid admin token"));
  });
}

}  // namespace

bool content_type_is(const http_request& req, boost::beast::string_view wanted) {
  auto ct = req[http::field::content_type];
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return boost::beast::iequals(media, wanted);
}

std::optional<credential> tenant_credential(const route_call& call) {
  credential who;
  if (call.ctx.cfg.trusted_gateway) {
    auto id = call.req["X-Tenant-ID"];
    if (id.empty()) return std::nullopt;
    who.tenant_id = std::string(id);
    return who;
  }
  std::string key = bearer_token(call.req);
  if (key.empty()) key = std::string(call.req["X-API-Key"]);
  if (key.empty()) return std::nullopt;
  who.key_hash = sha256(key);
  return who;
}

std::vector<std::pair<std::string, std::string>> route_list() {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& r : routes()) {
    std::string path;
    for (auto& segment : r.pattern) path += "/" + segment;
    out.emplace_back(std::string(http::to_string(r.method)), path.empty() ? "/" : path);
  }
  return out;
}

std::uint64_t body_limit_for(const config& cfg, boost::beast::string_view target) {
  auto path = target.substr(0, target.find('?'));
  if (path == "/v1/events/batch") return cfg.max_body_bytes;
  return 64 * 1024;  // one event (32 KiB decoded) in a base64 envelope, or an admin body
}

void route(edge_context& ctx, http_request&& req, reply_channel channel) {
  auto& respond = channel.respond;
  auto target = std::string_view(req.target().data(), req.target().size());
  auto qmark = target.find('?');
  auto segments = split_path(target.substr(0, qmark));
  std::vector<std::string> params;
  std::string allow;
  for (auto& r : routes()) {
    if (!matches(r, segments, params)) continue;
    if (ctx.metrics_only && r.handler != metrics) continue;
    if (r.method != req.method()) {
      if (!allow.empty()) allow += ", ";
      allow += std::string(http::to_string(r.method));
      continue;
    }
    auto query = qmark == std::string_view::npos ? std::map<std::string, std::string>{}
                                                 : parse_query(target.substr(qmark + 1));
    route_call call{ctx,          std::move(req), params,      std::move(query), channel.respond,
                    channel.post, channel.stream, channel.info};
    if (r.who == route_entry::admin) return run_admin(call, r.handler);
    return r.handler(call);
  }
  if (!allow.empty()) {
    auto res = error_response(405, "method_not_allowed", "method not allowed on this route");
    res.set(http::field::allow, allow);
    return respond(std::move(res));
  }
  respond(error_response(404, "not_found", "no such route"));
}

}  // namespace sluice
