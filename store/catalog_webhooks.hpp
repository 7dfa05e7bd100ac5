// Helpers shared by store/catalog.cpp and store/catalog_webhooks.cpp: the webhook tables' part of
// a tenant's deletion. Runs inside the caller's write txn (the catalog's `write`).
#pragma once

#include "store/lmdb.hpp"

#include <string_view>

namespace sluice {

// Deletes every webhook of `tenant` and its cursor; returns an LMDB status (0: done).
int delete_tenant_webhooks(MDB_txn* txn, MDB_dbi webhooks, MDB_dbi cursors,
                           std::string_view tenant);

}  // namespace sluice
