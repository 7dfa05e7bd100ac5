// Test helper: a small loopback HTTP/1.1 server on its own thread that plays a webhook receiver.
// It records every request (method, target, headers, body, arrival time, the status it answered)
// and can be told to answer 500 to the next N requests, or to hang: read the request and hold
// the connection without answering until the receiver is destroyed or stops hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

struct received_request {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
  int status = 0;  // what it was answered; 0: held without an answer
};

class webhook_receiver {
 public:
  webhook_receiver();
  ~webhook_receiver();
  webhook_receiver(const webhook_receiver&) = delete;
  webhook_receiver& operator=(const webhook_receiver&) = delete;

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  void fail_next(int n);  // the next n requests are answered 500
  void hang(bool on);     // hold requests without answering (off: release the held ones)
  std::vector<received_request> requests() const;
  // Waits until `done(requests)` holds or `timeout` passes; returns whether it held.
  bool wait_until(const std::function<bool(const std::vector<received_request>&)>& done,
                  std::chrono::milliseconds timeout) const;

 private:
  void run();
  void serve(int fd);
  int listen_fd_ = -1;
  unsigned short port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<received_request> requests_;
  std::vector<int> held_;  // connections held open while hanging
  int fail_next_ = 0;
  bool hang_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::testing
