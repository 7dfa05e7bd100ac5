#include "actors/webhook_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace sluice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct webhook_client::impl {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;
};

namespace {

// One POST: resolve → connect → write → read, under one deadline. Lives as long as a handler
// holds it; all of it runs on the client's single io thread.
class exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(asio::io_context& ioc, std::function<void(webhook_outcome)> done)
      : resolver_(ioc), stream_(ioc), deadline_(ioc), done_(std::move(done)) {}

  void start(const http_url& url, std::string body,
             const std::vector<std::pair<std::string, std::string>>& headers,
             std::chrono::milliseconds timeout) {
    request_ = {http::verb::post, url.target, 11};
    bool v6 = url.host.find(':') != std::string::npos;
    request_.set(http::field::host,
                 (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
    request_.set(http::field::user_agent, "sluice-webhooks");
    request_.set(http::field::connection, "close");
    for (auto& [name, value] : headers) request_.set(name, value);
    request_.body() = std::move(body);
    request_.prepare_payload();
    parser_.body_limit(64 * 1024);  // the receiver's answer matters only for its status
    auto self = shared_from_this();
    deadline_.expires_after(timeout);
    deadline_.async_wait([self](beast::error_code ec) {
      if (ec) return;  // cancelled: finished in time
      self->timed_out_ = true;
      self->resolver_.cancel();
      self->stream_.socket().close(ec);
    });
    resolver_.async_resolve(url.host, std::to_string(url.port),
                            [self](beast::error_code ec, tcp::resolver::results_type found) {
                              if (ec) return self->fail(ec, "cannot resolve host: ");
                              self->stream_.async_connect(
                                  found, [self](beast::error_code ec, const tcp::endpoint&) {
                                    if (ec) return self->fail(ec, "");
                                    self->write();
                                  });
                            });
  }

 private:
  void write() {
    auto self = shared_from_this();
    http::async_write(stream_, request_, [self](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(ec, "sending failed: ");
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec, std::size_t) { self->read_done(ec); });
    });
  }

  void read_done(beast::error_code ec) {
    // A status is an answer even when its body was over our limit.
    if (ec && !(ec == http::error::body_limit && parser_.is_header_done()))
      return fail(ec, "no valid response: ");
    int status = static_cast<int>(parser_.get().result_int());
    webhook_outcome out;
    out.status = status;
    out.delivered = status >= 200 && status < 300;
    if (!out.delivered) out.reason = "HTTP " + std::to_string(status);
    finish(std::move(out));
  }

  void fail(beast::error_code ec, const char* what) {
    webhook_outcome out;
    if (timed_out_)
      out.reason = "timed out";
    else if (ec == asio::error::connection_refused)
      out.reason = "connection refused";
    else
      out.reason = what + ec.message();
    finish(std::move(out));
  }

  void finish(webhook_outcome out) {
    if (!done_) return;
    beast::error_code ignored;
    deadline_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(out));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer deadline_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::function<void(webhook_outcome)> done_;
  bool timed_out_ = false;
};

}  // namespace

webhook_client::webhook_client() : impl_(std::make_unique<impl>()) {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

webhook_client::~webhook_client() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void webhook_client::post(const http_url& url, std::string body,
                          std::vector<std::pair<std::string, std::string>> headers,
                          std::chrono::milliseconds timeout,
                          std::function<void(webhook_outcome)> done) {
  auto& ioc = impl_->ioc;
  asio::post(ioc, [&ioc, url, body = std::move(body), headers = std::move(headers), timeout,
                   done = std::move(done)]() mutable {
    auto x = std::make_shared<exchange>(ioc, std::move(done));
    x->start(url, std::move(body), headers, timeout);
  });
}

}  // namespace sluice
