#include "actors/webhook_delivery.hpp"

#include "store/json_text.hpp"
#include "store/secrets.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace sluice {

std::optional<http_url> parse_webhook_url(std::string_view url, std::string& error) {
  auto fail = [&](std::string why) -> std::optional<http_url> {
    error = std::move(why);
    return std::nullopt;
  };
  if (url.size() > 2048) return fail("must be at most 2048 bytes");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return fail("must not contain spaces, control or non-ASCII characters");
  auto scheme_end = url.find("://");
  std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "https")
    return fail(
        "https is not supported in this build: use an http:// URL (put a TLS proxy in "
        "front of the receiver if it must be reached over TLS)");
  if (scheme != "http") return fail("must be an http:// URL: http://host[:port]/path");
  auto rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
  auto authority_end = std::min(rest.find('/'), rest.find('?'));
  auto authority = rest.substr(0, authority_end);
  http_url out;
  out.target =
      authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos)
    return fail("must not contain user information (user@host)");
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("has an unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return fail("has junk after the [IPv6] host");
    if (!after.empty()) port = after.substr(1);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host.size() > 253) return fail("must name a host: http://host[:port]/path");
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':')
      return fail("has an invalid host name");
  if (authority.front() != '[' && host.find(':') != std::string_view::npos)
    return fail("has an invalid host name");
  if (!port.empty() || authority.back() == ':') {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail("has an invalid port");
    auto p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) return fail("has a port outside 1-65535");
    out.port = static_cast<unsigned short>(p);
  }
  out.host = std::string(host);
  return out;
}

delivery make_delivery(const webhook_record& w, const feed_event& e) {
  delivery d;
  d.seq = e.seq;
  d.event_type = e.event_type;
  d.timestamp_us = e.timestamp_us;
  auto parsed = nlohmann::json::parse(e.json, nullptr, false);
  if (parsed.is_object() && parsed.contains("event_id") && parsed["event_id"].is_string())
    d.event_id = parsed["event_id"].get<std::string>();
  std::string& b = d.body;
  b = "{\"webhook_id\":";
  append_json_string(b, w.id);
  b += ",\"tenant_id\":";
  append_json_string(b, w.tenant);
  b += ",\"seq\":" + std::to_string(e.seq) + ",\"event_id\":";
  if (d.event_id.empty())
    b += "null";
  else
    append_json_string(b, d.event_id);
  b += ",\"event\":" + e.json + "}";
  return d;
}

std::vector<std::pair<std::string, std::string>> delivery_headers(const std::string& webhook_id,
                                                                  const std::string& secret,
                                                                  const std::string& body,
                                                                  int attempt) {
  return {{"Content-Type", "application/json"},
          {"X-Sluice-Signature", "sha256=" + hmac_sha256_hex(secret, body)},
          {"X-Sluice-Webhook-Id", webhook_id},
          {"X-Sluice-Delivery-Attempt", std::to_string(attempt)}};
}

dead_letter webhook_dead_letter(const webhook_record& w, const delivery& d, std::string reason,
                                int attempts, std::int64_t first_failed_us,
                                std::int64_t last_failed_us) {
  dead_letter l;
  l.tenant = w.tenant;
  l.kind = "webhook";
  l.reason = std::move(reason);
  l.attempts = attempts;
  l.first_failed_at_us = first_failed_us;
  l.last_failed_at_us = last_failed_us;
  l.event.body = d.body;
  l.event.event_type = d.event_type;
  l.event.event_id = d.event_id;
  l.event.timestamp_us = d.timestamp_us;
  l.webhook_id = w.id;
  l.seq = d.seq;
  return l;
}

}  // namespace sluice
