// Reading events back: GET /v1/events, /v1/events/{id}, /v1/stats, /v1/count,
// /v1/sessions/{id}, /v1/export. The tenant comes from the key (the directory answers); the
// read itself then runs on the connection's io thread in short LMDB read txns.
#include "http/responses.hpp"
#include "http/routes.hpp"
#include "store/event_queries.hpp"
#include "store/timestamp.hpp"

#include <boost/beast/http/field.hpp>

#include <limits>

namespace sluice {

namespace http = boost::beast::http;

namespace {

constexpr std::int64_t no_upper_bound = std::numeric_limits<std::int64_t>::max();

// Query parameters, each checked with its name in the error.
struct params {
  const std::map<std::string, std::string>& query;
  std::optional<http_response> error;

  std::string text(const char* name, std::size_t max_bytes = 128) {
    auto it = query.find(name);
    if (it == query.end()) return "";
    if (it->second.size() > max_bytes)
      fail(name, std::string(name) + " is longer than " + std::to_string(max_bytes) + " bytes");
    return it->second;
  }

  std::optional<std::int64_t> time(const char* name) {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    auto t = parse_timestamp(it->second);
    if (!t) fail(name, std::string(name) + " is not an RFC 3339 time");
    return t;
  }

  std::uint64_t number(const char* name, std::uint64_t fallback, std::uint64_t lo,
                       std::uint64_t hi) {
    auto it = query.find(name);
    if (it == query.end()) return fallback;
    char* end = nullptr;
    errno = 0;
    auto v = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || errno || it->second[0] == '-' || v < lo || v > hi) {
      fail(name, std::string(name) + " must be an integer from " + std::to_string(lo) + " to " +
                     std::to_string(hi));
      return fallback;
    }
    return v;
  }

  // [from, to): both optional; from after to is an error.
  std::pair<std::int64_t, std::int64_t> window() {
    auto from = time("from");
    auto to = time("to");
    if (from && to && *from > *to) fail("from", "from is after to");
    return {from.value_or(0), to.value_or(no_upper_bound)};
  }

  void fail(const char* field, const std::string& message) {
    if (!error) error = error_response(400, "invalid_parameter", message, field);
  }
};

http_response store_failure(const std::error_code& ec) {
  return error_response(503, "unavailable", "store read failed: " + ec.message());
}

// {"type": count, ...}
void append_counts(std::string& out, const std::map<std::string, std::uint64_t>& counts) {
  out += '{';
  for (auto& [type, count] : counts) {
    if (out.back() != '{') out += ',';
    append_json_string(out, type);
    out += ':' + std::to_string(count);
  }
  out += '}';
}

}  // namespace

void with_tenant(route_call& call, std::function<void(const tenant_record&)> read) {
  auto who = tenant_credential(call);
  auto respond = call.respond;
  if (!who)
    return respond(error_response(401, "unauthorized", "missing, unknown or revoked API key"));
  auto post = call.post;
  auto info = call.info;
  call.ctx.n.authenticate(std::move(*who), [=](std::optional<tenant_record> t) {
    if (!t)
      return respond(error_response(401, "unauthorized", "missing, unknown or revoked API key"));
    if (info) info->tenant = t->id;
    post([=] { read(*t); });
  });
}

void get_events(route_call& call) {
  auto query = call.query;
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    params p{query, std::nullopt};
    event_filter f;
    f.event_type = p.text("event_type");
    f.session_id = p.text("session_id");
    f.q = p.text("q", 256);
    auto from = p.time("from"), to = p.time("to");
    if (from && to && *from > *to) p.fail("from", "from is after to");
    f.from_us = from;
    f.to_us = to;
    f.after_seq = p.number("after_seq", 0, 0, std::numeric_limits<std::uint64_t>::max());
    f.limit = p.number("limit", 100, 1, 1000);
    if (p.error) return respond(*p.error);
    event_page page;
    if (auto ec = query_events(n.store(t.shard), t.id, f, page)) return respond(store_failure(ec));
    std::string out = "{\"events\":[";
    for (std::size_t i = 0; i < page.events.size(); ++i) {
      if (i) out += ',';
      out += page.events[i];
    }
    out += "],\"next_after_seq\":";
    out += page.next_after_seq ? std::to_string(*page.next_after_seq) : "null";
    respond(json_response(200, out + "}"));
  });
}

void get_event(route_call& call) {
  auto id = call.params.at(0);
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    std::error_code ec;
    auto event = find_event(n.store(t.shard), t.id, id, ec);
    if (ec) return respond(store_failure(ec));
    if (!event) return respond(error_response(404, "not_found", "no event with this event_id"));
    respond(json_response(200, std::move(*event)));
  });
}

void get_stats(route_call& call) {
  auto query = call.query;
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    params p{query, std::nullopt};
    auto [from, to] = p.window();
    if (p.error) return respond(*p.error);
    std::error_code ec;
    auto stats = stats_events(n.store(t.shard), t.id, from, to, ec);
    if (ec) return respond(store_failure(ec));
    std::string out = "{\"total\":" + std::to_string(stats.total) + ",\"by_type\":";
    append_counts(out, stats.by_type);
    respond(json_response(200, out + "}"));
  });
}

void get_count(route_call& call) {
  auto query = call.query;
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    params p{query, std::nullopt};
    auto type = p.text("event_type");
    if (type.empty()) p.fail("event_type", "event_type is required");
    auto [from, to] = p.window();
    if (p.error) return respond(*p.error);
    std::error_code ec;
    auto count = count_events(n.store(t.shard), t.id, type, from, to, ec);
    if (ec) return respond(store_failure(ec));
    std::string out = "{\"event_type\":";
    append_json_string(out, type);
    respond(json_response(200, out + ",\"count\":" + std::to_string(count) + "}"));
  });
}

void get_session(route_call& call) {
  auto id = call.params.at(0);
  auto respond = call.respond;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    std::error_code ec;
    auto s = find_session(n.store(t.shard), t.id, id, ec);
    if (ec) return respond(store_failure(ec));
    if (!s) return respond(error_response(404, "not_found", "no session with this session_id"));
    std::string out = "{\"session_id\":";
    append_json_string(out, id);
    out += ",\"first_seen\":\"" + format_timestamp(s->first_seen_us) + "\",\"last_seen\":\"" +
           format_timestamp(s->last_seen_us) +
           "\",\"event_count\":" + std::to_string(s->event_count) + ",\"event_types\":";
    append_counts(out, s->event_types);
    respond(json_response(200, out + "}"));
  });
}

void get_export(route_call& call) {
  auto query = call.query;
  auto respond = call.respond;
  auto stream = call.stream;
  auto& n = call.ctx.n;
  with_tenant(call, [=, &n](const tenant_record& t) {
    params p{query, std::nullopt};
    auto [from, to] = p.window();
    if (p.error) return respond(*p.error);
    auto head = json_response(200, "");
    head.set(http::field::content_type, "application/x-ndjson");
    // One page per chunk: memory holds one page, each read txn lives for one page.
    auto filter = std::make_shared<event_filter>();
    filter->from_us = from;
    filter->to_us = to;
    filter->limit = 1000;
    auto* store = &n.store(t.shard);
    std::string tenant = t.id;
    stream(std::move(head), [filter, store, tenant](std::string& chunk) {
      event_page page;
      if (query_events(*store, tenant, *filter, page)) return false;  // ends the stream early
      for (auto& e : page.events) chunk += e + "\n";
      if (!page.next_after_seq) return false;
      filter->after_seq = *page.next_after_seq;
      return true;
    });
  });
}

}  // namespace sluice
