#include "http/server.hpp"

#include "config/log.hpp"
#include "http/responses.hpp"
#include "http/router.hpp"
#include "store/secrets.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace sluice {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Framing that Beast 1.74 accepts but that lets requests be smuggled past a proxy.
// Returns an error message, or "" when the framing is unambiguous.
std::string ambiguous_framing(const http::request_parser<http::string_body>& parser) {
  auto& h = parser.get();
  auto te_count = h.count(http::field::transfer_encoding);
  auto cl_count = h.count(http::field::content_length);
  if (cl_count > 1) return "duplicate Content-Length";
  if (te_count == 0) return "";
  if (h.version() < 11) return "Transfer-Encoding on HTTP/1.0";
  if (cl_count > 0) return "Transfer-Encoding together with Content-Length";
  if (te_count > 1) return "more than one Transfer-Encoding header";
  auto te = h[http::field::transfer_encoding];
  if (!beast::iequals(te, "chunked")) return "Transfer-Encoding other than chunked";
  return "";
}

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, edge_context& ctx, std::atomic<int>& open, std::atomic<int>& busy)
      : stream_(std::move(socket)), ctx_(ctx), open_(open), busy_(busy) {}
  ~session() {
    end_request(0);
    open_.fetch_sub(1);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.cfg.max_header_bytes));
    // Beast checks Content-Length against the body limit while it reads the header, before the
    // route is known: allow the largest route limit here and the route's own one below.
    parser_->body_limit(ctx_.cfg.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(ctx_.cfg.idle_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof)
      return close();
    if (ec == http::error::body_limit)
      return fail(413, "payload_too_large", "request body is over the limit");
    if (ec == http::error::header_limit)
      return fail(400, "header_too_large", "request headers are over the limit");
    if (ec) return fail(400, "bad_request", "malformed HTTP request: " + ec.message());
    if (auto why = ambiguous_framing(*parser_); !why.empty())
      return fail(400, "bad_request", "ambiguous request framing: " + why);
    auto limit = body_limit_for(ctx_.cfg, parser_->get().target());
    if (auto length = parser_->content_length(); length && *length > limit)
      return fail(413, "payload_too_large", "request body is over the limit");
    parser_->body_limit(limit);
    stream_.expires_after(std::chrono::milliseconds(ctx_.cfg.read_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return fail(413, "payload_too_large", "request body is over the limit");
    if (ec == beast::error::timeout) return fail(408, "timeout", "request was not read in time");
    if (ec) return close();
    stream_.expires_never();
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    begin_request(req);
    auto self = shared_from_this();
    reply_channel channel;
    channel.info = info_;
    channel.respond = [self](http_response res) {
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    };
    channel.post = [self](std::function<void()> work) {
      net::post(self->stream_.get_executor(), std::move(work));
    };
    channel.stream = [self](http_response head, chunk_source next) {
      net::post(self->stream_.get_executor(), [self, head = std::move(head), next]() mutable {
        self->write_stream(std::move(head), std::move(next));
      });
    };
    route(ctx_, std::move(req), std::move(channel));
  }

  void begin_request(const http_request& req) {
    busy_.fetch_add(1);
    in_request_ = true;
    started_ = std::chrono::steady_clock::now();
    method_ = std::string(req.method_string());
    auto target = req.target();
    path_ = std::string(target.substr(0, target.find('?')));  // the query may hold a key
    info_ = std::make_shared<request_info>();
    auto given = req["X-Request-ID"];
    info_->request_id =
        !given.empty() && given.size() <= 128 ? std::string(given) : next_request_id();
  }

  // The reply went out (or the connection ended): one access-log line. status 0: no reply.
  void end_request(int status) {
    if (!in_request_) return;
    in_request_ = false;
    busy_.fetch_sub(1);
    if (!ctx_.cfg.access_log || !info_->log_line) return;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
                  .count();
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", ms);
    log_fields fields = {{"request_id", info_->request_id},
                         {"method", method_},
                         {"path", path_},
                         {"status", std::to_string(status)},
                         {"duration_ms", duration}};
    if (!info_->tenant.empty()) fields.emplace_back("tenant", info_->tenant);
    if (info_->unlogged) fields.emplace_back("unlogged_refusals", std::to_string(info_->unlogged));
    log_info("request", fields);
  }

  static std::string next_request_id() {
    static const std::string prefix = random_hex(4);
    static std::atomic<std::uint64_t> counter{0};
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(counter.fetch_add(1)));
    return prefix + buf;
  }

  void write(http_response&& res) {
    if (info_) res.set("X-Request-ID", info_->request_id);
    res.keep_alive(keep_alive_ && !closing_);
    res.prepare_payload();
    auto owned = std::make_shared<http_response>(std::move(res));
    stream_.expires_after(std::chrono::milliseconds(ctx_.cfg.read_timeout_ms));
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned](beast::error_code ec, std::size_t) {
                        self->end_request(owned->result_int());
                        if (ec || !owned->keep_alive()) return self->close();
                        self->read_header();
                      });
  }

  void write_stream(http_response&& head_in, chunk_source next) {
    auto head = std::make_shared<http::response<http::empty_body>>(head_in.result(), 11);
    for (auto& field : head_in) head->set(field.name_string(), field.value());
    head->chunked(true);
    head->keep_alive(keep_alive_);
    if (info_) head->set("X-Request-ID", info_->request_id);
    stream_status_ = head->result_int();
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    stream_.expires_after(std::chrono::milliseconds(ctx_.cfg.read_timeout_ms));
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer, next](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          self->write_chunk(next);
        });
  }

  void write_chunk(chunk_source next) {
    auto chunk = std::make_shared<std::string>();
    bool more = next(*chunk);
    stream_.expires_after(std::chrono::milliseconds(ctx_.cfg.read_timeout_ms));
    if (chunk->empty()) {
      if (more) return write_chunk(std::move(next));
      return write_last_chunk();
    }
    net::async_write(
        stream_, http::make_chunk(net::buffer(*chunk)),
        [self = shared_from_this(), chunk, next, more](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          if (more) return self->write_chunk(next);
          self->write_last_chunk();
        });
  }

  void write_last_chunk() {
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->end_request(self->stream_status_);
                       if (ec || !self->keep_alive_) return self->close();
                       self->read_header();
                     });
  }

  // Answers an error the connection cannot recover from, then closes it.
  void fail(int status, const std::string& code, const std::string& message) {
    closing_ = true;
    write(error_response(status, code, message));
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  edge_context& ctx_;
  std::atomic<int>& open_;
  std::atomic<int>& busy_;  // requests being handled, node-wide (graceful shutdown waits on it)
  bool in_request_ = false;
  std::chrono::steady_clock::time_point started_;
  std::string method_, path_;
  std::shared_ptr<request_info> info_;
  unsigned stream_status_ = 200;
  bool keep_alive_ = true;
  bool closing_ = false;
};

}  // namespace

struct http_server::impl {
  const config& cfg;
  edge_context ctx;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  // Sessions waiting for an actor's reply have no operation pending on the io_context; without
  // this guard run() would return once the acceptor closes, and their replies would never go out.
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(ioc);
  std::vector<std::thread> threads;
  std::atomic<int> open_connections{0};
  std::atomic<int> busy_requests{0};

  impl(const config& c, node& n, std::string token_hash, bool metrics_only)
      : cfg(c),
        ctx{c, n, std::move(token_hash), metrics_only, {}},
        ioc(metrics_only ? 1 : c.io_threads) {}

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        if (open_connections.fetch_add(1) >= cfg.max_connections) {
          open_connections.fetch_sub(1);
          refuse(std::move(socket));
        } else {
          std::make_shared<session>(std::move(socket), ctx, open_connections, busy_requests)
              ->start();
        }
      }
      accept();
    });
  }

  // Over the connection cap: a short 503 and close, without reading the request.
  static void refuse(tcp::socket socket) {
    static const std::string reply =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Connection: close\r\nContent-Length: 86\r\n\r\n"
        R"({"error":{"code":"overloaded","message":"too many connections; retry in a second"}})";
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    net::async_write(*s, net::buffer(reply), [s](beast::error_code, std::size_t) {
      beast::error_code ignored;
      s->shutdown(tcp::socket::shutdown_both, ignored);
    });
  }
};

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
http_server::~http_server() {
  stop();
  wait();
}

std::unique_ptr<http_server> http_server::start(const config& cfg, node& n,
                                                const std::string& admin_token, std::string& error,
                                                const std::string& listen, bool metrics_only) {
  auto p = std::make_unique<impl>(cfg, n, sha256(admin_token), metrics_only);
  std::string host;
  unsigned short port = 0;
  split_host_port(listen, host, port);
  beast::error_code ec;
  auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    error = "cannot listen on " + listen + ": bad address " + host;
    return nullptr;
  }
  tcp::endpoint endpoint(address, port);
  p->acceptor.open(endpoint.protocol(), ec);
  if (!ec) p->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) p->acceptor.bind(endpoint, ec);
  if (!ec) p->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + listen + ": " + ec.message();
    return nullptr;
  }
  p->accept();
  for (int i = 0; i < (metrics_only ? 1 : cfg.io_threads); ++i)
    p->threads.emplace_back([raw = p.get()] { raw->ioc.run(); });
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

unsigned short http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void http_server::stop() {
  impl_->keep_running.reset();
  impl_->ioc.stop();
}

void http_server::stop_accepting() {
  net::post(impl_->ioc, [raw = impl_.get()] {
    beast::error_code ignored;
    raw->acceptor.close(ignored);
  });
}

bool http_server::wait_until_idle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->busy_requests.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;

    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void http_server::wait() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

}  // namespace sluice
