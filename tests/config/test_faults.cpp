#include "config/faults.hpp"

#include <catch2/catch.hpp>

using namespace sluice;

TEST_CASE("an empty fault spec injects nothing") {
  faults f;
  std::string error;
  REQUIRE(f.parse("", error));
  for (int i = 0; i < 100; ++i) CHECK_FALSE(f.fail(fault_point::writer_commit));
}

TEST_CASE("nth, first and every fail exactly the calls they name") {
  faults f;
  std::string error;
  REQUIRE(f.parse("writer_commit:nth=3,webhook_send:first=2,writer_start:every=4", error));
  std::vector<bool> commit, send, start;
  for (int i = 0; i < 8; ++i) {
    commit.push_back(f.fail(fault_point::writer_commit));
    send.push_back(f.fail(fault_point::webhook_send));
    start.push_back(f.fail(fault_point::writer_start));
  }
  CHECK(commit == std::vector<bool>{false, false, true, false, false, false, false, false});
  CHECK(send == std::vector<bool>{true, true, false, false, false, false, false, false});
  CHECK(start == std::vector<bool>{false, false, false, true, false, false, false, true});
}

TEST_CASE("a probability fails about that share of calls") {
  faults f;
  std::string error;
  REQUIRE(f.parse("writer_commit:p=0.1", error));
  int failed = 0;
  for (int i = 0; i < 20000; ++i) failed += f.fail(fault_point::writer_commit);
  CHECK(failed > 1500);
  CHECK(failed < 2500);
}

TEST_CASE("a malformed fault spec is refused with the reason") {
  std::string error;
  CHECK_FALSE(faults().parse("disk:p=0.1", error));
  CHECK(error.find("unknown point") != std::string::npos);
  CHECK_FALSE(faults().parse("writer_commit:p=2", error));
  CHECK_FALSE(faults().parse("writer_commit", error));
  CHECK_FALSE(faults().parse("writer_commit:nth=x", error));
}

TEST_CASE("writer_crash is a fault point of its own") {
  faults f;
  std::string error;
  REQUIRE(f.parse("writer_crash:nth=2", error));
  CHECK_FALSE(f.fail(fault_point::writer_crash));
  CHECK_FALSE(f.fail(fault_point::writer_commit));
  CHECK(f.fail(fault_point::writer_crash));
  CHECK_FALSE(f.fail(fault_point::writer_crash));
}
