#include "store/event_queries.hpp"
#include "store/keys.hpp"
#include "store/secrets.hpp"
#include "store/shard_store.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <deque>
#include <string>

using namespace sluice;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/sluice-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string digest(const std::string& dedup_key) {
  return sha256(dedup_key).substr(0, 16);
}

// Events owned by the test; the store takes pointers to them.
std::deque<journal_event>& arena() {
  static std::deque<journal_event> events;
  return events;
}

event_to_store ev(std::string_view tenant, const std::string& dedup_digest, std::string body,
                  std::string type = "t", std::int64_t ts = 1000000, std::string session = "",
                  std::string event_id = "") {
  arena().push_back({dedup_digest, std::move(body), std::move(type), std::move(session),
                     std::move(event_id), ts});
  return {tenant, &arena().back()};
}

std::vector<std::uint64_t> seqs_of(shard_store& store, const std::string& tenant) {
  event_filter f;
  f.limit = 1000;
  event_page page;
  REQUIRE_FALSE(query_events(store, tenant, f, page));
  std::vector<std::uint64_t> out;
  for (auto& e : page.events) out.push_back(std::stoull(e.substr(7)));
  return out;
}

}  // namespace

TEST_CASE("keys: a tenant's keys sort together and by seq") {
  CHECK(keys::event("a", 2) < keys::event("a", 10));
  CHECK(keys::event("a", 0xffffffffffULL) < keys::event("a-b", 1));  // '\0' sorts before '-'
  CHECK(keys::event_seq(keys::event("acme", 123456789)) == 123456789);
  CHECK(keys::tenant_prefix("acme") == std::string("acme\0", 5));
}

TEST_CASE("shard store: seq counts 1, 2, 3 per tenant and duplicates keep the original seq") {
  temp_dir dir;
  std::error_code ec;
  auto store = shard_store::open(dir.path, 64 << 20, false, ec);
  REQUIRE(store);
  auto d1 = digest("k:e1"), d2 = digest("k:e2"), d3 = digest("k:e3");
  std::vector<event_to_store> batch = {
      ev("a", d1, R"({"n":1})"), ev("a", d2, R"({"n":2})"), ev("b", d1, R"({"n":1})"),
      ev("a", d1, R"({"n":"again"})"),  // duplicate inside the same transaction
  };
  std::vector<store_outcome> out;
  REQUIRE_FALSE(store->append(batch, 1000, 3600, out));
  REQUIRE(out.size() == 4);
  CHECK((!out[0].duplicate && out[0].seq == 1));
  CHECK((!out[1].duplicate && out[1].seq == 2));
  CHECK((!out[2].duplicate && out[2].seq == 1));  // tenant b has its own seq and dedup keys
  CHECK((out[3].duplicate && out[3].seq == 1));

  REQUIRE_FALSE(store->append({ev("a", d3, "{}"), ev("a", d2, "{}")}, 1001, 3600, out));
  CHECK((!out[0].duplicate && out[0].seq == 3));
  CHECK((out[1].duplicate && out[1].seq == 2));
  CHECK(seqs_of(*store, "a") == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(seqs_of(*store, "b") == std::vector<std::uint64_t>{1});
}

TEST_CASE("shard store: seq and dedup survive reopening the environment") {
  temp_dir dir;
  std::error_code ec;
  std::vector<store_outcome> out;
  {
    auto store = shard_store::open(dir.path, 64 << 20, false, ec);
    REQUIRE_FALSE(
        store->append({ev("a", digest("x"), "{}"), ev("a", digest("y"), "{}")}, 1000, 3600, out));
  }
  auto store = shard_store::open(dir.path, 64 << 20, false, ec);
  REQUIRE(store);
  REQUIRE_FALSE(
      store->append({ev("a", digest("y"), "{}"), ev("a", digest("z"), "{}")}, 1000, 3600, out));
  CHECK((out[0].duplicate && out[0].seq == 2));
  CHECK((!out[1].duplicate && out[1].seq == 3));
}

TEST_CASE("shard store: a dedup key is forgotten after the window") {
  temp_dir dir;
  std::error_code ec;
  auto store = shard_store::open(dir.path, 64 << 20, false, ec);
  std::vector<store_outcome> out;
  REQUIRE_FALSE(store->append({ev("a", digest("x"), "{}")}, 1000, 60, out));
  REQUIRE_FALSE(store->append({ev("a", digest("x"), "{}")}, 1059, 60, out));
  CHECK((out[0].duplicate && out[0].seq == 1));
  REQUIRE_FALSE(store->append({ev("a", digest("x"), "{}")}, 1060, 60, out));
  CHECK((!out[0].duplicate && out[0].seq == 2));
}

TEST_CASE("shard store: the map grows when full and nothing is lost") {
  temp_dir dir;
  std::error_code ec;
  auto store = shard_store::open(dir.path, 1 << 20, false, ec);  // 1 MiB: fills quickly
  REQUIRE(store);
  std::string body(2000, 'x');
  std::vector<store_outcome> out;
  std::uint64_t expected = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> digests;
    for (int i = 0; i < 100; ++i) digests.push_back(digest(std::to_string(round * 100 + i)));
    std::vector<event_to_store> batch;
    for (auto& d : digests) batch.push_back(ev("a", d, body));
    REQUIRE_FALSE(store->append(batch, 1000, 3600, out));
    for (auto& o : out) CHECK(o.seq == ++expected);
  }
  CHECK(seqs_of(*store, "a").size() == 1000);
}

TEST_CASE("shard store: deleting a tenant removes its events, counters and dedup keys only") {
  temp_dir dir;
  std::error_code ec;
  auto store = shard_store::open(dir.path, 64 << 20, false, ec);
  std::vector<store_outcome> out;
  REQUIRE_FALSE(
      store->append({ev("a", digest("x"), "{}"), ev("ab", digest("x"), "{}")}, 1000, 3600, out));
  REQUIRE_FALSE(store->delete_tenant("a"));
  CHECK(seqs_of(*store, "a").empty());
  CHECK(seqs_of(*store, "ab") == std::vector<std::uint64_t>{1});
  REQUIRE_FALSE(store->append({ev("a", digest("x"), "{}")}, 1000, 3600, out));
  CHECK((!out[0].duplicate && out[0].seq == 1));
}

TEST_CASE("shard store: reads splice seq and tenant_id into the stored body") {
  CHECK(event_json(7, "acme", std::string(8, '\0') + R"({"event_type":"x"})") ==
        R"({"seq":7,"tenant_id":"acme","event_type":"x"})");
}

TEST_CASE("shard store: the sweep removes expired dedup keys and keeps renewed ones") {
  temp_dir dir;
  std::error_code ec;
  auto store = shard_store::open(dir.path, 64 << 20, false, ec);
  std::vector<store_outcome> out;
  REQUIRE_FALSE(store->append({ev("a", digest("old"), "{}"), ev("a", digest("renewed"), "{}")},
                              1000, 60, out));
  // "renewed" expires and is stored again with a later window.
  REQUIRE_FALSE(store->append({ev("a", digest("renewed"), "{}")}, 1070, 60, out));
  CHECK((!out[0].duplicate && out[0].seq == 3));
  std::size_t removed = 0;
  REQUIRE_FALSE(store->sweep_expired(1100, 100, removed));
  CHECK(removed == 2);  // both index entries of the first window
  // "renewed" is still remembered in its new window.
  REQUIRE_FALSE(store->append({ev("a", digest("renewed"), "{}")}, 1100, 60, out));
  CHECK((out[0].duplicate && out[0].seq == 3));
  REQUIRE_FALSE(store->sweep_expired(1200, 100, removed));
  CHECK(removed == 1);
}
