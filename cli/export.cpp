// `sluice export`: the tenant's events as NDJSON on stdout, in seq order, read straight from a
// data dir — also while the server runs (LMDB readers in another process never block it).
#include "cli/commands.hpp"
#include "store/catalog.hpp"
#include "store/event_queries.hpp"
#include "store/timestamp.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace sluice {

int run_export(const export_flags& flags) {
  std::optional<std::int64_t> from, to;
  if (!flags.from.empty() && !(from = parse_timestamp(flags.from))) {
    std::cerr << "sluice: --from is not an RFC 3339 time\n";
    return 2;
  }
  if (!flags.to.empty() && !(to = parse_timestamp(flags.to))) {
    std::cerr << "sluice: --to is not an RFC 3339 time\n";
    return 2;
  }
  if (from && to && *from > *to) {
    std::cerr << "sluice: --from is after --to\n";
    return 2;
  }
  std::error_code ec;
  auto cat = catalog::open(flags.data_dir + "/catalog", true, ec);
  if (!cat) {
    std::cerr << "sluice: cannot open " << flags.data_dir << "/catalog: " << ec.message() << "\n";
    return 1;
  }
  std::vector<tenant_record> tenants;
  std::vector<key_record> keys;
  if ((ec = cat->load(tenants, keys))) {
    std::cerr << "sluice: cannot read the catalog: " << ec.message() << "\n";
    return 1;
  }
  auto t =
      std::find_if(tenants.begin(), tenants.end(), [&](auto& r) { return r.id == flags.tenant; });
  if (t == tenants.end()) {
    std::cerr << "sluice: no tenant " << flags.tenant << "\n";
    return 1;
  }
  char shard_dir[32];
  std::snprintf(shard_dir, sizeof shard_dir, "/shard-%02d", t->shard);
  auto store = shard_store::open(flags.data_dir + shard_dir, 0, true, ec);
  if (!store) {
    std::cerr << "sluice: cannot open " << flags.data_dir << shard_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  event_filter filter;
  filter.from_us = from;
  filter.to_us = to;
  filter.limit = 1000;
  for (;;) {
    event_page page;
    if ((ec = query_events(*store, t->id, filter, page))) {
      std::cerr << "sluice: read failed: " << ec.message() << "\n";
      return 1;
    }
    for (auto& e : page.events) std::cout << e << '\n';
    if (!page.next_after_seq) break;
    filter.after_seq = *page.next_after_seq;
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace sluice
