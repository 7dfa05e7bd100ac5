// The tenant directory: owns the catalog (tenants and key hashes), authenticates every request,
// spawns tenant actors on demand and routes ingest jobs to them, and runs tenant administration.
// Runs on the scheduler: catalog writes fsync, but they are rare admin operations, and a detached
// thread cost a wake-up on every request.
#pragma once

#include "actors/protocol.hpp"

#include <unordered_map>

namespace sluice {

struct directory_state {
  std::shared_ptr<catalog> cat;
  const node_context* node = nullptr;
  std::vector<writer_actor> writers;
  std::unordered_map<std::string, tenant_record> tenants;  // by id
  std::unordered_map<std::string, key_record> keys;        // by SHA-256 of the key
  std::unordered_map<std::string, tenant_actor> actors;    // live tenant actors, by id
  static inline const char* name = "tenant_directory";
};

directory_actor::behavior_type tenant_directory(
    directory_actor::stateful_pointer<directory_state> self, std::shared_ptr<catalog> cat,
    const node_context* node, std::vector<writer_actor> writers);

}  // namespace sluice
