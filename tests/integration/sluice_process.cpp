#include "tests/integration/sluice_process.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace sluice::testing {

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

sluice_process::sluice_process(std::map<std::string, std::string> env) : env_(std::move(env)) {
  char tmpl[] = "/tmp/sluice-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  data_dir_ = tmpl;
  port_ = free_port();
  spawn();
}

sluice_process::~sluice_process() {
  if (pid_ > 0) kill();
  std::string cmd = "rm -rf '" + data_dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

void sluice_process::spawn() {
  std::string listen = "127.0.0.1:" + std::to_string(port_);
  std::fflush(nullptr);  // else the child flushes a copy of our buffered output
  pid_ = ::fork();
  if (pid_ == 0) {
    for (auto& [k, v] : env_) ::setenv(k.c_str(), v.c_str(), 1);
    ::setenv("SLUICE_ADMIN_TOKEN", admin_token_.c_str(), 1);
    ::setenv("SLUICE_LOG_LEVEL", "warn", 0);
    if (FILE* f = std::freopen((data_dir_ + ".log").c_str(), "a", stderr)) (void)f;
    if (FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    ::execl(SLUICE_BINARY, SLUICE_BINARY, "serve", "--listen", listen.c_str(), "--data",
            data_dir_.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  // Ready when /healthz answers.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_call("127.0.0.1", port_, "GET", "/healthz", {}, "", 500).status == 200) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sluice exited at start-up; see " + data_dir_ + ".log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("sluice did not become healthy in 20 s");
}

std::pair<int, std::string> run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string sluice_process::log_text() const {
  std::ifstream in(data_dir_ + ".log");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool sluice_process::log_shows(const std::string& text, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (log_text().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void sluice_process::restart() {
  if (pid_ > 0) kill();
  spawn();
}

void sluice_process::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int sluice_process::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sluice_process::stop_within(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

client_response sluice_process::get(const std::string& target, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!key.empty()) headers.emplace_back("X-API-Key", key);
  return http_call("127.0.0.1", port_, "GET", target, headers);
}

client_response sluice_process::post(const std::string& target, const std::string& body,
                                     const std::string& key,
                                     std::vector<std::pair<std::string, std::string>> headers) {
  bool has_type = false;
  for (auto& h : headers) has_type |= h.first == "Content-Type";
  if (!has_type) headers.emplace_back("Content-Type", "application/json");
  if (!key.empty()) headers.emplace_back("X-API-Key", key);
  return http_call("127.0.0.1", port_, "POST", target, headers, body);
}

client_response sluice_process::admin(const std::string& method, const std::string& target,
                                      const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer " + admin_token_}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http_call("127.0.0.1", port_, method, target, headers, body);
}

std::string sluice_process::create_tenant(const std::string& id, double events_per_sec,
                                          double burst) {
  nlohmann::json body{{"id", id},
                      {"rate_limit", {{"events_per_sec", events_per_sec}, {"burst", burst}}}};
  auto res = admin("POST", "/v1/admin/tenants", body.dump());
  if (res.status != 201)
    throw std::runtime_error("create tenant " + id + ": " + std::to_string(res.status) + " " +
                             res.body);
  return nlohmann::json::parse(res.body).at("api_key");
}

}  // namespace sluice::testing

// Raw-socket helpers for framing and limit tests (see the header).
#include <poll.h>
#include <zlib.h>

#include <cerrno>
#include <regex>

namespace sluice::testing {

namespace {

void parse_first_response(raw_result& r) {
  static const std::regex status_line(R"(HTTP/1\.[01] (\d{3}) )");
  auto begin = std::sregex_iterator(r.bytes.begin(), r.bytes.end(), status_line);
  r.responses = static_cast<int>(std::distance(begin, std::sregex_iterator()));
  auto head_end = r.bytes.find("\r\n\r\n");
  if (r.bytes.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return;
  r.status = std::stoi(r.bytes.substr(9, 3));
  std::size_t line = r.bytes.find("\r\n") + 2;
  while (line < head_end) {
    auto eol = r.bytes.find("\r\n", line);
    auto colon = r.bytes.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      std::string name = r.bytes.substr(line, colon - line);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = r.bytes.substr(colon + 1, eol - colon - 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    line = eol + 2;
  }
  std::size_t length =
      r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  r.body = r.bytes.substr(head_end + 4, length);
}

bool first_response_complete(const std::string& bytes) {
  auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  raw_result r;
  r.bytes = bytes;
  parse_first_response(r);
  std::size_t length =
      r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  return bytes.size() >= head_end + 4 + length;
}

// Reads until close, timeout, or (when `one`) a complete first response.
raw_result read_from(int fd, int timeout_ms, bool one) {
  raw_result r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char chunk[8192];
  for (;;) {
    if (one && first_response_complete(r.bytes)) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.closed = true;
      break;
    }
    r.bytes.append(chunk, static_cast<std::size_t>(n));
  }
  parse_first_response(r);
  return r;
}

void send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the server stopped reading: its answer may still be there
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

int connect_loopback(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

raw_result raw_request(unsigned short port, const std::string& bytes, int timeout_ms) {
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, bytes);
  auto r = read_from(fd, timeout_ms, false);
  ::close(fd);
  return r;
}

raw_result exchange_on(int fd, const std::string& bytes, int timeout_ms) {
  send_all(fd, bytes);
  return read_from(fd, timeout_ms, true);
}

std::string gzip_compress(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

std::string to_base64(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(alphabet[n >> 18 & 63]);
    out.push_back(alphabet[n >> 12 & 63]);
    out.push_back(i + 1 < bytes.size() ? alphabet[n >> 6 & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? alphabet[n & 63] : '=');
  }
  return out;
}

std::string from_base64(const std::string& text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>(acc >> bits & 0xff));
    }
  }
  return out;
}

double metric(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

}  // namespace sluice::testing
