#include "actors/tenant_directory.hpp"

#include "actors/tenant_actor.hpp"
#include "config/log.hpp"
#include "store/secrets.hpp"
#include "store/timestamp.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace sluice {
namespace {

using json = nlohmann::json;
using self_ptr = directory_actor::stateful_pointer<directory_state>;

admin_reply error_reply(int status, const std::string& code, const std::string& message) {
  return {status, json{{"error", {{"code", code}, {"message", message}}}}.dump()};
}

json tenant_json(const tenant_record& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"rate_limit", {{"events_per_sec", t.limit.events_per_sec}, {"burst", t.limit.burst}}},
          {"created_at", format_timestamp(t.created_at_us / 1000000 * 1000000)}};
}

// A new API key for `tenant`: the key (shown once) and its record (hash only).
std::pair<std::string, key_record> new_key(const std::string& tenant) {
  std::string key = "sk_" + random_hex(24);  // 192 random bits
  return {key, key_record{sha256(key), tenant, "key_" + random_hex(8), now_micros()}};
}

const tenant_record* resolve(directory_state& st, const credential& who) {
  if (!who.tenant_id.empty()) {
    auto t = st.tenants.find(who.tenant_id);
    return t == st.tenants.end() ? nullptr : &t->second;
  }
  auto k = st.keys.find(who.key_hash);
  // The map lookup finds the candidate; the final comparison does not leak timing.
  if (k == st.keys.end() || !constant_time_equal(k->first, who.key_hash)) return nullptr;
  auto t = st.tenants.find(k->second.tenant);
  return t == st.tenants.end() ? nullptr : &t->second;
}

tenant_actor actor_for(self_ptr self, const tenant_record& t) {
  auto& st = self->state;
  auto found = st.actors.find(t.id);
  if (found != st.actors.end()) return found->second;
  auto a = self->spawn<caf::lazy_init>(tenant_actor_behavior, t, st.writers.at(t.shard), st.node,
                                       caf::actor_cast<directory_actor>(self));
  self->monitor(a);
  st.actors.emplace(t.id, a);
  st.node->metrics.tenant_actors(st.actors.size());
  return a;
}

admin_reply store_error(const std::error_code& ec) {
  return error_reply(503, "unavailable", "catalog write failed: " + ec.message());
}

void run_admin(self_ptr self, admin_job& job) {
  auto& st = self->state;
  auto& req = job.request;
  using op = admin_request::op;
  if (req.what == op::list_tenants) {
    json list = json::array();
    std::vector<const tenant_record*> sorted;
    for (auto& [id, t] : st.tenants) sorted.push_back(&t);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
    for (auto* t : sorted) list.push_back(tenant_json(*t));
    job.reply->deliver({200, json{{"tenants", list}}.dump()});
    return;
  }
  if (req.what == op::create_tenant) {
    tenant_record t{req.tenant_id, req.name.value_or(req.tenant_id),
                    req.limit.value_or(st.node->cfg.default_rate_limit), now_micros(), 0};
    t.shard = static_cast<unsigned char>(sha256(t.id)[0]) % st.node->cfg.shards;
    auto [key, record] = new_key(t.id);
    bool created = false;
    if (auto ec = st.cat->create_tenant(t, record, created))
      return job.reply->deliver(store_error(ec));
    if (!created)
      return job.reply->deliver(error_reply(409, "conflict", "tenant " + t.id + " already exists"));
    st.tenants[t.id] = t;
    st.keys[record.hash] = record;
    job.reply->deliver(
        {201, json{{"id", t.id}, {"api_key", key}, {"key_id", record.key_id}}.dump()});
    return;
  }
  auto found = st.tenants.find(req.tenant_id);
  if (found == st.tenants.end())
    return job.reply->deliver(error_reply(404, "not_found", "no tenant " + req.tenant_id));
  auto& t = found->second;
  switch (req.what) {
    case op::patch_tenant: {
      tenant_record updated = t;
      if (req.name) updated.name = *req.name;
      if (req.limit) updated.limit = *req.limit;
      if (auto ec = st.cat->update_tenant(updated)) return job.reply->deliver(store_error(ec));
      t = updated;
      if (auto a = st.actors.find(t.id); a != st.actors.end())
        self->send(a->second, limit_atom::value, t.limit);
      job.reply->deliver({200, tenant_json(t).dump()});
      return;
    }
    case op::add_key: {
      auto [key, record] = new_key(t.id);
      if (auto ec = st.cat->add_key(record)) return job.reply->deliver(store_error(ec));
      st.keys[record.hash] = record;
      job.reply->deliver(
          {201, json{{"id", t.id}, {"api_key", key}, {"key_id", record.key_id}}.dump()});
      return;
    }
    case op::revoke_key: {
      auto k = std::find_if(st.keys.begin(), st.keys.end(), [&](auto& kv) {
        return kv.second.tenant == t.id && kv.second.key_id == req.key_id;
      });
      if (k == st.keys.end())
        return job.reply->deliver(error_reply(404, "not_found", "no key " + req.key_id));
      if (auto ec = st.cat->remove_key(k->first)) return job.reply->deliver(store_error(ec));
      st.keys.erase(k);
      job.reply->deliver({200, json{{"id", t.id}, {"revoked", req.key_id}}.dump()});
      return;
    }
    case op::purge_dead_letters: {
      std::size_t removed = 0;
      auto& letters = st.node->dead_letters;
      auto ec = req.letter_ids.empty() ? letters.purge(t.id, removed)
                                       : letters.remove(t.id, req.letter_ids, removed);
      if (ec)
        return job.reply->deliver(
            error_reply(503, "unavailable", "dead-letter write failed: " + ec.message()));
      job.reply->deliver({200, json{{"id", t.id}, {"purged", removed}}.dump()});
      return;
    }
    case op::delete_tenant: {
      if (auto ec = st.cat->delete_tenant(t.id)) return job.reply->deliver(store_error(ec));
      std::size_t letters_removed = 0;
      if (auto ec = st.node->dead_letters.purge(t.id, letters_removed))
        log_warn("tenant deleted, but its dead letters could not be purged",
                 {{"tenant", t.id}, {"error", ec.message()}});
      std::string id = t.id;
      int shard = t.shard;
      for (auto k = st.keys.begin(); k != st.keys.end();)
        k = k->second.tenant == id ? st.keys.erase(k) : std::next(k);
      st.tenants.erase(found);
      if (auto a = st.actors.find(id); a != st.actors.end()) {
        self->send_exit(a->second, caf::exit_reason::user_shutdown);
        st.actors.erase(a);
        st.node->metrics.tenant_actors(st.actors.size());
      }
      auto reply = job.reply;
      self->request(st.writers.at(shard), std::chrono::seconds(60), purge_atom::value, id)
          .then(
              [=](bool ok) {
                reply->deliver(
                    ok ? admin_reply{200, json{{"id", id}, {"deleted", true}}.dump()}
                       : error_reply(503, "unavailable", "could not delete the data of " + id));
              },
              [=](caf::error&) {
                reply->deliver(
                    error_reply(503, "unavailable", "could not delete the data of " + id));
              });
      return;
    }
    default:
      job.reply->deliver(error_reply(500, "internal", "unknown admin operation"));
  }
}

}  // namespace

directory_actor::behavior_type tenant_directory(self_ptr self, std::shared_ptr<catalog> cat,
                                                const node_context* node,
                                                std::vector<writer_actor> writers) {
  auto& st = self->state;
  st.cat = std::move(cat);
  st.node = node;
  st.writers = std::move(writers);
  std::vector<tenant_record> tenants;
  std::vector<key_record> keys;
  if (auto ec = st.cat->load(tenants, keys)) throw std::runtime_error("catalog: " + ec.message());
  for (auto& t : tenants) st.tenants[t.id] = t;
  for (auto& k : keys) st.keys[k.hash] = k;
  // Only the supervisor sends exits here (tenant actors are monitored, not linked): stop the
  // tenant actors too, or they would keep the actor system alive until their requests time out.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [id, a] : self->state.actors) self->send_exit(a, msg.reason);
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& actors = self->state.actors;
    for (auto a = actors.begin(); a != actors.end(); ++a)
      if (a->second.address() == msg.source) {
        actors.erase(a);
        self->state.node->metrics.tenant_actors(actors.size());
        break;
      }
  });
  return {
      [=](ingest_atom, ingest_job& job) {
        auto* t = resolve(self->state, job.who);
        if (!t) {
          ingest_reply r;
          r.error = node_error{401, "unauthorized", "missing, unknown or revoked API key", 0, {}};
          return job.reply->deliver(std::move(r));
        }
        self->send(actor_for(self, *t), ingest_atom::value, std::move(job));
      },
      [=](auth_atom, auth_job& job) {
        auto* t = resolve(self->state, job.who);
        job.reply->deliver(t ? std::optional<tenant_record>(*t) : std::nullopt);
      },
      [=](admin_atom, admin_job& job) { run_admin(self, job); },
      [=](replay_atom, replay_job& job) {
        // Straight to the tenant's writer: a replay is not rate-limited like ingestion.
        auto& st = self->state;
        auto t = st.tenants.find(job.tenant);
        if (t == st.tenants.end())
          return job.reply->deliver(write_result{404, "not_found", "no tenant " + job.tenant, {}});
        auto reply = job.reply;
        self->request(st.writers.at(t->second.shard), std::chrono::seconds(30), write_atom::value,
                      write_batch{job.tenant, std::move(job.events), true})
            .then([=](write_result& r) { reply->deliver(std::move(r)); },
                  [=](caf::error& err) {
                    reply->deliver(
                        write_result{503,
                                     "unavailable",
                                     "the write did not complete: " + self->system().render(err),
                                     {}});
                  });
      },
      [=](passivate_atom, const std::string& id) {
        // Stop routing to it first; jobs sent before this reach it before the confirmation.
        auto sender = caf::actor_cast<tenant_actor>(self->current_sender());
        auto& actors = self->state.actors;
        if (auto a = actors.find(id); a != actors.end() && a->second == sender) {
          self->demonitor(sender.address());
          actors.erase(a);
          self->state.node->metrics.tenant_actors(actors.size());
        }
        if (sender) self->send(sender, passivate_atom::value);
      },
      [=](writer_atom, int shard, writer_actor& w) {
        auto& st = self->state;
        st.writers.at(shard) = w;
        for (auto& [id, a] : st.actors)
          if (st.tenants.at(id).shard == shard) self->send(a, writer_atom::value, w);
      },
  };
}

}  // namespace sluice
