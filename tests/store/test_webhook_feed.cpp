#include "store/secrets.hpp"
#include "store/webhook_feed.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <deque>

using namespace sluice;

TEST_CASE("webhook feed: events of several types merge in seq order without gaps") {
  char tmpl[] = "/tmp/sluice-feed-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::error_code ec;
  auto store = shard_store::open(dir, 16 << 20, false, ec);
  REQUIRE(store);
  // seq:  1 a, 2 b, 3 c, 4 a, 5 a, 6 c, 7 b, 8 a; another tenant in between.
  std::deque<journal_event> owned;
  std::vector<event_to_store> batch;
  const char* types = "abcaacba";
  for (int i = 0; i < 8; ++i) {
    std::string type(1, types[i]);
    owned.push_back({sha256("k" + std::to_string(i)).substr(0, 16),
                     R"({"event_type":")" + type + R"(","n":)" + std::to_string(i) + "}", type, "",
                     "", 1000000 + i});
    batch.push_back({"acme", &owned.back()});
    batch.push_back({"other", &owned.back()});
  }
  std::vector<store_outcome> out;
  REQUIRE_FALSE(store->append(batch, 1, 3600, out));
  CHECK(last_seq(*store, "acme", ec) == 8);
  CHECK(last_seq(*store, "nobody", ec) == 0);

  auto seqs = [&](std::vector<std::string> types, std::uint64_t after, std::size_t limit) {
    std::vector<feed_event> events;
    REQUIRE_FALSE(next_events(*store, "acme", types, after, limit, events));
    std::vector<std::uint64_t> s;
    for (auto& e : events) {
      CHECK(nlohmann::json::parse(e.json)["seq"] == e.seq);
      CHECK(e.timestamp_us == 1000000 + static_cast<std::int64_t>(e.seq) - 1);
      s.push_back(e.seq);
    }
    return s;
  };
  CHECK(seqs({"a", "c"}, 0, 100) == std::vector<std::uint64_t>{1, 3, 4, 5, 6, 8});
  // A full page of "a" (1, 4) bounds what is known: 3 is included, 6 is not yet.
  CHECK(seqs({"a", "c"}, 0, 2) == std::vector<std::uint64_t>{1, 3});
  CHECK(seqs({"c", "a"}, 3, 2) == std::vector<std::uint64_t>{4, 5});
  CHECK(seqs({"a", "c"}, 5, 2) == std::vector<std::uint64_t>{6, 8});
  CHECK(seqs({"b", "b"}, 0, 10) == std::vector<std::uint64_t>{2, 7});
  CHECK(seqs({"a"}, 8, 10).empty());
  CHECK(seqs({"zzz"}, 0, 10).empty());
  store.reset();
  (void)std::system(("rm -rf '" + dir + "'").c_str());
}
