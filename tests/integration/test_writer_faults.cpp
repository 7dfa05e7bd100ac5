// Writer commits failing at random (1%) under load from several clients, single events and
// batches, durable and ack=received: afterwards every event is accounted for — acknowledged ones
// stored exactly once, refused ones stored at most once, received ones stored or dead-lettered —
// and replaying the dead letters stores each of those exactly once.
#include "tests/integration/event_ledger.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

using sluice::http_call;
using sluice::testing::dead_letters;
using sluice::testing::probe_batch;
using sluice::testing::probe_event;
using sluice::testing::sluice_process;
using sluice::testing::stored_counts;
using json = nlohmann::json;

namespace {

enum class fate { acked, accepted, refused };

constexpr int kClients = 4;
constexpr int kRounds = 40;  // per client; each round sends 1 + 10 + 1 + 10 events
constexpr int kBatchSize = 10;

struct ledger {
  std::mutex mutex;
  std::map<std::string, fate> events;

  void note(const std::vector<std::string>& ids, fate f) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& id : ids) events[id] = f;
  }
};

// One request of one client: its events and how the server answered.
void send(sluice_process& s, const std::string& key, const std::vector<std::string>& ids,
          bool batch, bool durable, ledger& book) {
  std::string target = batch ? "/v1/events/batch" : "/v1/events";
  if (!durable) target += "?ack=received";
  auto res = http_call("127.0.0.1", s.port(), "POST", target,
                       {{"Content-Type", "application/json"}, {"X-API-Key", key}},
                       batch ? probe_batch(ids) : probe_event(ids[0]), 30000);
  if (res.status == 202) return book.note(ids, fate::accepted);
  if (res.status != 200 && res.status != 201) return book.note(ids, fate::refused);
  if (!batch) return book.note(ids, fate::acked);
  auto body = json::parse(res.body);
  REQUIRE(body.at("results").size() == ids.size());  // durable batches report every event
  book.note(ids, fate::acked);
}

void client(sluice_process& s, const std::string& key, int c, ledger& book) {
  int next = 0;
  auto ids = [&](int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
      out.push_back("c" + std::to_string(c) + "-" + std::to_string(next++));
    return out;
  };
  for (int round = 0; round < kRounds; ++round) {
    send(s, key, ids(1), false, true, book);
    send(s, key, ids(kBatchSize), true, true, book);
    send(s, key, ids(1), false, false, book);
    send(s, key, ids(kBatchSize), true, false, book);
  }
}

// True when every accepted (202) event is stored or dead-lettered: the writer has settled them.
bool received_settled(sluice_process& s, const std::string& key, ledger& book) {
  auto stored = stored_counts(s, key);
  std::set<std::string> lettered;
  for (auto& d : dead_letters(s, key)) lettered.insert(d.at("event").at("event_id"));
  for (auto& [id, f] : book.events)
    if (f == fate::accepted && !stored.count(id) && !lettered.count(id)) return false;
  return true;
}

}  // namespace

TEST_CASE("writer faults: at 1% every event is stored once, refused, or dead-lettered",
          "[integration]") {
  // 5 attempts: the faults are retried away; 1 attempt: every fault dead-letters its writes.
  auto attempts = GENERATE(as<std::string>{}, "5", "1");
  INFO("writer.retry_attempts = " << attempts);
  // 1% at random, and the 50th commit for certain, so the run never passes without a fault.
  sluice_process s(std::map<std::string, std::string>{
      {"SLUICE_FAULTS", "writer_commit:p=0.01,writer_commit:nth=50"},
      {"SLUICE_WRITER_RETRY_ATTEMPTS", attempts},
      {"SLUICE_SHARDS", "1"}});
  auto key = s.create_tenant("acme");
  ledger book;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back([&, c] { client(s, key, c, book); });
  for (auto& t : clients) t.join();
  REQUIRE(book.events.size() == kClients * kRounds * (2 + 2 * kBatchSize));

  for (int i = 0; i < 200 && !received_settled(s, key, book); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

  auto stored = stored_counts(s, key);
  std::multiset<std::string> lettered;
  for (auto& d : dead_letters(s, key)) lettered.insert(d.at("event").at("event_id"));
  std::map<fate, int> tally;
  for (auto& [id, f] : book.events) {
    INFO(id);
    ++tally[f];
    int n = stored.count(id) ? stored[id] : 0;
    CHECK(n <= 1);
    if (f == fate::acked) CHECK(n == 1);
    if (f == fate::accepted) CHECK(n + static_cast<int>(lettered.count(id)) >= 1);
  }
  for (auto& [id, n] : stored) CHECK(n == 1);
  INFO("acked " << tally[fate::acked] << ", accepted " << tally[fate::accepted] << ", refused "
                << tally[fate::refused] << ", dead letters " << lettered.size());
  // Every failed attempt is logged with its reason. (With one attempt, a failed group whose
  // writes then each commit alone leaves no refusal and no letter, so those may be zero.)
  CHECK(s.log_shows("injected fault: writer_commit"));

  // Replay until no letter is left (a replay can meet the 1% too, and then keeps its letter).
  for (int i = 0; i < 20 && !dead_letters(s, key).empty(); ++i) {
    auto res = s.post("/v1/dead-letters/replay", "{}", key);
    REQUIRE(res.status == 200);
  }
  CHECK(dead_letters(s, key).empty());
  stored = stored_counts(s, key);
  for (auto& [id, n] : stored) CHECK(n == 1);
  for (auto& id : lettered) CHECK(stored.count(id) == 1);
  for (auto& [id, f] : book.events)
    if (f != fate::refused) CHECK(stored.count(id) == 1);
}
