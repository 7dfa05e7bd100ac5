#include "actors/node.hpp"

#include "actors/dead_letter_replay.hpp"
#include "actors/health.hpp"
#include "actors/protocol.hpp"
#include "actors/supervisor.hpp"
#include "config/log.hpp"
#include "store/shard_store.hpp"

#include <cstdio>
#include <mutex>
#include <thread>

namespace sluice {

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<journal_event>("journal_event");
  cfg.add_message_type<event_outcome>("event_outcome");
  cfg.add_message_type<write_batch>("write_batch");
  cfg.add_message_type<write_result>("write_result");
  cfg.add_message_type<rate_limit>("rate_limit");
}

struct node::impl {
  const config& cfg;
  caf::actor_system_config system_cfg;
  std::unique_ptr<caf::actor_system> system;
  node_health health;
  node_metrics metrics;
  faults injected;
  std::unique_ptr<dead_letter_store> dead_letters;
  node_context context{cfg, health, metrics, injected, *dead_letters};
  std::vector<std::shared_ptr<shard_store>> stores;
  caf::actor supervisor;
  std::mutex directory_mutex;  // guards directory and webhooks (set by the supervisor)
  directory_actor directory;
  webhook_actor webhooks;

  impl(const config& c, std::unique_ptr<dead_letter_store> letters)
      : cfg(c),
        metrics(c.shards, static_cast<std::size_t>(c.metrics_max_tenants),
                std::chrono::seconds(c.metrics_idle_sec)),
        dead_letters(std::move(letters)) {}

  directory_actor current_directory() {
    std::lock_guard<std::mutex> lock(directory_mutex);
    return directory;
  }
  webhook_actor current_webhooks() {
    std::lock_guard<std::mutex> lock(directory_mutex);
    return webhooks;
  }
};

node::node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

node::~node() {
  shutdown();
}

std::unique_ptr<node> node::start(const config& cfg, std::string& error) {
  std::error_code ec;
  auto letters = dead_letter_store::open(cfg.data_dir + "/dead-letters", false, ec);
  if (!letters) {
    error = "cannot open " + cfg.data_dir + "/dead-letters: " + ec.message();
    return nullptr;
  }
  auto p = std::make_unique<impl>(cfg, std::move(letters));
  std::string fault_error;
  if (!p->injected.parse(cfg.faults, fault_error)) {
    error = fault_error;
    return nullptr;
  }
  auto cat = std::shared_ptr<catalog>(catalog::open(cfg.data_dir + "/catalog", false, ec));
  if (!cat) {
    error = "cannot open " + cfg.data_dir + "/catalog: " + ec.message();
    return nullptr;
  }
  std::vector<tenant_record> tenants;
  std::vector<key_record> keys;
  if (auto load_ec = cat->load(tenants, keys)) {
    error = "cannot read the catalog: " + load_ec.message();
    return nullptr;
  }
  for (auto& t : tenants)
    if (t.shard >= cfg.shards) {
      error = "shards: tenant " + t.id + " lives on shard " + std::to_string(t.shard) +
              ", so shards must be at least " + std::to_string(t.shard + 1);
      return nullptr;
    }
  for (int i = 0; i < cfg.shards; ++i) {
    char dir[32];
    std::snprintf(dir, sizeof dir, "/shard-%02d", i);
    auto store = shard_store::open(cfg.data_dir + dir, cfg.map_size_mb << 20, false, ec);
    if (!store) {
      error = "cannot open " + cfg.data_dir + dir + ": " + ec.message();
      return nullptr;
    }
    p->stores.push_back(std::move(store));
  }

  register_messages(p->system_cfg);
  // One scheduler thread that blocks when idle: the io thread(s), the detached writer shards and
  // this worker share 2 cores; polling workers and work stealing cost more in thread wake-ups
  // than they gain.
  p->system_cfg.set("scheduler.policy", caf::atom("sharing"));
  p->system_cfg.set("scheduler.max-threads", static_cast<std::size_t>(1));
  p->system = std::make_unique<caf::actor_system>(p->system_cfg);
  auto* raw = p.get();
  p->supervisor = p->system->spawn(
      supervisor, &p->context, cat, p->stores,
      [raw](directory_actor d) {
        std::lock_guard<std::mutex> lock(raw->directory_mutex);
        raw->directory = std::move(d);
      },
      [raw](webhook_actor w) {
        std::lock_guard<std::mutex> lock(raw->directory_mutex);
        raw->webhooks = std::move(w);
      });
  // The supervisor publishes its children when it first runs; wait for that.
  for (int i = 0; i < 5000 && !(p->current_directory() && p->current_webhooks()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!p->current_directory() || !p->current_webhooks()) {
    error = "the tenant directory or the webhook dispatcher did not start";
    return nullptr;
  }
  return std::unique_ptr<node>(new node(std::move(p)));
}

void node::ingest(credential who, std::vector<journal_event> events, bool durable,
                  ingest_callback cb) {
  ingest_reply dropped;
  dropped.error = node_error{503, "unavailable", "the request was dropped; retry", 1, {}};
  auto slot = std::make_shared<reply_slot<ingest_reply>>(std::move(cb), std::move(dropped));
  auto directory = impl_->current_directory();
  if (!directory) return;  // the slot answers with its fallback
  caf::anon_send(directory, ingest_atom::value,
                 ingest_job{std::move(who), std::move(events), durable, std::move(slot)});
}

void node::authenticate(credential who, auth_callback cb) {
  auto slot =
      std::make_shared<reply_slot<std::optional<tenant_record>>>(std::move(cb), std::nullopt);
  auto directory = impl_->current_directory();
  if (!directory) return;  // the slot answers with its fallback
  caf::anon_send(directory, auth_atom::value, auth_job{std::move(who), std::move(slot)});
}

void node::admin(admin_request req, admin_callback cb) {
  admin_reply dropped{
      503, R"({"error":{"code":"unavailable","message":"the request was dropped; retry"}})"};
  if (req.what == admin_request::op::delete_tenant) {
    // The tenant's webhooks left the catalog with it; the dispatcher forgets them before the
    // caller hears of the deletion (so a tenant re-created under the same id starts clean).
    auto* p = impl_.get();
    cb = [p, tenant = req.tenant_id, cb = std::move(cb)](admin_reply r) {
      if (r.status == 200)
        if (auto w = p->current_webhooks()) caf::anon_send(w, forget_atom::value, tenant);
      cb(std::move(r));
    };
  }
  auto slot = std::make_shared<reply_slot<admin_reply>>(std::move(cb), std::move(dropped));
  auto directory = impl_->current_directory();
  if (!directory) return;  // the slot answers with its fallback
  caf::anon_send(directory, admin_atom::value, admin_job{std::move(req), std::move(slot)});
}

void node::replay_dead_letters(std::string tenant, std::optional<std::vector<std::uint64_t>> ids,
                               admin_callback cb) {
  sluice::replay_dead_letters(*this, impl_->context, impl_->current_directory(), std::move(tenant),
                              std::move(ids), std::move(cb));
}

void node::webhooks(webhook_request req, admin_callback cb) {
  admin_reply dropped{
      503, R"({"error":{"code":"unavailable","message":"the request was dropped; retry"}})"};
  auto slot = std::make_shared<reply_slot<admin_reply>>(std::move(cb), std::move(dropped));
  auto w = impl_->current_webhooks();
  if (!w) return;  // the slot answers with its fallback
  caf::anon_send(w, webhook_atom::value, webhook_job{std::move(req), std::move(slot)});
}

void node::redeliver_webhooks(std::string tenant, std::vector<dead_letter> letters,
                              std::function<void(std::vector<std::string>)> done) {
  std::vector<std::string> dropped(letters.size(), "webhook dispatcher unavailable; retry");
  auto slot =
      std::make_shared<reply_slot<std::vector<std::string>>>(std::move(done), std::move(dropped));
  auto w = impl_->current_webhooks();
  if (!w) return;  // the slot answers with its fallback
  caf::anon_send(w, redeliver_atom::value,
                 redeliver_job{std::move(tenant), std::move(letters), std::move(slot)});
}

shard_store& node::store(int shard) {
  return *impl_->stores.at(shard);
}

dead_letter_store& node::dead_letters() {
  return *impl_->dead_letters;
}

bool node::ready(std::string& reason) const {
  return impl_->health.ready(reason);
}

void node::begin_draining() {
  impl_->health.set_draining();
}

node_metrics& node::metrics() {
  return impl_->metrics;
}

void node::shutdown(std::chrono::milliseconds timeout) {
  if (!impl_ || !impl_->system) return;
  impl_->health.set_draining();
  {
    caf::scoped_actor self{*impl_->system};
    self->request(impl_->supervisor, timeout, drain_atom::value)
        .receive([](bool) {},
                 [](caf::error& err) { log_warn("shutdown: writers did not drain in time"); });
  }
  caf::anon_send_exit(impl_->supervisor, caf::exit_reason::user_shutdown);
  impl_->system->await_all_actors_done();
  {
    std::lock_guard<std::mutex> lock(impl_->directory_mutex);
    impl_->directory = nullptr;
    impl_->webhooks = nullptr;
  }
  impl_->supervisor = nullptr;
  impl_->system.reset();
}

}  // namespace sluice
