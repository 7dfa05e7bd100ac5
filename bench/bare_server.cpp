// bare_server: the HTTP ceiling of this machine. A minimal Boost.Beast 1.74 HTTP/1.1 server that
// reads each request into a string_body and answers 200 with a tiny JSON body, keeping the
// connection alive. No routing, auth, parsing or storage: whatever Sluice does beyond this is
// Sluice's own cost. Same threading model as Sluice's edge (one io_context, N threads, a strand
// per connection), so the two are comparable.
//
//   bare_server [--listen HOST:PORT] [--port PORT] [--threads N]
//
// Defaults: 127.0.0.1, port 8099, 1 io thread. Port 0 picks a free port; the chosen port is
// printed on stdout as "listening on HOST:PORT" either way. Stops on SIGINT/SIGTERM.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

const std::string kReplyBody = R"({"status":"ok"})";

class connection : public std::enable_shared_from_this<connection> {
 public:
  explicit connection(tcp::socket&& socket) : stream_(std::move(socket)) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(8 * 1024 * 1024);
    stream_.expires_after(std::chrono::seconds(60));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    const auto& req = parser_->get();
    res_ = {};
    res_.version(req.version());
    res_.result(http::status::ok);
    res_.set(http::field::server, "bare");
    res_.set(http::field::content_type, "application/json");
    res_.keep_alive(req.keep_alive());
    res_.body() = kReplyBody;
    res_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(60));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

class listener {
 public:
  listener(net::io_context& ioc, const tcp::endpoint& ep) : ioc_(ioc), acceptor_(ioc) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  tcp::endpoint local() const { return acceptor_.local_endpoint(); }

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<connection>(std::move(s))->start();
      }
      accept();
    });
  }

  void stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

void usage() {
  std::cerr << "usage: bare_server [--listen HOST:PORT] [--port PORT] [--threads N]\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  long port = 8099;
  long threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--port" || arg == "-p") {
      port = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--threads" || arg == "-t") {
      threads = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--listen") {
      std::string hp = value();
      auto colon = hp.rfind(':');
      if (colon == std::string::npos) {
        usage();
        return 2;
      }
      host = hp.substr(0, colon);
      port = std::strtol(hp.c_str() + colon + 1, nullptr, 10);
    } else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (port < 0 || port > 65535 || threads < 1 || threads > 256) {
    usage();
    return 2;
  }

  try {
    net::io_context ioc(static_cast<int>(threads));
    listener l(ioc, tcp::endpoint(net::ip::make_address(host), static_cast<unsigned short>(port)));
    l.accept();
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
      l.stop();
      ioc.stop();
    });
    std::cout << "listening on " << host << ":" << l.local().port() << " (" << threads
              << " io thread" << (threads == 1 ? "" : "s") << ")" << std::endl;

    std::vector<std::thread> pool;
    for (long i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::cerr << "bare_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
