// The webhook dispatcher's HTTP client: asynchronous Boost.Beast POSTs on one dedicated io thread
// (owned by the client), so a slow or dead receiver holds only its own socket and timer — never a
// CAF scheduler thread, the dispatcher, or another subscription's delivery. Each request has one
// deadline covering resolve, connect, write and the response. Created and destroyed by the
// webhook dispatcher; destroying it abandons requests in flight without calling their callbacks.
#pragma once

#include "actors/webhook_delivery.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sluice {

struct webhook_outcome {
  bool delivered = false;  // the receiver answered 2xx
  int status = 0;          // the HTTP status; 0 when there was no response
  std::string reason;      // empty when delivered: "HTTP 500", "connection refused", "timed out"…
};

class webhook_client {
 public:
  webhook_client();
  ~webhook_client();
  webhook_client(const webhook_client&) = delete;
  webhook_client& operator=(const webhook_client&) = delete;

  // POSTs `body` to `url`; `done` runs exactly once on the client's io thread, unless the client
  // is destroyed first. Callable from any thread, including from a `done` callback.
  void post(const http_url& url, std::string body,
            std::vector<std::pair<std::string, std::string>> headers,
            std::chrono::milliseconds timeout, std::function<void(webhook_outcome)> done);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice
