// read_bench: read latency of a running Sluice over a large store. Loads 1,000,000 events for
// tenant "big" (and 20,000 for each of ten neighbours) through POST /v1/events/batch, then times
// the read routes from one client thread and checks every answer against the data it generated;
// a wrong answer voids the run (exit 1). The data is a pure function of the event index, so a
// --skip-load run over an earlier load knows the right answers too.
//
//   read_bench --port P --admin-token T [--events N] [--others N] [--other-events N]
//              [--threads N] [--reps N] [--load-only | --skip-load]
#include "http/client.hpp"
#include "store/timestamp.hpp"

#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

constexpr std::int64_t month_start_us = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t day_us = 86400LL * 1000000;
constexpr int month_days = 30;

struct options {
  std::uint64_t port = 0;
  std::string admin_token;
  std::uint64_t events = 1000000;      // for tenant "big"
  std::uint64_t others = 10;           // neighbour tenants t01..tNN
  std::uint64_t other_events = 20000;  // each
  std::uint64_t threads = 4;           // loader client threads
  std::uint64_t reps = 30;             // timed calls per query
  bool load_only = false, skip_load = false;
};

// Event types and their share of events, in percent (sums to 100).
constexpr std::array<const char*, 10> types = {"page_view",   "click", "scroll", "search",
                                               "add_to_cart", "login", "logout", "purchase",
                                               "signup",      "error"};
constexpr std::array<int, 10> type_percent = {30, 20, 12, 10, 8, 6, 5, 4, 3, 2};

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser: cheap, well spread
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct event {
  std::uint64_t index;
  int type;
  std::int64_t ts_us;
  std::uint32_t session;
};

// One tenant's events. Timestamps rise with the index (arrival roughly in time order) with up to
// an hour of jitter either way, over 30 days; types and sessions are drawn per event.
struct dataset {
  std::string tenant;
  std::uint64_t size;
  std::uint64_t seed;
  std::uint32_t sessions = 50000;

  event at(std::uint64_t i) const {
    auto h1 = mix(seed ^ (i * 3 + 1)), h2 = mix(seed ^ (i * 3 + 2)), h3 = mix(seed ^ (i * 3 + 3));
    event e{i, 0, 0, static_cast<std::uint32_t>(h2 % sessions)};
    int pick = static_cast<int>(h1 % 100);
    while (pick >= type_percent[e.type]) pick -= type_percent[e.type++];
    std::int64_t span = month_days * day_us;
    std::int64_t t = static_cast<std::int64_t>(static_cast<double>(i) / size * span);
    t += static_cast<std::int64_t>(h3 % 7200000000ULL) - 3600000000LL;
    e.ts_us = month_start_us + std::clamp<std::int64_t>(t, 0, span - 1);
    return e;
  }
  std::string event_id(std::uint64_t i) const { return tenant + "-" + std::to_string(i); }
  static std::string session_id(std::uint32_t s) { return "s-" + std::to_string(s); }

  void append_json(std::string& out, const event& e) const {
    out += "{\"event_id\":\"" + event_id(e.index) + "\",\"event_type\":\"" + types[e.type] +
           "\",\"timestamp\":\"" + sluice::format_timestamp(e.ts_us) + "\",\"session_id\":\"" +
           session_id(e.session) + "\",\"device_id\":\"d-" + std::to_string(e.session % 9973) +
           "\",\"user_id\":\"u-" + std::to_string(e.session % 20011) +
           "\",\"properties\":{\"path\":\"/p/" + std::to_string(e.index % 431) +
           "\",\"n\":" + std::to_string(e.index) + "}}";
  }
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "read_bench: %s\n", why.c_str());
  std::exit(1);
}

// ------------------------------------------------------------------------------ admin & load

struct client {
  unsigned short port;
  std::string admin_token;

  sluice::client_response admin(const std::string& method, const std::string& target,
                                const std::string& body = "") const {
    std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + admin_token}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return sluice::http_call("127.0.0.1", port, method, target, h, body);
  }
  sluice::client_response get(const std::string& target, const std::string& key) const {
    return sluice::http_call("127.0.0.1", port, "GET", target, {{"X-API-Key", key}});
  }
};

// A fresh API key for the tenant: creates it (unthrottled), or with --skip-load issues a new key.
std::string tenant_key(const client& c, const std::string& id, bool exists) {
  auto res =
      exists
          ? c.admin("POST", "/v1/admin/tenants/" + id + "/keys")
          : c.admin(
                "POST", "/v1/admin/tenants",
                json{{"id", id}, {"rate_limit", {{"events_per_sec", 1e9}, {"burst", 1e9}}}}.dump());
  if (res.status != 201)
    die("key for tenant " + id + ": " + std::to_string(res.status) + " " + res.body + res.error);
  return json::parse(res.body).at("api_key").get<std::string>();
}

struct batch_job {
  const dataset* data;
  const std::string* key;
  std::uint64_t begin, end;
  double position;  // in its own tenant's sequence, 0..1: the merge order of all tenants
};

void load(const client& c, const std::vector<dataset>& sets, const std::vector<std::string>& keys,
          int threads) {
  // Interleave: the neighbours' batches spread evenly among the big tenant's.
  std::vector<batch_job> jobs;
  std::uint64_t total_events = 0;
  for (std::size_t s = 0; s < sets.size(); ++s) {
    std::uint64_t n = (sets[s].size + 999) / 1000;
    for (std::uint64_t b = 0; b < n; ++b)
      jobs.push_back(
          {&sets[s], &keys[s], b * 1000, std::min((b + 1) * 1000, sets[s].size), (b + 0.5) / n});
    total_events += sets[s].size;
  }
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const batch_job& a, const batch_job& b) { return a.position < b.position; });

  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> stored{0}, duplicates{0}, retries{0}, done_events{0};
  std::mutex failure_mutex;
  std::string failure;
  auto start = steady::now();
  auto worker = [&] {
    std::string body;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure.empty()) return;
      }
      auto n = next.fetch_add(1);
      if (n >= jobs.size()) return;
      const auto& job = jobs[n];
      body = "[";
      for (auto i = job.begin; i < job.end; ++i) {
        if (i != job.begin) body += ',';
        job.data->append_json(body, job.data->at(i));
      }
      body += ']';
      std::string error;
      for (int attempt = 0;; ++attempt) {
        auto res = sluice::http_call(
            "127.0.0.1", c.port, "POST", "/v1/events/batch",
            {{"Content-Type", "application/json"}, {"X-API-Key", *job.key}}, body, 120000);
        if (res.status == 200) {
          auto j = json::parse(res.body);
          if (j.at("rejected").get<std::uint64_t>() != 0)
            error = job.data->tenant + " batch rejected events: " + res.body.substr(0, 400);
          stored += j.at("stored").get<std::uint64_t>();
          duplicates += j.at("duplicates").get<std::uint64_t>();
          break;
        }
        // Overload answers and lost connections are retried: unique event_ids make it safe.
        if ((res.status == 429 || res.status == 503 || res.status == 0) && attempt < 20) {
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
          continue;
        }
        error = "batch POST: " + std::to_string(res.status) + " " + res.body + res.error;
        break;
      }
      if (!error.empty()) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        failure = error;
        return;
      }
      auto before = done_events.fetch_add(job.end - job.begin);
      auto tenth = total_events / 10;
      if (tenth && before / tenth != (before + job.end - job.begin) / tenth)
        std::fprintf(stderr, "  loaded %llu events, %.1f s\n",
                     static_cast<unsigned long long>(before + job.end - job.begin),
                     std::chrono::duration<double>(steady::now() - start).count());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (!failure.empty()) die(failure);
  double secs = std::chrono::duration<double>(steady::now() - start).count();
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);  // the client's own share of the machine, to tell apart
  double cpu = self.ru_utime.tv_sec + self.ru_stime.tv_sec +
               (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
  std::printf(
      "load: %llu events (%zu tenants, %zu batches of <=1000, %d client threads) in %.1f s = "
      "%.0f events/s; stored %llu, duplicates %llu, retried requests %llu; client CPU %.1f s\n",
      static_cast<unsigned long long>(total_events), sets.size(), jobs.size(), threads, secs,
      total_events / secs, static_cast<unsigned long long>(stored.load()),
      static_cast<unsigned long long>(duplicates.load()),
      static_cast<unsigned long long>(retries.load()), cpu);
  if (stored + duplicates != total_events) die("not every event was stored");
}

// ------------------------------------------------------------------------------ timed reads

struct row {
  std::string name, example;
  std::vector<double> ms;
  std::size_t bytes = 0;
  std::string note;
};

// `target(r)` is the r-th request; `check` returns "" when the answer is right, else why not.
row measure(const client& c, const std::string& key, const std::string& name, int reps,
            const std::function<std::string(int)>& target,
            const std::function<std::string(int, const json&)>& check) {
  row out{name, target(0), {}, 0, ""};
  for (int r = -2; r < reps; ++r) {  // two unrecorded warm-up calls
    auto t = target(std::max(r, 0));
    auto t0 = steady::now();
    auto res = c.get(t, key);
    auto t1 = steady::now();
    if (res.status != 200)
      die(name + ": GET " + t + " -> " + std::to_string(res.status) + " " +
          res.body.substr(0, 300) + res.error);
    auto why = check(std::max(r, 0), json::parse(res.body));
    if (!why.empty()) die(name + ": WRONG ANSWER for GET " + t + ": " + why);
    if (r < 0) continue;
    out.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    out.bytes = std::max(out.bytes, res.body.size());
  }
  return out;
}

// The fields a generated event must show when read back.
std::string same_event(const dataset& d, const json& e) {
  auto id = e.at("event_id").get<std::string>();
  if (id.rfind(d.tenant + "-", 0) != 0 || e.at("tenant_id") != d.tenant)
    return "foreign event " + id;
  auto ev = d.at(std::stoull(id.substr(d.tenant.size() + 1)));
  auto ts = sluice::parse_timestamp(e.at("timestamp").get<std::string>());
  if (e.at("event_type") != types[ev.type] || !ts || *ts != ev.ts_us ||
      e.at("session_id") != dataset::session_id(ev.session))
    return "event " + id + " differs from what was sent: " + e.dump();
  return "";
}

void print_table(const std::vector<row>& rows, int reps) {
  std::printf(
      "\n| query | example request | min ms | median ms | p95 ms | max ms | reply bytes "
      "| note |\n|---|---|---:|---:|---:|---:|---:|---|\n");
  for (auto r : rows) {
    std::sort(r.ms.begin(), r.ms.end());
    auto n = r.ms.size();
    double median = n % 2 ? r.ms[n / 2] : (r.ms[n / 2 - 1] + r.ms[n / 2]) / 2;
    std::size_t p95 = std::min(n - 1, static_cast<std::size_t>((n * 95 + 99) / 100) - 1);
    std::printf("| %s | `%s` | %.2f | %.2f | %.2f | %.2f | %zu | %s |\n", r.name.c_str(),
                r.example.c_str(), r.ms.front(), median, r.ms[p95], r.ms.back(), r.bytes,
                r.note.c_str());
  }
  std::printf(
      "\n%d timed calls per query after 2 warm-up calls, one new loopback connection per "
      "call, wall clock around the whole HTTP call; every answer checked.\n",
      reps);
}

void bench_reads(const client& c, const dataset& big, const std::string& key, int reps) {
  // What was loaded, per type and day, and the chosen sessions' event ids.
  std::vector<std::array<std::uint64_t, month_days>> per_day(types.size());
  std::vector<std::uint64_t> per_type(types.size());
  std::vector<std::uint32_t> sessions;
  for (int r = 0; r < reps; ++r)
    sessions.push_back(static_cast<std::uint32_t>((r * 1663 + 7) % big.sessions));
  std::map<std::uint32_t, std::set<std::string>> session_ids;
  for (auto s : sessions) session_ids[s];
  for (std::uint64_t i = 0; i < big.size; ++i) {
    auto e = big.at(i);
    ++per_day[e.type][(e.ts_us - month_start_us) / day_us];
    ++per_type[e.type];
    if (auto it = session_ids.find(e.session); it != session_ids.end())
      it->second.insert(big.event_id(i));
  }
  auto stored = json::parse(c.get("/v1/stats", key).body);
  if (stored.value("total", 0ULL) != big.size)
    die("tenant big holds " + stored.dump() + " events, expected " + std::to_string(big.size) +
        " (was it loaded with the same --events?)");

  auto day_of = [](int r) { return 1 + r % (month_days - 2); };  // whole days away from the edges
  auto window = [&](int r) {
    auto from = month_start_us + day_of(r) * day_us;
    return "from=" + sluice::format_timestamp(from) +
           "&to=" + sluice::format_timestamp(from + day_us);
  };
  auto check_stats = [&](const json& j, int day) -> std::string {
    std::uint64_t total = 0;
    json by_type = json::object();
    for (std::size_t t = 0; t < types.size(); ++t) {
      auto n = day < 0 ? per_type[t] : per_day[t][day];
      total += n;
      if (n) by_type[types[t]] = n;
    }
    if (j.at("total") != total || j.at("by_type") != by_type)
      return "got " + j.dump() + ", loaded total " + std::to_string(total) + " " + by_type.dump();
    return "";
  };
  std::vector<row> rows;

  rows.push_back(measure(
      c, key, "count, one type, one day", reps,
      [&](int r) { return "/v1/count?event_type=page_view&" + window(r); },
      [&](int r, const json& j) -> std::string {
        auto want = per_day[0][day_of(r)];
        if (j.at("event_type") != "page_view" || j.at("count") != want)
          return "got " + j.dump() + ", loaded " + std::to_string(want);
        return "";
      }));
  rows.back().note = "~" + std::to_string(per_day[0][day_of(0)]) + " matching events";

  rows.push_back(measure(
      c, key, "stats, one day", reps, [&](int r) { return "/v1/stats?" + window(r); },
      [&](int r, const json& j) { return check_stats(j, day_of(r)); }));
  std::uint64_t day_total = 0;
  for (auto& d : per_day) day_total += d[day_of(0)];
  rows.back().note = "~" + std::to_string(day_total) + " events in the day";

  rows.push_back(measure(
      c, key, "events page by session", reps,
      [&](int r) {
        return "/v1/events?session_id=" + dataset::session_id(sessions[r]) + "&limit=100";
      },
      [&](int r, const json& j) -> std::string {
        auto& want = session_ids[sessions[r]];
        std::set<std::string> got;
        std::uint64_t last = 0;
        for (auto& e : j.at("events")) {
          if (e.at("session_id") != dataset::session_id(sessions[r]))
            return "other session: " + e.dump();
          if (auto why = same_event(big, e); !why.empty()) return why;
          if (e.at("seq").get<std::uint64_t>() <= last) return "not in seq order";
          last = e.at("seq").get<std::uint64_t>();
          got.insert(e.at("event_id").get<std::string>());
        }
        if (want.size() <= 100 && (got != want || !j.at("next_after_seq").is_null()))
          return std::to_string(got.size()) + " events, loaded " + std::to_string(want.size());
        return "";
      }));
  rows.back().note = std::to_string(session_ids[sessions[0]].size()) + " events in the session";

  auto middle = [&](int r) { return big.size / 2 + static_cast<std::uint64_t>(r) * 997; };
  rows.push_back(measure(
      c, key, "contrast: events page after_seq", reps,
      [&](int r) { return "/v1/events?limit=100&after_seq=" + std::to_string(middle(r)); },
      [&](int r, const json& j) -> std::string {
        auto& events = j.at("events");
        if (events.size() != 100) return std::to_string(events.size()) + " events, not 100";
        for (std::size_t i = 0; i < 100; ++i) {
          if (events[i].at("seq") != middle(r) + 1 + i) return "seq gap at " + events[i].dump();
          if (auto why = same_event(big, events[i]); !why.empty()) return why;
        }
        if (j.at("next_after_seq") != middle(r) + 100) return "next_after_seq " + j.dump();
        return "";
      }));

  auto picked = [&](int r) { return mix(r + 0x5eed) % big.size; };
  rows.push_back(measure(
      c, key, "contrast: event by event_id", reps,
      [&](int r) { return "/v1/events/" + big.event_id(picked(r)); },
      [&](int r, const json& e) -> std::string {
        if (e.at("event_id") != big.event_id(picked(r))) return "wrong event " + e.dump();
        return same_event(big, e);
      }));

  rows.push_back(measure(
      c, key, "contrast: stats, all 30 days", std::min(reps, 10), [&](int) { return "/v1/stats"; },
      [&](int, const json& j) { return check_stats(j, -1); }));
  rows.back().note = std::to_string(big.size) + " events";

  // Not asked for, but the route a dashboard would use next: a type filtered by a day window.
  auto type_day_check = [&](int day, const json& j) -> std::string {
    auto from = month_start_us + day * day_us;
    for (auto& e : j.at("events")) {
      auto ts = sluice::parse_timestamp(e.at("timestamp").get<std::string>());
      if (e.at("event_type") != "page_view" || !ts || *ts < from || *ts >= from + day_us)
        return "outside the filter: " + e.dump();
      if (auto why = same_event(big, e); !why.empty()) return why;
    }
    return "";
  };
  rows.push_back(measure(
      c, key, "contrast: events page by type + day", std::min(reps, 10),
      [&](int r) { return "/v1/events?event_type=page_view&" + window(15 + r) + "&limit=100"; },
      [&](int r, const json& j) { return type_day_check(day_of(15 + r), j); }));
  {
    // What a client pays to get its first 100 events out of that filter: follow next_after_seq.
    auto base = "/v1/events?event_type=page_view&" + window(15) + "&limit=100&after_seq=";
    std::size_t got = 0, requests = 0, first_page = 0;
    std::uint64_t cursor = 0;
    auto t0 = steady::now();
    for (bool more = true; got < 100 && more; ++requests) {
      auto res = c.get(base + std::to_string(cursor), key);
      if (res.status != 200) die("type + day walk: " + std::to_string(res.status) + " " + res.body);
      auto j = json::parse(res.body);
      if (auto why = type_day_check(day_of(15), j); !why.empty())
        die("type + day walk: WRONG ANSWER: " + why);
      if (requests == 0) first_page = j.at("events").size();
      got += j.at("events").size();
      more = !j.at("next_after_seq").is_null();
      if (more) cursor = j.at("next_after_seq").get<std::uint64_t>();
    }
    double ms = std::chrono::duration<double, std::milli>(steady::now() - t0).count();
    rows.back().note = std::to_string(first_page) + " events on the first page; the first " +
                       std::to_string(got) + " matching events took " + std::to_string(requests) +
                       " requests, " + std::to_string(static_cast<int>(ms)) + " ms";
  }

  print_table(rows, reps);
}

}  // namespace

int main(int argc, char** argv) try {
  options o;
  const std::map<std::string, std::uint64_t*> numbers = {
      {"--port", &o.port},       {"--events", &o.events},
      {"--others", &o.others},   {"--other-events", &o.other_events},
      {"--threads", &o.threads}, {"--reps", &o.reps}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--load-only" || a == "--skip-load") {
      (a == "--load-only" ? o.load_only : o.skip_load) = true;
      continue;
    }
    if (i + 1 >= argc) die("unknown argument or missing value: " + a);
    std::string v = argv[++i];
    if (a == "--admin-token") {
      o.admin_token = v;
    } else if (auto it = numbers.find(a); it != numbers.end()) {
      char* end = nullptr;
      *it->second = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end) die(a + " needs a number, not " + v);
    } else {
      die("unknown argument " + a + " (see the header of bench/read_bench.cpp)");
    }
  }
  if (!o.port || o.port > 65535 || o.admin_token.empty())
    die("--port and --admin-token are required");
  if (o.events < 200000 || o.reps < 1 || o.reps > 10000 || o.threads < 1 || o.threads > 64 ||
      o.others > 99)
    die("--events must be at least 200000 (a day must hold data), --reps 1..10000, --threads "
        "1..64, --others <= 99");
  if (o.load_only && o.skip_load) die("--load-only and --skip-load exclude each other");

  client c{static_cast<unsigned short>(o.port), o.admin_token};
  std::vector<dataset> sets{{"big", o.events, 1}};
  for (std::uint64_t t = 1; t <= o.others; ++t) {
    std::string id = (t < 10 ? "t0" : "t") + std::to_string(t);
    sets.push_back({id, o.other_events, 100 + t});
  }
  std::vector<std::string> keys;
  if (o.skip_load) {
    keys.push_back(tenant_key(c, "big", true));  // the neighbours' data is already there
  } else {
    for (auto& s : sets) keys.push_back(tenant_key(c, s.tenant, false));
    load(c, sets, keys, static_cast<int>(o.threads));
  }
  if (!o.load_only) bench_reads(c, sets[0], keys[0], static_cast<int>(o.reps));
  std::fflush(stdout);
  return 0;
} catch (const std::exception& e) {
  die(std::string("unexpected reply or failure: ") + e.what());  // a malformed reply voids the run
}
