// Bounded crash test: SIGKILLs the real server at random moments while clients ingest, restarts
// it on the same data dir, and checks the contract's durability promises: every event that was
// acknowledged (durable ack) is stored exactly once with the seq it was acknowledged with, and
// the tenant's seqs stay 1..N with no gap and no reuse. Seed: SLUICE_CRASH_SEED (printed).
#include "tests/integration/sluice_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using sluice::client_response;
using sluice::http_call;
using sluice::testing::sluice_process;
using json = nlohmann::json;

namespace {

using clock_type = std::chrono::steady_clock;
using headers_t = std::vector<std::pair<std::string, std::string>>;

constexpr int kThreads = 4;
constexpr int kMinCycles = 20;
constexpr int kMaxCycles = 60;
constexpr auto kCycleBudget = std::chrono::seconds(45);  // extra cycles only while under this
constexpr auto kHardDeadline = std::chrono::seconds(85);
constexpr int kRequestTimeoutMs = 10000;  // a kill resets connections at once

std::string event_body(const std::string& id) {
  return json{{"event_id", id},
              {"event_type", "crash_probe"},
              {"timestamp", "2026-01-01T00:00:00Z"},
              {"properties", {{"probe", id}}}}
      .dump();
}

std::string batch_body(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + event_body(ids[i]);
  return out + "]";
}

// What became of one request's events.
struct outcome {
  enum kind { unknown, acked, invalid } what = unknown;
  std::vector<std::pair<bool, std::uint64_t>> events;  // (duplicate, seq) per event when acked
  std::string why;                                     // for invalid: what was wrong
};

// A status that leaves the fate of the request's events open: no reply at all, overload, or a
// write that timed out inside the server (503 may still commit later).
bool fate_unknown(int status) {
  return status == 0 || status == 503 || status == 429;
}

outcome send_single(unsigned short port, const std::string& key, const std::string& id) {
  auto res = http_call("127.0.0.1", port, "POST", "/v1/events",
                       headers_t{{"Content-Type", "application/json"}, {"X-API-Key", key}},
                       event_body(id), kRequestTimeoutMs);
  outcome o;
  if (fate_unknown(res.status)) return o;
  try {
    auto j = json::parse(res.body);
    if (res.status == 201 && j.at("status") == "stored") {
      o.what = outcome::acked;
      o.events.emplace_back(false, j.at("seq").get<std::uint64_t>());
      return o;
    }
    if (res.status == 200 && j.at("status") == "duplicate") {
      o.what = outcome::acked;
      o.events.emplace_back(true, j.at("seq").get<std::uint64_t>());
      return o;
    }
  } catch (const std::exception&) {
  }
  o.what = outcome::invalid;
  o.why = "POST /v1/events " + id + " -> " + std::to_string(res.status) + " " + res.body;
  return o;
}

outcome send_batch(unsigned short port, const std::string& key,
                   const std::vector<std::string>& ids) {
  auto res = http_call("127.0.0.1", port, "POST", "/v1/events/batch",
                       headers_t{{"Content-Type", "application/json"}, {"X-API-Key", key}},
                       batch_body(ids), kRequestTimeoutMs);
  outcome o;
  if (fate_unknown(res.status)) return o;
  o.what = outcome::invalid;
  o.why = "POST /v1/events/batch [" + ids.front() + "..] -> " + std::to_string(res.status) + " " +
          res.body;
  if (res.status != 200) return o;
  try {
    auto j = json::parse(res.body);
    auto& results = j.at("results");
    if (results.size() != ids.size()) return o;
    std::uint64_t last_stored = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto& r = results[i];
      if (r.at("index").get<std::size_t>() != i) return o;
      bool dup = r.at("status") == "duplicate";
      if (!dup && r.at("status") != "stored") return o;
      auto seq = r.at("seq").get<std::uint64_t>();
      // Events of one request keep their order.
      if (!dup) {
        if (seq <= last_stored) {
          o.why += " (stored seqs out of order)";
          return o;
        }
        last_stored = seq;
      }
      o.events.emplace_back(dup, seq);
    }
  } catch (const std::exception&) {
    return o;
  }
  o.what = outcome::acked;
  o.why.clear();
  return o;
}

// Everything the clients learnt; merged on the test thread after each phase.
struct ledger {
  std::map<std::string, std::uint64_t> acked;  // event_id -> seq it was acknowledged with
  std::set<std::string> unknown;               // sent, fate unknown
  std::set<std::string> sent;                  // every event_id ever sent
  std::vector<std::string> errors;             // contract violations seen by clients
  std::size_t retried_stored = 0, retried_duplicate = 0;  // how retried unknowns turned out

  std::map<std::uint64_t, std::string> by_seq;  // seq -> the event_id acknowledged with it

  // One seq names one event, and one event keeps its seq.
  void note_ack(const std::string& id, std::uint64_t seq) {
    auto [it, inserted] = acked.emplace(id, seq);
    if (!inserted && it->second != seq)
      errors.push_back("event " + id + " acknowledged with seq " + std::to_string(it->second) +
                       " and later with seq " + std::to_string(seq));
    auto [other, fresh_seq] = by_seq.emplace(seq, id);
    if (!fresh_seq && other->second != id)
      errors.push_back("seq " + std::to_string(seq) + " acknowledged for both " + other->second +
                       " and " + id);
  }

  // Folds the outcome of one request into the ledger. `fresh`: never sent before, so a
  // "duplicate" answer is itself a violation.
  void record(const std::vector<std::string>& ids, const outcome& o, bool fresh) {
    for (auto& id : ids) sent.insert(id);
    if (o.what == outcome::invalid) {
      errors.push_back(o.why);
      return;
    }
    if (o.what == outcome::unknown) {
      for (auto& id : ids) unknown.insert(id);
      return;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto [dup, seq] = o.events[i];
      if (fresh && dup)
        errors.push_back("never-sent event " + ids[i] + " answered duplicate seq " +
                         std::to_string(seq));
      note_ack(ids[i], seq);
      if (!fresh) ++(dup ? retried_duplicate : retried_stored);
      unknown.erase(ids[i]);
    }
  }
};

// One client thread of one cycle: sends fresh events until told to stop.
void client_loop(unsigned short port, const std::string& key, int cycle, int thread,
                 std::uint64_t seed, const std::atomic<bool>& stop, ledger& out) {
  std::mt19937_64 rng(seed);
  int next = 0;
  auto fresh_id = [&] {
    return "c" + std::to_string(cycle) + "-t" + std::to_string(thread) + "-" +
           std::to_string(next++);
  };
  // A request without an answer ends the loop: the server is (being) killed, and a client that
  // spun on refused connections would only pile up unknowns.
  while (!stop.load()) {
    std::vector<std::string> ids(rng() % 3 == 0 ? 5 + rng() % 16 : 1);  // batch of 5..20, or one
    for (auto& id : ids) id = fresh_id();
    auto o = ids.size() == 1 ? send_single(port, key, ids[0]) : send_batch(port, key, ids);
    out.record(ids, o, true);
    if (o.what == outcome::unknown) break;
  }
}

void wait_ready(unsigned short port) {
  auto deadline = clock_type::now() + std::chrono::seconds(15);
  while (clock_type::now() < deadline) {
    if (http_call("127.0.0.1", port, "GET", "/readyz", {}, "", 1000).status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("sluice did not become ready within 15 s after restart");
}

template <class T>
std::vector<T> sample(const std::set<T>& from, std::size_t n, std::mt19937_64& rng) {
  std::vector<T> all(from.begin(), from.end());
  std::shuffle(all.begin(), all.end(), rng);
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace

TEST_CASE("crash: kill -9 under load loses and doubles no acknowledged event",
          "[integration][crash]") {
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("SLUICE_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "crash test seed: " << seed << " (set SLUICE_CRASH_SEED to repeat the choices)"
            << std::endl;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);

  auto started = clock_type::now();
  sluice_process server;
  auto key = server.create_tenant("crashy");
  auto port = server.port();
  ledger book;
  std::size_t unknown_seen = 0, unknown_resent = 0, acked_resent = 0;

  int cycle = 0;
  for (; cycle < kMaxCycles; ++cycle) {
    auto elapsed = clock_type::now() - started;
    if (cycle >= kMinCycles && elapsed > kCycleBudget) break;
    REQUIRE(elapsed < kHardDeadline);

    // Load, then a kill at a random moment while the clients are mid-flight.
    std::atomic<bool> stop{false};
    std::vector<ledger> parts(kThreads);
    std::vector<std::thread> clients;
    for (int t = 0; t < kThreads; ++t)
      clients.emplace_back(client_loop, port, key, cycle, t, rng(), std::cref(stop),
                           std::ref(parts[t]));
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 371));
    server.kill();
    stop = true;
    for (auto& c : clients) c.join();

    std::size_t unknown_before = book.unknown.size();
    for (auto& p : parts) {
      for (auto& [id, seq] : p.acked) book.note_ack(id, seq);
      book.unknown.insert(p.unknown.begin(), p.unknown.end());
      book.sent.insert(p.sent.begin(), p.sent.end());
      book.errors.insert(book.errors.end(), p.errors.begin(), p.errors.end());
    }
    unknown_seen += book.unknown.size() - unknown_before;

    server.restart();
    wait_ready(port);

    // Retries of events whose fate was unknown: stored now (201) or already (200), never an error.
    auto retry = sample(book.unknown, 40, rng);
    unknown_resent += retry.size();
    for (std::size_t i = 0; i < retry.size();) {
      std::size_t n = rng() % 2 ? 1 : 2 + rng() % 6;  // alone, or in a batch of 2..7
      std::vector<std::string> ids(retry.begin() + i,
                                   retry.begin() + std::min(retry.size(), i + n));
      i += ids.size();
      auto o = ids.size() == 1 ? send_single(port, key, ids[0]) : send_batch(port, key, ids);
      if (o.what == outcome::unknown)  // the server is up and ready: it owes an answer
        book.errors.push_back("retry of unknown " + ids.front() + ".. got no answer");
      book.record(ids, o, false);
    }

    // Retries of acknowledged events: 200 duplicate with exactly the acknowledged seq.
    std::set<std::string> acked_ids;
    for (auto& kv : book.acked) acked_ids.insert(kv.first);
    auto again = sample(acked_ids, 6, rng);
    acked_resent += again.size();
    auto expect_duplicates = [&](const std::vector<std::string>& ids, const outcome& o) {
      if (o.what != outcome::acked) {
        book.errors.push_back("retry of acknowledged " + ids.front() + ".. " +
                              (o.what == outcome::unknown ? std::string("got no answer") : o.why));
        return;
      }
      for (std::size_t k = 0; k < ids.size(); ++k) {
        auto want = book.acked.at(ids[k]);
        auto [dup, seq] = o.events[k];
        if (!dup || seq != want)
          book.errors.push_back("retry of acknowledged " + ids[k] + " (seq " +
                                std::to_string(want) + ") answered " +
                                (dup ? "duplicate" : "stored") + " seq " + std::to_string(seq));
      }
    };
    std::size_t singles = std::min<std::size_t>(3, again.size());
    for (std::size_t i = 0; i < singles; ++i)
      expect_duplicates({again[i]}, send_single(port, key, again[i]));
    if (again.size() > singles) {
      std::vector<std::string> rest(again.begin() + singles, again.end());
      expect_duplicates(rest, send_batch(port, key, rest));
    }

    if (!book.errors.empty()) break;  // stop early; reported below
  }

  for (auto& e : book.errors) FAIL_CHECK(e);
  REQUIRE(book.errors.empty());

  // Read everything back, in seq order.
  std::map<std::string, std::uint64_t> stored;  // event_id -> seq
  std::uint64_t after = 0, expected_seq = 1;
  std::vector<std::string> read_errors;
  std::size_t wrong_tenant = 0;  // events whose tenant_id does not read back as the caller's
  for (;;) {
    REQUIRE(clock_type::now() - started < kHardDeadline + std::chrono::seconds(20));
    auto res = server.get("/v1/events?after_seq=" + std::to_string(after) + "&limit=1000", key);
    REQUIRE(res.status == 200);
    auto page = json::parse(res.body);
    auto& events = page.at("events");
    for (auto& e : events) {
      auto seq = e.at("seq").get<std::uint64_t>();
      auto id = e.at("event_id").get<std::string>();
      if (seq != expected_seq)
        read_errors.push_back("seq " + std::to_string(seq) + " where " +
                              std::to_string(expected_seq) + " was due (gap or repeat)");
      expected_seq = seq + 1;
      if (!stored.emplace(id, seq).second)
        read_errors.push_back("event " + id + " stored twice: seq " + std::to_string(stored[id]) +
                              " and " + std::to_string(seq));
      if (!book.sent.count(id)) read_errors.push_back("event " + id + " stored but never sent");
      if (e.value("tenant_id", "") != "crashy") ++wrong_tenant;
      if (e.value("event_type", "") != "crash_probe" || e.at("properties").value("probe", "") != id)
        read_errors.push_back("event at seq " + std::to_string(seq) +
                              " has a wrong body: " + e.dump());
    }
    // next_after_seq: where the next page starts, or null after the last one.
    auto& next = page.at("next_after_seq");
    if (next.is_null()) break;
    REQUIRE(!events.empty());  // an unfiltered page that says "more" has events
    REQUIRE(next.get<std::uint64_t>() == expected_seq - 1);
    after = expected_seq - 1;
  }
  std::uint64_t final_n = expected_seq - 1;

  for (auto& [id, seq] : book.acked) {
    auto it = stored.find(id);
    if (it == stored.end())
      read_errors.push_back("acknowledged event " + id + " (seq " + std::to_string(seq) + ") lost");
    else if (it->second != seq)
      read_errors.push_back("acknowledged event " + id + " has seq " + std::to_string(it->second) +
                            " but was acknowledged with " + std::to_string(seq));
  }

  std::ostringstream summary;
  summary
      << "crash test: seed " << seed << ", " << cycle << " cycles, " << book.acked.size()
      << " events acknowledged, " << unknown_seen << " unknown (" << unknown_resent
      << " retried: " << book.retried_duplicate << " had been stored, " << book.retried_stored
      << " had not; " << book.unknown.size() << " still unknown), " << acked_resent
      << " acknowledged retried, final N " << final_n << ", "
      << std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count()
      << " ms";
  std::cout << summary.str() << std::endl;
  INFO(summary.str());
  std::size_t shown = 0;
  for (auto& e : read_errors)
    if (shown++ < 50) FAIL_CHECK(e);
  REQUIRE(read_errors.empty());
  CHECK(wrong_tenant == 0);
  CHECK(cycle >= kMinCycles);
  CHECK(final_n >= book.acked.size());
  CHECK(stored.size() == final_n);
}
