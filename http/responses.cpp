#include "http/responses.hpp"

#include "store/json_text.hpp"

#include <boost/beast/http/field.hpp>

namespace sluice {

namespace http = boost::beast::http;

http_response json_response(int status, std::string body) {
  http_response res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "sluice");
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

http_response error_response(int status, const std::string& code, const std::string& message,
                             const std::string& field) {
  std::string body = "{\"error\":{\"code\":";
  append_json_string(body, code);
  body += ",\"message\":";
  append_json_string(body, message);
  if (!field.empty()) {
    body += ",\"field\":";
    append_json_string(body, field);
  }
  body += "}}";
  auto res = json_response(status, std::move(body));
  if (status == 503 || status == 429) res.set(http::field::retry_after, "1");
  return res;
}

http_response error_response(const node_error& e) {
  auto res = error_response(e.status, e.code, e.message);
  if (e.retry_after_sec > 0) res.set(http::field::retry_after, std::to_string(e.retry_after_sec));
  for (auto& [name, value] : e.headers) res.set(name, value);
  return res;
}

}  // namespace sluice
