#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include <unistd.h>

using namespace sluice;

namespace {

std::string write_file(const std::string& text) {
  char tmpl[] = "/tmp/sluice-config-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ::close(fd);
  std::ofstream(tmpl) << text;
  return tmpl;
}

bool mentions(const std::vector<std::string>& errors, const std::string& name) {
  for (auto& e : errors)
    if (e.rfind(name + ":", 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("config: defaults are valid") {
  CHECK(validate(config{}).empty());
}

TEST_CASE("config: a TOML file sets options, including nested tables") {
  auto path = write_file(
      "listen = \"0.0.0.0:9000\"\nshards = 4\n[rate_limit]\nevents_per_sec = 50.5\nburst = 100\n");
  config c;
  CHECK(load_config_file(path, c).empty());
  CHECK(c.listen == "0.0.0.0:9000");
  CHECK(c.shards == 4);
  CHECK(c.default_rate_limit.events_per_sec == 50.5);
  CHECK(c.default_rate_limit.burst == 100);
  std::remove(path.c_str());
}

TEST_CASE("config: every bad file value is reported by name at once") {
  auto path = write_file("shards = \"two\"\nio_threads = -1\nno_such_option = 1\n");
  config c;
  auto errors = load_config_file(path, c);
  CHECK(mentions(errors, "shards"));
  CHECK(mentions(errors, "io_threads"));
  CHECK(mentions(errors, "no_such_option"));
  std::remove(path.c_str());
}

TEST_CASE("config: an unreadable TOML file is an error naming the file") {
  auto path = write_file("listen = \n");
  config c;
  auto errors = load_config_file(path, c);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find(path) != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("config: SLUICE_ environment variables override the file") {
  ::setenv("SLUICE_SHARDS", "8", 1);
  ::setenv("SLUICE_RATE_LIMIT_BURST", "77", 1);
  ::setenv("SLUICE_TRUSTED_GATEWAY", "maybe", 1);
  config c;
  c.shards = 3;
  auto errors = apply_environment(c);
  ::unsetenv("SLUICE_SHARDS");
  ::unsetenv("SLUICE_RATE_LIMIT_BURST");
  ::unsetenv("SLUICE_TRUSTED_GATEWAY");
  CHECK(c.shards == 8);
  CHECK(c.default_rate_limit.burst == 77);
  CHECK(mentions(errors, "SLUICE_TRUSTED_GATEWAY"));
}

TEST_CASE("config: validation names each bad value") {
  config c;
  c.listen = "nonsense";
  c.shards = 0;
  c.log_level = "loud";
  c.admin_token = "short";
  auto errors = validate(c);
  CHECK(errors.size() == 4);
  CHECK(mentions(errors, "listen"));
  CHECK(mentions(errors, "shards"));
  CHECK(mentions(errors, "log_level"));
  CHECK(mentions(errors, "admin_token"));
}

TEST_CASE("config: writer retries are bounded well inside the 30 s a write may take") {
  config c;
  c.writer_retry_attempts = 0;
  CHECK(mentions(validate(c), "writer.retry_attempts"));
  c = config{};
  c.writer_retry_base_ms = 100;
  c.writer_retry_max_ms = 50;
  CHECK(mentions(validate(c), "writer.retry_max_ms"));
  c = config{};
  c.writer_retry_attempts = 20;
  c.writer_retry_max_ms = 2000;  // 19 waits of up to 2 s: 38 s
  CHECK(mentions(validate(c), "writer.retry_max_ms"));
  c.writer_retry_max_ms = 1000;
  CHECK(validate(c).empty());
}

TEST_CASE("config: host and port are split, IPv6 brackets removed") {
  std::string host;
  unsigned short port = 0;
  CHECK(split_host_port("127.0.0.1:8080", host, port));
  CHECK((host == "127.0.0.1" && port == 8080));
  CHECK(split_host_port("[::1]:9", host, port));
  CHECK((host == "::1" && port == 9));
  CHECK_FALSE(split_host_port("127.0.0.1", host, port));
  CHECK_FALSE(split_host_port("h:70000", host, port));
  CHECK_FALSE(split_host_port("h:", host, port));
}
