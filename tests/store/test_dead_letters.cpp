#include "store/dead_letters.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace sluice;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/sluice-dlq-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
};

dead_letter letter(std::string tenant, std::string body) {
  dead_letter d;
  d.tenant = std::move(tenant);
  d.kind = "event";
  d.reason = "store unavailable";
  d.attempts = 5;
  d.first_failed_at_us = 100;
  d.last_failed_at_us = 200;
  d.event.dedup_digest = std::string("\x00\xff\x10 digest bytes", 16);
  d.event.body = std::move(body);
  d.event.event_type = "login";
  d.event.timestamp_us = 42;
  return d;
}

}  // namespace

TEST_CASE("dead letters keep every field and are listed per tenant in id order") {
  temp_dir dir;
  std::error_code ec;
  auto store = dead_letter_store::open(dir.path, false, ec);
  REQUIRE(store);
  std::vector<dead_letter> letters{letter("acme", "{\"a\":1}"), letter("other", "{\"b\":2}"),
                                   letter("acme", "{\"c\":3}")};
  REQUIRE_FALSE(store->add(letters));
  CHECK(letters[0].id < letters[1].id);
  CHECK(letters[1].id < letters[2].id);

  std::vector<dead_letter> acme;
  REQUIRE_FALSE(store->list("acme", 0, 100, acme));
  REQUIRE(acme.size() == 2);
  CHECK(acme[0].event.body == "{\"a\":1}");
  CHECK(acme[1].event.body == "{\"c\":3}");
  CHECK(acme[0].event.dedup_digest == letters[0].event.dedup_digest);
  CHECK(acme[0].attempts == 5);
  CHECK(acme[0].first_failed_at_us == 100);
  CHECK(acme[0].event.event_type == "login");

  std::vector<dead_letter> page;
  REQUIRE_FALSE(store->list("acme", acme[0].id, 100, page));
  REQUIRE(page.size() == 1);
  CHECK(page[0].id == acme[1].id);

  // Another tenant's id is not found through this tenant, and cannot be removed by it.
  std::vector<dead_letter> found;
  REQUIRE_FALSE(store->find("acme", {letters[1].id, letters[2].id}, found));
  REQUIRE(found.size() == 1);
  CHECK(found[0].id == letters[2].id);
  std::size_t removed = 0;
  REQUIRE_FALSE(store->remove("acme", {letters[1].id}, removed));
  CHECK(removed == 0);

  found[0].attempts = 6;
  REQUIRE_FALSE(store->update(found[0]));
  REQUIRE_FALSE(store->remove("acme", {letters[0].id}, removed));
  CHECK(removed == 1);
  acme.clear();
  REQUIRE_FALSE(store->list("acme", 0, 100, acme));
  REQUIRE(acme.size() == 1);
  CHECK(acme[0].attempts == 6);

  REQUIRE_FALSE(store->purge("other", removed));
  CHECK(removed == 1);
}

TEST_CASE("dead letter ids keep increasing across reopening") {
  temp_dir dir;
  std::error_code ec;
  std::uint64_t last = 0;
  {
    auto store = dead_letter_store::open(dir.path, false, ec);
    std::vector<dead_letter> letters{letter("acme", "{}")};
    REQUIRE_FALSE(store->add(letters));
    last = letters[0].id;
  }
  auto store = dead_letter_store::open(dir.path, false, ec);
  std::vector<dead_letter> letters{letter("acme", "{}")};
  REQUIRE_FALSE(store->add(letters));
  CHECK(letters[0].id == last + 1);
}

TEST_CASE("dead-letter names are dl-<id>, and only those parse") {
  CHECK(letter_name(7) == "dl-7");
  CHECK(parse_letter_name("dl-7") == 7);
  CHECK(parse_letter_name("dl-18446744073709551615") == 18446744073709551615ULL);
  for (const char* bad : {"", "dl-", "dl-0", "dl-07", "dl--1", "dl-1x", "DL-1", "7", "dl-1 ",
                          "dl-18446744073709551616"})
    CHECK(parse_letter_name(bad) == 0);
}
