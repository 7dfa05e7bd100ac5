// A writer shard: the one writer of one LMDB environment (data/shard-NN). Runs detached (its
// own thread, since it blocks on fsync). Group commit: every write that arrives while a commit
// runs waits in the mailbox and goes into the next single transaction; the write queue decides
// which tenants' writes go first when there is more than one commit holds.
#pragma once

#include "actors/health.hpp"
#include "actors/protocol.hpp"
#include "store/shard_store.hpp"

#include "actors/write_queue.hpp"

namespace sluice {

struct writer_state {
  struct pending {
    write_batch batch;
    caf::typed_response_promise<write_result> promise;
  };
  std::shared_ptr<shard_store> store;
  const node_context* node = nullptr;
  int shard = 0;
  write_queue<pending> queue{true, 1000};
  bool flush_scheduled = false;
  static inline const char* name = "writer_shard";
};

writer_actor::behavior_type writer_shard(writer_actor::stateful_pointer<writer_state> self,
                                         std::shared_ptr<shard_store> store, int shard,
                                         const node_context* node);

}  // namespace sluice
