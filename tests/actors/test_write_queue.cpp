#include "actors/write_queue.hpp"

#include <catch2/catch.hpp>

using sluice::write_queue;
using names = std::vector<std::string>;

TEST_CASE("write queue: without fairness a commit takes writes in arrival order") {
  write_queue<std::string> q(false, 100);
  for (int i = 0; i < 5; ++i) q.push("heavy", 100, "h" + std::to_string(i));
  q.push("quiet", 1, "q0");
  CHECK(q.take(300) == names{"h0", "h1", "h2"});
  CHECK(q.take(300) == names{"h3", "h4", "q0"});
  CHECK(q.empty());
}

TEST_CASE("write queue: with fairness a quiet tenant gets into the next commit past a deep queue") {
  write_queue<std::string> q(true, 100);
  for (int i = 0; i < 50; ++i) q.push("heavy", 100, "h" + std::to_string(i));
  q.push("quiet", 1, "q0");
  // heavy may add one quantum (one write of 100) per commit; quiet's write goes in at once
  CHECK(q.take(20000) == names{"h0", "q0"});
  CHECK(q.events() == 49 * 100);
  CHECK(q.take(20000) == names{"h1"});
}

TEST_CASE("write queue: a write larger than the quantum is taken once its allowance is saved up") {
  write_queue<std::string> q(true, 100);
  q.push("big", 250, "b0");
  CHECK(q.take(20000) == names{"b0"});  // alone: passes repeat until it fits
  q.push("big", 250, "b1");
  q.push("small", 10, "s0");
  q.push("small", 10, "s1");
  CHECK(q.take(20000) == names{"s0", "s1"});
  CHECK(q.take(20000) == names{"b1"});
  CHECK(q.empty());
}

TEST_CASE("write queue: tenants take turns and the commit size limit holds") {
  write_queue<std::string> q(true, 1000);
  for (int i = 0; i < 3; ++i) {
    q.push("a", 400, "a" + std::to_string(i));
    q.push("b", 400, "b" + std::to_string(i));
  }
  CHECK(q.take(1000) == names{"a0", "a1"});  // 800: a third write would pass 1000
  CHECK(q.take(1000) == names{"a2", "b0"});
  CHECK(q.take(1000) == names{"b1", "b2"});
  CHECK(q.empty());
}
