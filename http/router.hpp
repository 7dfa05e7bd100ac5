// Routes one parsed request to its handler and answers through `respond`, exactly once, from any
// thread (the session posts the reply back to its connection). Also knows each route's body limit.
#pragma once

#include "actors/node.hpp"
#include "config/config.hpp"
#include "http/rate_limit_cache.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;
using respond_fn = std::function<void(http_response)>;
// Runs work on the connection's io thread (e.g. a store read after an actor answered).
using post_fn = std::function<void(std::function<void()>)>;
// A chunked reply: `head` first, then every chunk `next` produces (on the io thread, one call
// per chunk, so memory holds one chunk at a time) until it returns false.
using chunk_source = std::function<bool(std::string& chunk)>;
using stream_fn = std::function<void(http_response head, chunk_source next)>;

// How a handler answers: exactly one of respond or stream, once.
// What the access log says of a request; handlers fill in the tenant once it is known.
struct request_info {
  std::string request_id;
  std::string tenant;
  bool log_line = true;        // false: a refusal the access log only counts (rate_limit_cache)
  std::uint64_t unlogged = 0;  // refusals without a line since this credential's last one
};

struct reply_channel {
  respond_fn respond;
  post_fn post;
  stream_fn stream;
  std::shared_ptr<request_info> info;
};

struct edge_context {
  const config& cfg;
  node& n;
  std::string admin_token_hash;  // SHA-256 of the admin token
  bool metrics_only = false;     // the internal metrics listener: /metrics and nothing else
  rate_limit_cache refusals;     // tenants whose bucket is empty, refused at the edge
};

void route(edge_context& ctx, http_request&& req, reply_channel channel);

// Every route the router answers, as (method, path template) in table order, e.g.
// ("GET", "/v1/events/{event_id}"); read from the routing table itself.
std::vector<std::pair<std::string, std::string>> route_list();

// The largest body the route of `target` accepts, in bytes.
std::uint64_t body_limit_for(const config& cfg, boost::beast::string_view target);

}  // namespace sluice
