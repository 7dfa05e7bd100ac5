#include "actors/retry_backoff.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace sluice;

TEST_CASE("retry waits double each time within equal jitter, up to the cap") {
  std::mt19937_64 random{42};
  for (int round = 0; round < 200; ++round) {
    for (int retry = 0; retry < 10; ++retry) {
      std::int64_t ceiling = std::min<std::int64_t>(1000, 10LL << retry);
      auto d = retry_delay(retry, 10, 1000, random).count();
      CHECK(d >= ceiling / 2);
      CHECK(d <= ceiling);
    }
  }
}

TEST_CASE("retry waits are jittered, not fixed") {
  std::mt19937_64 random{7};
  std::set<std::int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(retry_delay(3, 10, 1000, random).count());
  CHECK(seen.size() > 5);
}
