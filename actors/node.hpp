// The node: what the HTTP edge sees of the actor system. It starts the supervisor, writer shards
// and tenant directory, and offers asynchronous calls whose callbacks run on an actor thread
// (the edge posts them back to the connection). CAF stays out of this header so the edge's
// files compile fast; the messages themselves live in actors/protocol.hpp.
#pragma once

#include "config/config.hpp"
#include "config/metrics.hpp"
#include "store/catalog.hpp"
#include "store/dead_letters.hpp"
#include "store/journal_event.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

class shard_store;
class dead_letter_store;

struct event_outcome {
  bool duplicate = false;
  std::uint64_t seq = 0;
};

// An error the edge turns into API.md's error shape.
struct node_error {
  int status = 503;
  std::string code;
  std::string message;
  int retry_after_sec = 0;                                   // 0: no Retry-After
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. RateLimit-*
};

struct ingest_reply {
  std::string tenant;  // who sent it, once known (for metrics and logs)
  std::optional<node_error> error;
  bool accepted = false;                // ack=received: queued, not yet committed
  std::vector<event_outcome> outcomes;  // ack=durable: one per event, in order
  // Rate limited: the tenant's bucket holds less than one event for this much longer, so the
  // edge may refuse the credential's requests itself until then.
  std::chrono::microseconds bucket_empty_for{0};
};
using ingest_callback = std::function<void(ingest_reply)>;

// Who is calling: the SHA-256 of an API key, or (trusted-gateway mode) a tenant id.
struct credential {
  std::string key_hash;
  std::string tenant_id;
};

using auth_callback = std::function<void(std::optional<tenant_record>)>;

struct admin_request {
  enum class op {
    create_tenant,
    list_tenants,
    patch_tenant,
    add_key,
    revoke_key,
    delete_tenant,
    purge_dead_letters
  };
  op what = op::list_tenants;
  std::string tenant_id;
  std::optional<std::string> name;
  std::optional<rate_limit> limit;
  std::string key_id;
  std::vector<std::uint64_t> letter_ids;  // purge_dead_letters: these; empty: all
};
struct admin_reply {
  int status = 200;
  std::string body;  // JSON
};
using admin_callback = std::function<void(admin_reply)>;

// A tenant's webhook subscription call (/v1/webhooks), already validated by the edge. The reply
// is an admin_reply: a status and a JSON body.
struct webhook_request {
  enum class op { create, list, remove };
  op what = op::list;
  tenant_record tenant;  // the authenticated caller
  std::string id;        // remove
  std::string url;       // create: fields as validated
  std::vector<std::string> event_types;
  std::string secret;
};

class node {
 public:
  // Opens the catalog and shard stores under cfg.data_dir and starts the actors.
  // On failure returns nullptr and says why in `error`.
  static std::unique_ptr<node> start(const config& cfg, std::string& error);
  ~node();

  void ingest(credential who, std::vector<journal_event> events, bool durable, ingest_callback cb);
  void authenticate(credential who, auth_callback cb);
  void admin(admin_request req, admin_callback cb);
  void webhooks(webhook_request req, admin_callback cb);
  // POSTs each webhook dead letter's stored body once more, signed with its subscription's
  // current secret, and calls `done` exactly once with one reason per letter, in order ("" =
  // delivered; "webhook no longer exists" when the subscription was deleted). Never hangs: each
  // POST has the webhooks.timeout_ms deadline. Leaves the dead-letter store to the caller.
  void redeliver_webhooks(std::string tenant, std::vector<dead_letter> letters,
                          std::function<void(std::vector<std::string>)> done);

  // Re-drives the tenant's dead letters with these ids (nullopt: all, oldest first, at most
  // 1000 per call): events are stored again through the tenant's writer shard (dedup applies),
  // webhook deliveries are sent again; the letters that succeed are removed, the others get
  // attempts+1. `cb` gets the HTTP reply. The caller has checked that the tenant exists.
  void replay_dead_letters(std::string tenant, std::optional<std::vector<std::uint64_t>> ids,
                           admin_callback cb);

  // Read access for the edge's read routes: LMDB readers never wait for the writer.
  shard_store& store(int shard);
  dead_letter_store& dead_letters();
  // False, with the reason, when the store cannot take writes.
  bool ready(std::string& reason) const;
  // /readyz answers 503 from now on (the first step of a graceful shutdown).
  void begin_draining();
  // Commits every queued write (waiting at most `timeout`), then stops the actors.
  void shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));
  node_metrics& metrics();

  struct impl;

 private:
  explicit node(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice
