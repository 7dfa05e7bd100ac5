// What one webhook delivery is, as plain functions: the subscription URL's parts, the JSON body
// POSTed for a stored event, its signed headers, the retry delay ("equal jitter" exponential
// backoff) and the dead letter of a delivery that ran out of attempts. CAF-free and stateless,
// so the HTTP edge (URL checks) and the webhook dispatcher share them.
#pragma once

#include "store/catalog.hpp"
#include "store/dead_letters.hpp"
#include "store/webhook_feed.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

// http://host[:port]/path?query — the only form this build sends to (no TLS client).
struct http_url {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  unsigned short port = 80;
  std::string target;  // path and query, at least "/"
};
// nullopt with a message for the API's error when the URL is not an http:// URL we can call.
std::optional<http_url> parse_webhook_url(std::string_view url, std::string& error);

// One event on its way to one subscription.
struct delivery {
  std::uint64_t seq = 0;
  std::string body;  // {"webhook_id","tenant_id","seq","event_id","event"}
  std::string event_type;
  std::string event_id;  // empty: the event has none
  std::int64_t timestamp_us = 0;
};
delivery make_delivery(const webhook_record& w, const feed_event& e);

// The request headers of a POST of `body`: Content-Type, X-Sluice-Signature (sha256=<lowercase
// hex HMAC-SHA256 of the body keyed by the secret>), X-Sluice-Webhook-Id and
// X-Sluice-Delivery-Attempt (1 for the first try).
std::vector<std::pair<std::string, std::string>> delivery_headers(const std::string& webhook_id,
                                                                  const std::string& secret,
                                                                  const std::string& body,
                                                                  int attempt);

// The dead letter (kind "webhook") of a delivery whose last attempt failed.
dead_letter webhook_dead_letter(const webhook_record& w, const delivery& d, std::string reason,
                                int attempts, std::int64_t first_failed_us,
                                std::int64_t last_failed_us);

}  // namespace sluice
