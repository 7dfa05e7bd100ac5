// A small blocking HTTP/1.1 client over Beast, for the command line and the integration tests.
// One connection per call; not for the server's own hot path.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sluice {

struct client_response {
  int status = 0;  // 0: no response (connection failed); see error
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

client_response http_call(const std::string& host, unsigned short port, const std::string& method,
                          const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          const std::string& body = "", int timeout_ms = 10000);

// Sends bytes as they are (for malformed-request tests) and returns what the server answered
// until it closed the connection or the timeout passed.
std::string raw_exchange(const std::string& host, unsigned short port, const std::string& bytes,
                         int timeout_ms = 3000);

}  // namespace sluice
