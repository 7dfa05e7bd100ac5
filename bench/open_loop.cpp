#include "bench/open_loop.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <thread>

namespace sluice::bench {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

std::int64_t micros(steady::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

steady::duration seconds(double s) {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s));
}

struct request_slot {
  std::size_t index = 0;
  steady::time_point intended;
};

class tenant_load;

// One io thread and the tenants it drives. Every object here lives until after ioc.run()
// returned, so handlers capture raw pointers.
struct group {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<tenant_load>> tenants;
  net::steady_timer deadline{ioc};
  std::size_t open_requests = 0;  // issued and not yet recorded
  std::size_t schedules_done = 0;
  bool stopping = false;
  void check_done();
  void stop();
};

class connection {
 public:
  connection(tenant_load& t, net::io_context& ioc, const tcp::endpoint& server, std::string target,
             const std::string& key)
      : t_(t), stream_(ioc), retry_(ioc), server_(server) {
    req_ = {http::verb::post, target, 11};
    req_.set(http::field::host, "127.0.0.1");
    req_.set(http::field::content_type, "application/json");
    req_.set("X-API-Key", key);
    req_.keep_alive(true);
  }
  bool idle() const { return ready_ && !busy_; }
  void connect();
  void send(const request_slot& r, std::string body);
  void abandon(steady::time_point now);

 private:
  void on_read(beast::error_code ec);
  void fail();
  bool stopping() const;

  tenant_load& t_;
  beast::tcp_stream stream_;
  net::steady_timer retry_;
  tcp::endpoint server_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  request_slot current_;
  steady::time_point sent_at_;
  bool ready_ = false, busy_ = false;
};

class tenant_load {
 public:
  tenant_load(group& g, tenant_spec spec, const tcp::endpoint& server, steady::time_point begin,
              steady::time_point measure_from, double total_sec, double phase_sec,
              std::string run_id, std::string timestamp)
      : g_(g),
        spec_(std::move(spec)),
        timer_(g.ioc),
        begin_(begin),
        measure_from_(measure_from),
        total_sec_(total_sec),
        offset_sec_(phase_sec),
        run_id_(std::move(run_id)),
        timestamp_(std::move(timestamp)),
        rng_(std::hash<std::string>{}(spec_.id)) {
    result.id = spec_.id;
    result.cls = spec_.cls;
    result.shard = spec_.shard;
    for (int i = 0; i < spec_.connections; ++i)
      conns_.push_back(std::make_unique<connection>(*this, g.ioc, server, "/v1/events", spec_.key));
  }

  void start() {
    for (auto& c : conns_) c->connect();
    arm();
  }

  // Hands queued requests to idle connections, oldest first.
  void pump() {
    while (!queue_.empty() && !g_.stopping) {
      connection* free = nullptr;
      for (auto& c : conns_)
        if (c->idle()) {
          free = c.get();
          break;
        }
      if (!free) return;
      auto r = queue_.front();
      queue_.pop_front();
      free->send(r, body(r.index));
    }
  }

  void record(const request_slot& r, steady::time_point sent, steady::time_point done, int status) {
    result.samples.push_back({micros(r.intended - measure_from_), micros(done - r.intended),
                              micros(sent - r.intended), status});
    --g_.open_requests;
    g_.check_done();
  }

  // At the deadline: whatever is still queued or in flight counts as unanswered.
  void abandon(steady::time_point now) {
    timer_.cancel();
    for (auto& r : queue_) record(r, now, now, status_unanswered);
    queue_.clear();
    for (auto& c : conns_) c->abandon(now);
  }

  bool stopping() const { return g_.stopping; }
  tenant_samples result;

 private:
  steady::time_point intended() const { return begin_ + seconds(offset_sec_); }

  // Waits for the next intended send time, then queues every request that is due.
  void arm() {
    if (offset_sec_ >= total_sec_) {
      ++g_.schedules_done;
      return g_.check_done();
    }
    timer_.expires_at(intended());
    timer_.async_wait([this](beast::error_code ec) {
      if (ec || g_.stopping) return;
      auto now = steady::now();
      while (offset_sec_ < total_sec_ && intended() <= now) {
        queue_.push_back({issued_++, intended()});
        ++g_.open_requests;
        offset_sec_ += spec_.poisson ? std::exponential_distribution<double>(spec_.rate)(rng_)
                                     : 1.0 / spec_.rate;
      }
      pump();
      arm();
    });
  }

  // ~200 bytes, like the events DESIGN.md's costs were measured with; event_id is unique per
  // run so no request is a duplicate.
  std::string body(std::size_t i) const {
    auto n = std::to_string(i);
    return R"({"event_id":")" + run_id_ + "-" + spec_.id + "-" + n +
           R"(","event_type":"page_view","timestamp":")" + timestamp_ + R"(","session_id":")" +
           spec_.id + "-s" + std::to_string(i % 64) + R"(","properties":{"path":"/home","n":)" + n +
           "}}";
  }

  group& g_;
  tenant_spec spec_;
  net::steady_timer timer_;
  steady::time_point begin_, measure_from_;
  double total_sec_, offset_sec_;
  std::string run_id_, timestamp_;
  std::mt19937_64 rng_;
  std::size_t issued_ = 0;
  std::deque<request_slot> queue_;
  std::vector<std::unique_ptr<connection>> conns_;
};

bool connection::stopping() const {
  return t_.stopping();
}

void connection::connect() {
  stream_.async_connect(server_, [this](beast::error_code ec) {
    if (stopping()) return;
    if (ec) {
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([this](beast::error_code e) {
        if (!e && !stopping()) connect();
      });
      return;
    }
    stream_.socket().set_option(tcp::no_delay(true));
    ready_ = true;
    t_.pump();
  });
}

void connection::send(const request_slot& r, std::string body) {
  busy_ = true;
  current_ = r;
  sent_at_ = steady::now();
  req_.body() = std::move(body);
  req_.prepare_payload();
  http::async_write(stream_, req_, [this](beast::error_code ec, std::size_t) {
    if (stopping()) return;
    if (ec) return fail();
    res_ = {};
    http::async_read(stream_, buffer_, res_,
                     [this](beast::error_code ec, std::size_t) { on_read(ec); });
  });
}

void connection::on_read(beast::error_code ec) {
  if (stopping()) return;
  if (ec) return fail();
  busy_ = false;
  t_.record(current_, sent_at_, steady::now(), static_cast<int>(res_.result_int()));
  if (stopping()) return;  // that was the last request: the group has closed everything
  if (!res_.keep_alive()) {
    ready_ = false;
    stream_.close();
    connect();
  }
  t_.pump();
}

// The server closed or reset the connection under a request: it counts, then reconnect.
void connection::fail() {
  busy_ = false;
  ready_ = false;
  t_.record(current_, sent_at_, steady::now(), status_conn_error);
  beast::error_code ignored;
  stream_.socket().close(ignored);
  if (!stopping()) connect();
}

void connection::abandon(steady::time_point now) {
  if (busy_) t_.record(current_, sent_at_, now, status_unanswered);
  busy_ = false;
  retry_.cancel();
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

void group::check_done() {
  if (!stopping && schedules_done == tenants.size() && open_requests == 0) stop();
}

void group::stop() {
  stopping = true;
  deadline.cancel();
  auto now = steady::now();
  for (auto& t : tenants) t->abandon(now);
}

}  // namespace

std::vector<tenant_samples> run_open_loop(const std::vector<tenant_spec>& tenants,
                                          const load_plan& plan) {
  // One group (io thread) per tenant class; connections open during the first half second.
  std::map<std::string, std::unique_ptr<group>> groups;
  std::map<std::string, int> in_class, seen;
  for (auto& t : tenants) ++in_class[t.cls];
  tcp::endpoint endpoint(net::ip::make_address(plan.host), plan.port);
  auto begin = steady::now() + std::chrono::milliseconds(500);
  auto measure_from = begin + seconds(plan.warmup_sec);
  for (auto& t : tenants) {
    auto& g = groups[t.cls];
    if (!g) g = std::make_unique<group>();
    // Tenants of a class start evenly spread over one interval, so their sends interleave.
    double phase = (seen[t.cls]++ + 0.5) / in_class[t.cls] / t.rate;
    g->tenants.push_back(std::make_unique<tenant_load>(*g, t, endpoint, begin, measure_from,
                                                       plan.warmup_sec + plan.duration_sec, phase,
                                                       plan.run_id, plan.timestamp));
  }
  std::vector<std::thread> threads;
  for (auto& [cls, g] : groups) {
    for (auto& t : g->tenants) t->start();
    g->deadline.expires_at(measure_from + seconds(plan.duration_sec + plan.drain_sec));
    g->deadline.async_wait([raw = g.get()](beast::error_code ec) {
      if (!ec && !raw->stopping) raw->stop();
    });
    threads.emplace_back([raw = g.get()] { raw->ioc.run(); });
  }
  for (auto& th : threads) th.join();

  std::vector<tenant_samples> results;
  for (auto& [cls, g] : groups)
    for (auto& t : g->tenants) results.push_back(std::move(t->result));
  return results;
}

}  // namespace sluice::bench
