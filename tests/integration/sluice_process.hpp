// Test fixture: runs the real `sluice` binary on a free loopback port with a temp data dir, and
// talks HTTP to it as a client would. The process is killed (SIGKILL) when the fixture ends,
// unless the test stopped it first; the data dir is removed.
#pragma once

#include "http/client.hpp"

#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

class sluice_process {
 public:
  // Starts on a fresh temp data dir. `env` adds SLUICE_* variables.
  explicit sluice_process(std::map<std::string, std::string> env = {});
  ~sluice_process();

  // Starts again on the same data dir and port (after stop() or kill()).
  void restart();
  void kill();  // SIGKILL, then reap
  int stop();   // SIGTERM, wait; returns the exit status
  // SIGTERM, then waits at most `timeout_ms`: the exit status, or -2 if it is still running
  // (it is then left to kill() or the destructor).
  int stop_within(int timeout_ms);
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }

  unsigned short port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& admin_token() const { return admin_token_; }
  // Everything the server logged so far (its stderr, kept in <data_dir>.log; level warn unless
  // SLUICE_LOG_LEVEL is given).
  std::string log_text() const;
  // Whether the log holds `text` within `timeout_ms` (a background thread writes the log, so a
  // line may land just after what it reports became visible).
  bool log_shows(const std::string& text, int timeout_ms = 5000) const;

  client_response get(const std::string& target, const std::string& key = "");
  client_response post(const std::string& target, const std::string& body,
                       const std::string& key = "",
                       std::vector<std::pair<std::string, std::string>> headers = {});
  client_response admin(const std::string& method, const std::string& target,
                        const std::string& body = "");

  // Creates a tenant (with a generous rate limit unless given) and returns its API key.
  std::string create_tenant(const std::string& id, double events_per_sec = 1e6, double burst = 1e6);

 private:
  void spawn();
  std::map<std::string, std::string> env_;
  std::string data_dir_;
  std::string admin_token_ = "test-admin-token-0123456789";
  unsigned short port_ = 0;
  int pid_ = -1;
};

// Runs a shell command; its exit status and what it printed on stdout and stderr.
std::pair<int, std::string> run_command(const std::string& command);

// The value of one sample line of a Prometheus exposition, e.g.
// metric(text, "sluice_events_stored_total{tenant=\"a\"}"); -1 when the series is absent.
double metric(const std::string& exposition, const std::string& series);

// A loopback port nothing listens on right now.
unsigned short free_port();

// What a server sent on one raw connection: all bytes, and the first response parsed.
struct raw_result {
  std::string bytes;                           // everything received
  bool closed = false;                         // the server closed the connection (not a timeout)
  int responses = 0;                           // status lines seen ("HTTP/1.x NNN ")
  int status = 0;                              // of the first response; 0: none
  std::map<std::string, std::string> headers;  // of the first response, lower-case names
  std::string body;                            // of the first response (per Content-Length)
};

// Connects to the loopback port; returns the socket fd, or -1.
int connect_loopback(unsigned short port);

// Sends `bytes` on a fresh connection (a write the server cuts short is not an error), then reads
// until the server closes or `timeout_ms` passes.
raw_result raw_request(unsigned short port, const std::string& bytes, int timeout_ms = 3000);

// Sends `bytes` on an open fd and reads one complete response (keep-alive), or until close/timeout.
raw_result exchange_on(int fd, const std::string& bytes, int timeout_ms = 3000);

// gzip (RFC 1952) of `data`.
std::string gzip_compress(const std::string& data);

// Standard base64 (RFC 4648, with padding), written apart from the server's own codec.
std::string to_base64(const std::string& bytes);
std::string from_base64(const std::string& text);  // ignores anything outside the alphabet

}  // namespace sluice::testing
