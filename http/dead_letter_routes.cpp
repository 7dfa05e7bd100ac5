// Dead letters: GET /v1/dead-letters and POST /v1/dead-letters/replay for a tenant (its key
// decides which letters it sees), and the same for operators under
// /v1/admin/tenants/{id}/dead-letters (plus DELETE to purge). Lists are read here, on the io
// thread, in short LMDB read txns; replay and purge go through the node.
#include "http/responses.hpp"
#include "http/routes.hpp"
#include "store/dead_letters.hpp"
#include "store/timestamp.hpp"

#include <nlohmann/json.hpp>

namespace sluice {

namespace {

using json = nlohmann::json;

constexpr std::size_t default_page = 100;
constexpr std::size_t max_page = 1000;
constexpr std::size_t max_ids = 1000;

// Comma-separated letter names ("dl-1,dl-7"); false at the first malformed one.
bool parse_names(const std::string& text, std::vector<std::uint64_t>& ids) {
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    auto id = parse_letter_name(std::string_view(text).substr(start, comma - start));
    if (!id) return false;
    ids.push_back(id);
    start = comma + 1;
  }
  return ids.size() <= max_ids;
}

void append_letter(std::string& out, const dead_letter& d) {
  json j{{"id", letter_name(d.id)},
         {"kind", d.kind},
         {"reason", d.reason},
         {"attempts", d.attempts},
         {"first_failed_at", format_timestamp(d.first_failed_at_us)},
         {"last_failed_at", format_timestamp(d.last_failed_at_us)}};
  if (d.kind == "webhook") {
    j["webhook_id"] = d.webhook_id;
    j["seq"] = d.seq;
  }
  // The event is kept as canonical JSON: splice it in rather than parse it again.
  auto text = j.dump();
  text.pop_back();
  out += text + ",\"event\":" + (d.event.body.empty() ? std::string("null") : d.event.body) + "}";
}

// Tenant routes: the key decides the tenant. Admin routes: the path names it (404 when unknown).
// Either way `fn` runs on the io thread.
void for_tenant(route_call& call, std::function<void(const tenant_record&)> fn) {
  if (call.params.empty()) return with_tenant(call, std::move(fn));
  auto respond = call.respond;
  auto post = call.post;
  auto id = call.params.at(0);
  credential who;
  who.tenant_id = id;
  call.ctx.n.authenticate(std::move(who), [=](std::optional<tenant_record> t) {
    if (!t) return respond(error_response(404, "not_found", "no tenant " + id));
    post([=] { fn(*t); });
  });
}

void list_letters(route_call& call) {
  auto query = call.query;
  auto respond = call.respond;
  auto& letters = call.ctx.n.dead_letters();
  for_tenant(call, [=, &letters](const tenant_record& t) {
    std::uint64_t after = 0;
    if (auto it = query.find("after_id"); it != query.end()) {
      after = parse_letter_name(it->second);
      if (!after)
        return respond(
            error_response(400, "invalid_parameter", "after_id must be dl-<number>", "after_id"));
    }
    std::size_t limit = default_page;
    if (auto it = query.find("limit"); it != query.end()) {
      char* end = nullptr;
      errno = 0;
      auto v = std::strtoull(it->second.c_str(), &end, 10);
      if (it->second.empty() || *end || errno || it->second[0] == '-' || v < 1 || v > max_page)
        return respond(error_response(400, "invalid_parameter",
                                      "limit must be an integer from 1 to 1000", "limit"));
      limit = v;
    }
    std::vector<dead_letter> page;
    if (auto ec = letters.list(t.id, after, limit + 1, page))
      return respond(
          error_response(503, "unavailable", "dead-letter read failed: " + ec.message()));
    bool more = page.size() > limit;
    if (more) page.resize(limit);
    std::string out = "{\"dead_letters\":[";
    for (std::size_t i = 0; i < page.size(); ++i) {
      if (i) out += ',';
      append_letter(out, page[i]);
    }
    out += "],\"next_after_id\":";
    out += more ? "\"" + letter_name(page.back().id) + "\"" : std::string("null");
    respond(json_response(200, out + "}"));
  });
}

// {"ids": ["dl-1", ...]} or {} (all). Answers 4xx itself and returns false on a bad body.
bool parse_replay_body(route_call& call, std::optional<std::vector<std::uint64_t>>& ids) {
  auto body = json_body(call);
  if (!body) return false;
  for (auto& [key, value] : body->items()) {
    if (key != "ids") {
      call.respond(error_response(400, "bad_request", "unknown field", key));
      return false;
    }
    if (!value.is_array() || value.size() > max_ids) {
      call.respond(error_response(400, "bad_request",
                                  "ids must be an array of at most 1000 dead-letter ids", "ids"));
      return false;
    }
    ids.emplace();
    for (auto& name : value) {
      std::uint64_t id = name.is_string() ? parse_letter_name(name.get<std::string>()) : 0;
      if (!id) {
        call.respond(
            error_response(400, "bad_request", "every id must be a string dl-<number>", "ids"));
        return false;
      }
      ids->push_back(id);
    }
  }
  return true;
}

void replay(route_call& call) {
  std::optional<std::vector<std::uint64_t>> ids;
  if (!parse_replay_body(call, ids)) return;
  auto respond = call.respond;
  auto& n = call.ctx.n;
  for_tenant(call, [=, &n](const tenant_record& t) {
    n.replay_dead_letters(t.id, ids,
                          [respond](admin_reply r) { respond(json_response(r.status, r.body)); });
  });
}

}  // namespace

void get_dead_letters(route_call& call) {
  list_letters(call);
}

void post_dead_letter_replay(route_call& call) {
  replay(call);
}

void admin_get_dead_letters(route_call& call) {
  list_letters(call);
}

void admin_replay_dead_letters(route_call& call) {
  replay(call);
}

// DELETE /v1/admin/tenants/{id}/dead-letters[?ids=dl-1,dl-2]: all of the tenant's letters, or
// those named.
void admin_purge_dead_letters(route_call& call) {
  admin_request req;
  req.what = admin_request::op::purge_dead_letters;
  req.tenant_id = call.params.at(0);
  if (auto it = call.query.find("ids"); it != call.query.end())
    if (!parse_names(it->second, req.letter_ids))
      return call.respond(error_response(
          400, "invalid_parameter", "ids must be up to 1000 comma-separated dl-<number>", "ids"));
  auto respond = call.respond;
  call.ctx.n.admin(std::move(req), [respond](admin_reply r) {
    respond(json_response(r.status, std::move(r.body)));
  });
}

}  // namespace sluice
