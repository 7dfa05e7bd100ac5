// The writer shard's queue of writes waiting for the next group commit. Where tenants meet, so
// fairness is decided here: with `fair`, each commit takes from the tenants in deficit round-robin
// (each active tenant may add `quantum` events per commit, unused allowance carried over while it
// has work queued), so a tenant with a deep queue cannot fill every commit and make a quiet
// tenant wait behind it. Without `fair`: one FIFO. Owned by one writer actor; not thread-safe.
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice {

template <class Item>
class write_queue {
 public:
  write_queue(bool fair, std::size_t quantum) : fair_(fair), quantum_(quantum) {}

  void push(const std::string& tenant, std::size_t events, Item item) {
    events_ += events;
    if (!fair_) {
      fifo_.push_back({events, std::move(item)});
      return;
    }
    auto& q = tenants_[tenant];
    if (q.items.empty()) active_.push_back(tenant);
    q.items.push_back({events, std::move(item)});
  }

  bool empty() const { return events_ == 0 && fifo_.empty() && active_.empty(); }
  std::size_t events() const { return events_; }

  // The writes of the next commit: up to max_events events (at least one write if any).
  std::vector<Item> take(std::size_t max_events) {
    std::vector<Item> out;
    std::size_t n = 0;
    auto fits = [&](std::size_t events) { return out.empty() || n + events <= max_events; };
    if (!fair_) {
      while (!fifo_.empty() && fits(fifo_.front().events)) take_front(fifo_, out, n);
      return out;
    }
    // Passes over the active tenants until something is taken (a tenant whose next write is
    // bigger than its allowance needs several passes to save up for it).
    while (out.empty() && !active_.empty()) {
      for (std::size_t i = active_.size(); i > 0 && n < max_events; --i) {
        std::string tenant = std::move(active_.front());
        active_.pop_front();
        auto& q = tenants_[tenant];
        q.deficit += quantum_;
        while (!q.items.empty() && q.items.front().events <= q.deficit &&
               fits(q.items.front().events)) {
          q.deficit -= q.items.front().events;
          take_front(q.items, out, n);
        }
        if (q.items.empty())
          tenants_.erase(tenant);  // an idle tenant keeps no allowance
        else
          active_.push_back(std::move(tenant));
      }
    }
    return out;
  }

 private:
  struct entry {
    std::size_t events;
    Item item;
  };
  struct tenant_queue {
    std::deque<entry> items;
    std::size_t deficit = 0;
  };

  void take_front(std::deque<entry>& from, std::vector<Item>& out, std::size_t& n) {
    n += from.front().events;
    events_ -= from.front().events;
    out.push_back(std::move(from.front().item));
    from.pop_front();
  }

  bool fair_;
  std::size_t quantum_;
  std::size_t events_ = 0;
  std::deque<entry> fifo_;
  std::unordered_map<std::string, tenant_queue> tenants_;
  std::deque<std::string> active_;  // tenants with queued writes, in round-robin order
};

}  // namespace sluice
