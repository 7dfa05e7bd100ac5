// A writer shard: the one writer of one LMDB environment (data/shard-NN). Runs detached (its
// own thread, since it blocks on fsync). Group commit: every write that arrives while a commit
// runs waits in the mailbox and goes into the next single transaction; the write queue decides
// which tenants' writes go first when there is more than one commit holds. A failed commit is
// retried with backoff (timer messages, never a sleep) while new writes queue behind it; what
// still fails becomes dead letters. Whatever the writer holds when it stops is answered.
#pragma once

#include "actors/health.hpp"
#include "actors/protocol.hpp"
#include "store/shard_store.hpp"

#include "actors/write_queue.hpp"

#include <optional>
#include <random>

namespace sluice {

struct writer_state {
  struct pending {
    write_batch batch;
    caf::typed_response_promise<write_result> promise;
  };
  // A group whose commit failed, waiting for its next attempt; the queue waits behind it so a
  // tenant's writes keep their order.
  struct failed_group {
    std::vector<pending> items;
    int attempts = 0;  // failed attempts so far
    std::int64_t first_failed_us = 0, last_failed_us = 0;
    std::string reason;  // of the last failure
  };
  std::shared_ptr<shard_store> store;
  const node_context* node = nullptr;
  int shard = 0;
  write_queue<pending> queue{true, 1000};
  bool flush_scheduled = false;
  std::optional<failed_group> retrying;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;  // answered once all is settled
  std::mt19937_64 random{std::random_device{}()};
  bool stopping = false;  // quit was called (injected crash)
  static inline const char* name = "writer_shard";

  writer_state() = default;
  writer_state(const writer_state&) = delete;
  writer_state& operator=(const writer_state&) = delete;
  // The writer stopped (crash or shutdown): every write it still holds is dead-lettered and
  // answered 503, so no request waits for a writer that is gone.
  ~writer_state();
};

writer_actor::behavior_type writer_shard(writer_actor::stateful_pointer<writer_state> self,
                                         std::shared_ptr<shard_store> store, int shard,
                                         const node_context* node);

}  // namespace sluice
