// Keeping events that cannot be stored as dead letters (kind "event"): a writer shard's writes
// that failed their last attempt or that it held when it stopped, and a tenant actor's
// ack=received writes that never reached a writer. Runs in the calling actor (one fsync'd write
// to data/dead-letters; a failure path only).
#pragma once

#include "actors/protocol.hpp"
#include "config/log.hpp"

#include <string>
#include <vector>

namespace sluice {

// Stores `letters` (of any tenants) in one transaction, then, per tenant, counts them in
// sluice_dead_letters_total and logs "<what>; kept as dead letters" with `fields`, the tenant and
// the count. If they cannot be stored: logs "<what> nor dead-lettered; they are lost".
void keep_as_dead_letters(const node_context& node, std::vector<dead_letter>& letters,
                          const std::string& what, const log_fields& fields);

}  // namespace sluice
