// Event timestamps: parsing the RFC 3339 forms the API accepts into microseconds since the Unix
// epoch (UTC), and formatting them back in the one canonical form we store and return.
// Pure functions over values, safe from any thread; no locale, no strptime, no time zone files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// Microseconds since 1970-01-01T00:00:00Z for `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`
// (`T`/`Z` in either case; a space may stand for `T`) or `YYYY-MM-DD HH:MM:SS[.frac]` read as UTC.
// The fraction has 1-9 digits; digits past microseconds are truncated. Years 1970..9999 only, and
// the instant (after applying the offset) must fall in that range too. Anything else: nullopt.
std::optional<int64_t> parse_timestamp(std::string_view s);

// `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` when the time has whole nonzero milliseconds and `.uuuuuu`
// when it has microseconds.
std::string format_timestamp(int64_t micros);

// The wall clock (system_clock) in microseconds since the Unix epoch.
int64_t now_micros();

}  // namespace sluice
