// Exponential backoff with "equal jitter" for work that is retried (a writer shard's failed
// group commit, a webhook delivery): the nth retry waits a random time in [c/2, c] where c = min(max, base * 2^n),
// so waits grow while retries of many writers still spread out. Pure; callable from any thread
// with its own random engine.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace sluice {

// `retry` is 0 for the first retry.
inline std::chrono::milliseconds retry_delay(int retry, int base_ms, int max_ms,
                                             std::mt19937_64& random) {
  std::int64_t ceiling = base_ms;
  for (int i = 0; i < retry && ceiling < max_ms; ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, max_ms);
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  return std::chrono::milliseconds(pick(random));
}

}  // namespace sluice
