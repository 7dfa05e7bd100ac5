// The HTTP edge: a Beast listener and one session per connection, run on `io_threads` threads.
// A session reads one request at a time (header first, so framing and limits are checked before
// any body byte is read), hands it to the router, and writes the reply when the router answers.
#pragma once

#include "actors/node.hpp"
#include "config/config.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sluice {

class http_server {
 public:
  // Binds cfg.listen; on failure returns nullptr and says why.
  // Binds `listen`; with metrics_only it serves /metrics alone (the metrics.listen listener).
  static std::unique_ptr<http_server> start(const config& cfg, node& n,
                                            const std::string& admin_token, std::string& error,
                                            const std::string& listen, bool metrics_only = false);
  ~http_server();
  unsigned short port() const;
  // Stops accepting and closes the io threads (in-flight replies are dropped).
  void stop();
  // Graceful shutdown: stop accepting connections, then wait (at most `timeout`) until no
  // request is being handled. Returns false on timeout.
  void stop_accepting();
  bool wait_until_idle(std::chrono::milliseconds timeout);
  // Blocks until stop() was called.
  void wait();

  struct impl;

 private:
  explicit http_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice
