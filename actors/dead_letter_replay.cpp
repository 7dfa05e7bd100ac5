#include "actors/dead_letter_replay.hpp"

#include "config/log.hpp"
#include "store/timestamp.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <set>

namespace sluice {
namespace {

using json = nlohmann::json;

// One replay call, shared by its two halves; the one that finishes last answers.
struct replay_run {
  const node_context* ctx = nullptr;
  std::string tenant;
  std::vector<std::uint64_t> order;  // ids as asked (or listed), for the results
  std::vector<dead_letter> events, webhooks;
  bool more = false;
  write_result stored;                        // the writer's answer for `events`
  std::vector<std::string> webhook_failures;  // one per webhook letter; empty: delivered
  std::atomic<int> halves{2};
  admin_callback cb;
};

void finish(replay_run& run);

void half_done(const std::shared_ptr<replay_run>& run) {
  if (--run->halves == 0) finish(*run);
}

json result(std::uint64_t id, const char* status) {
  return {{"id", letter_name(id)}, {"status", status}};
}

void finish(replay_run& run) {
  auto& letters = run.ctx->dead_letters;
  auto now = now_micros();
  std::map<std::uint64_t, json> results;
  std::vector<std::uint64_t> done;
  std::size_t stored = 0, duplicates = 0, delivered = 0, failed = 0;
  auto fail = [&](dead_letter& d, const std::string& reason) {
    ++failed;
    d.attempts += 1;
    d.last_failed_at_us = now;
    d.reason = reason;
    if (auto ec = letters.update(d))
      log_error("cannot update a dead letter after its replay failed",
                {{"tenant", run.tenant}, {"id", letter_name(d.id)}, {"error", ec.message()}});
    results[d.id] = result(d.id, "failed");
    results[d.id]["reason"] = reason;
  };
  for (std::size_t i = 0; i < run.events.size(); ++i) {
    auto& d = run.events[i];
    if (run.stored.status != 0 || i >= run.stored.outcomes.size()) {
      fail(d, run.stored.reason.empty() ? "the replay was not stored" : run.stored.reason);
      continue;
    }
    auto& o = run.stored.outcomes[i];
    (o.duplicate ? duplicates : stored)++;
    results[d.id] = result(d.id, o.duplicate ? "duplicate" : "stored");
    results[d.id]["seq"] = o.seq;
    done.push_back(d.id);
  }
  if (stored) run.ctx->metrics.stored(run.tenant, stored);
  if (duplicates) run.ctx->metrics.duplicates(run.tenant, duplicates);
  for (std::size_t i = 0; i < run.webhooks.size(); ++i) {
    auto& d = run.webhooks[i];
    const std::string& reason = i < run.webhook_failures.size()
                                    ? run.webhook_failures[i]
                                    : std::string("the delivery was not attempted");
    if (!reason.empty()) {
      fail(d, reason);
      continue;
    }
    ++delivered;
    results[d.id] = result(d.id, "delivered");
    done.push_back(d.id);
  }
  std::size_t removed = 0;
  if (!done.empty())
    if (auto ec = letters.remove(run.tenant, done, removed))
      log_error("cannot remove replayed dead letters; a later replay finds them duplicates",
                {{"tenant", run.tenant}, {"error", ec.message()}});
  json list = json::array();
  std::size_t not_found = 0;
  for (auto id : run.order) {
    auto r = results.find(id);
    if (r != results.end()) {
      list.push_back(std::move(r->second));
    } else {
      ++not_found;
      list.push_back(result(id, "not_found"));
    }
  }
  json body{{"stored", stored},          {"duplicates", duplicates}, {"delivered", delivered},
            {"failed", failed},          {"not_found", not_found},   {"more", run.more},
            {"results", std::move(list)}};
  log_info("dead letters replayed", {{"tenant", run.tenant},
                                     {"stored", std::to_string(stored)},
                                     {"duplicates", std::to_string(duplicates)},
                                     {"delivered", std::to_string(delivered)},
                                     {"failed", std::to_string(failed)}});
  run.cb({200, body.dump()});
}

}  // namespace

void replay_dead_letters(node& n, const node_context& ctx, directory_actor directory,
                         std::string tenant, std::optional<std::vector<std::uint64_t>> ids,
                         admin_callback cb) {
  auto run = std::make_shared<replay_run>();
  run->ctx = &ctx;
  run->tenant = tenant;
  run->cb = std::move(cb);
  std::vector<dead_letter> found;
  std::error_code ec;
  if (ids) {
    std::set<std::uint64_t> seen;
    for (auto id : *ids)
      if (seen.insert(id).second) run->order.push_back(id);  // a repeated id is replayed once
    ec = ctx.dead_letters.find(tenant, run->order, found);
  } else {
    ec = ctx.dead_letters.list(tenant, 0, max_replay_letters + 1, found);
    run->more = found.size() > max_replay_letters;
    if (run->more) found.resize(max_replay_letters);
    for (auto& d : found) run->order.push_back(d.id);
  }
  if (ec)
    return run->cb({503, json{{"error",
                               {{"code", "unavailable"},
                                {"message", "cannot read the dead letters: " + ec.message()}}}}
                             .dump()});
  for (auto& d : found) (d.kind == "webhook" ? run->webhooks : run->events).push_back(std::move(d));

  if (run->events.empty()) {
    half_done(run);
  } else {
    std::vector<journal_event> events;
    for (auto& d : run->events) events.push_back(d.event);
    write_result dropped{503, "unavailable", "the replay was dropped; retry", {}};
    auto slot = std::make_shared<reply_slot<write_result>>(
        [run](write_result r) {
          run->stored = std::move(r);
          half_done(run);
        },
        std::move(dropped));
    if (directory)  // else the slot answers with its fallback
      caf::anon_send(directory, replay_atom::value,
                     replay_job{tenant, std::move(events), std::move(slot)});
  }
  if (run->webhooks.empty()) return half_done(run);
  // The webhook dispatcher POSTs each letter once more; one reason per letter, empty: delivered.
  n.redeliver_webhooks(tenant, run->webhooks, [run](std::vector<std::string> failures) {
    run->webhook_failures = std::move(failures);
    half_done(run);
  });
}

}  // namespace sluice
