#include "http/rate_limit_cache.hpp"

#include <algorithm>

namespace sluice {

std::string rate_limit_cache::key_of(const credential& who) {
  // A key hash is 32 raw bytes; a gateway tenant id is [a-z0-9_-]: they cannot collide.
  return who.key_hash.empty() ? who.tenant_id : who.key_hash;
}

std::optional<rate_limit_cache::refusal> rate_limit_cache::check(const credential& who,
                                                                 clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.empty()) return std::nullopt;
  auto found = entries_.find(key_of(who));
  if (found == entries_.end()) return std::nullopt;
  auto& e = found->second;
  if (e.until <= now) {
    entries_.erase(found);
    return std::nullopt;
  }
  refusal out = e.r;
  // The actor's Retry-After and RateLimit-Reset were counted from when it refused: count down.
  auto elapsed = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(now - e.remembered_at).count());
  if (elapsed > 0) {
    out.error.retry_after_sec = std::max(1, out.error.retry_after_sec - elapsed);
    for (auto& [name, value] : out.error.headers)
      if (name == "RateLimit-Reset")
        value = std::to_string(std::max(0, std::stoi(value) - elapsed));
  }
  out.log_line = now - e.logged_at >= std::chrono::seconds(1);
  out.unlogged = e.r.unlogged;
  if (out.log_line) {
    e.logged_at = now;
    e.r.unlogged = 0;
  } else {
    ++e.r.unlogged;
  }
  return out;
}

void rate_limit_cache::remember(const credential& who, refusal r, clock::time_point until,
                                std::uint64_t generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_) return;
  if (entries_.size() >= max_entries) {
    auto expired_before = clock::now();
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second.until <= expired_before ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= max_entries) return;  // the actors still refuse; only slower
  }
  auto now = clock::now();
  entries_[key_of(who)] = entry{std::move(r), until, now, now};
}

void rate_limit_cache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  entries_.clear();
}

}  // namespace sluice
