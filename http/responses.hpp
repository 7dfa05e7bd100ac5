// Building replies: JSON bodies and API.md's one error shape. Used by the router and handlers.
#pragma once

#include "actors/node.hpp"
#include "http/router.hpp"
#include "store/json_text.hpp"

#include <string>

namespace sluice {

http_response json_response(int status, std::string body);
// {"error": {"code", "message", "field"?}}
http_response error_response(int status, const std::string& code, const std::string& message,
                             const std::string& field = "");
// A node_error with its Retry-After and extra headers.
http_response error_response(const node_error& e);

}  // namespace sluice
