#include "tests/integration/webhook_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace sluice::testing {

namespace {

// Reads one request (head + Content-Length body) within `timeout_ms`; false if incomplete.
bool read_request(int fd, received_request& r, int timeout_ms) {
  std::string bytes;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t head_end = std::string::npos, length = 0;
  char chunk[8192];
  for (;;) {
    if (head_end == std::string::npos && (head_end = bytes.find("\r\n\r\n")) != std::string::npos) {
      std::size_t line = bytes.find("\r\n");
      auto request_line = bytes.substr(0, line);
      auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
      r.method = request_line.substr(0, sp1);
      r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      line += 2;
      while (line < head_end) {
        auto eol = bytes.find("\r\n", line);
        auto colon = bytes.find(':', line);
        if (colon != std::string::npos && colon < eol) {
          std::string name = bytes.substr(line, colon - line);
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          auto value = bytes.substr(colon + 1, eol - colon - 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          r.headers[name] = value;
        }
        line = eol + 2;
      }
      if (r.headers.count("content-length")) length = std::stoul(r.headers["content-length"]);
    }
    if (head_end != std::string::npos && bytes.size() >= head_end + 4 + length) {
      r.body = bytes.substr(head_end + 4, length);
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    bytes.append(chunk, static_cast<std::size_t>(n));
  }
}

void answer(int fd, int status) {
  std::string body = status == 200 ? "ok" : "failing on purpose";
  std::string text = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n" + body;
  (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

}  // namespace

webhook_receiver::webhook_receiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("webhook_receiver: cannot listen");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

webhook_receiver::~webhook_receiver() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  thread_.join();
  for (int fd : held_) ::close(fd);
  ::close(listen_fd_);
}

std::string webhook_receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void webhook_receiver::fail_next(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_next_ = n;
}

void webhook_receiver::hang(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  hang_ = on;
  if (!on) {
    for (int fd : held_) ::close(fd);
    held_.clear();
  }
}

std::vector<received_request> webhook_receiver::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool webhook_receiver::wait_until(
    const std::function<bool(const std::vector<received_request>&)>& done,
    std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(requests_); });
}

void webhook_receiver::run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd >= 0) serve(fd);
  }
}

void webhook_receiver::serve(int fd) {
  received_request r;
  bool complete = read_request(fd, r, 2000);
  r.at = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!complete) {
    ::close(fd);
    return;
  }
  if (hang_) {
    held_.push_back(fd);
  } else {
    r.status = fail_next_ > 0 ? 500 : 200;
    if (fail_next_ > 0) --fail_next_;
    answer(fd, r.status);
    ::close(fd);
  }
  requests_.push_back(std::move(r));
  changed_.notify_all();
}

}  // namespace sluice::testing
