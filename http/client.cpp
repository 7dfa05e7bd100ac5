#include "http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

namespace sluice {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Connects with one deadline for the whole exchange; throws on failure.
void connect(beast::tcp_stream& stream, const std::string& host, unsigned short port,
             int timeout_ms) {
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  tcp::resolver resolver(stream.get_executor());
  stream.connect(resolver.resolve(host, std::to_string(port)));
}

}  // namespace

client_response http_call(const std::string& host, unsigned short port, const std::string& method,
                          const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& body, int timeout_ms) {
  client_response out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    connect(stream, host, port, timeout_ms);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    for (auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256ull << 20);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (auto& field : res) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      out.headers[name] = std::string(field.value());
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

std::string raw_exchange(const std::string& host, unsigned short port, const std::string& bytes,
                         int timeout_ms) {
  std::string received;
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    connect(stream, host, port, timeout_ms);
    net::write(stream.socket(), net::buffer(bytes));
    char chunk[4096];
    for (;;) {
      beast::error_code ec;
      auto n = stream.read_some(net::buffer(chunk), ec);
      received.append(chunk, n);
      if (ec) break;
    }
  } catch (const std::exception&) {
  }
  return received;
}

}  // namespace sluice
