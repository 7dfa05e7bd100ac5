// Dead-letter replay: reads a tenant's letters, re-drives them (events through the tenant
// directory to the tenant's writer shard; webhook deliveries through the webhook deliverers),
// then does the bookkeeping: letters that stored, were duplicates or were delivered are removed,
// the others get attempts+1, a new last_failed_at and reason. Called by node::replay_dead_letters
// on the caller's thread; the halves finish on actor threads and the last one answers.
#pragma once

#include "actors/protocol.hpp"

namespace sluice {

// At most this many letters per call; the reply says whether more remain.
constexpr std::size_t max_replay_letters = 1000;

void replay_dead_letters(node& n, const node_context& ctx, directory_actor directory,
                         std::string tenant, std::optional<std::vector<std::uint64_t>> ids,
                         admin_callback cb);

}  // namespace sluice
