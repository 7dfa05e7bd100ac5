#include "store/session_record.hpp"

#include "store/keys.hpp"

namespace sluice {

void session_record::add(std::string_view event_type, std::int64_t timestamp_us) {
  if (event_count == 0 || timestamp_us < first_seen_us) first_seen_us = timestamp_us;
  if (event_count == 0 || timestamp_us > last_seen_us) last_seen_us = timestamp_us;
  ++event_count;
  ++event_types[std::string(event_type)];
}

// first(8) last(8) count(8), then per type: length(2) name count(8); all big-endian.
std::string session_record::encode() const {
  std::string out;
  keys::append_be64(out, static_cast<std::uint64_t>(first_seen_us));
  keys::append_be64(out, static_cast<std::uint64_t>(last_seen_us));
  keys::append_be64(out, event_count);
  for (auto& [type, count] : event_types) {
    out.push_back(static_cast<char>(type.size() >> 8));
    out.push_back(static_cast<char>(type.size() & 0xff));
    out += type;
    keys::append_be64(out, count);
  }
  return out;
}

std::optional<session_record> session_record::decode(std::string_view b) {
  if (b.size() < 24) return std::nullopt;
  session_record r;
  r.first_seen_us = static_cast<std::int64_t>(keys::read_be64(b.substr(0, 8)));
  r.last_seen_us = static_cast<std::int64_t>(keys::read_be64(b.substr(8, 8)));
  r.event_count = keys::read_be64(b.substr(16, 8));
  b.remove_prefix(24);
  while (!b.empty()) {
    if (b.size() < 2) return std::nullopt;
    std::size_t len = (static_cast<unsigned char>(b[0]) << 8) | static_cast<unsigned char>(b[1]);
    if (b.size() < 2 + len + 8) return std::nullopt;
    r.event_types[std::string(b.substr(2, len))] = keys::read_be64(b.substr(2 + len, 8));
    b.remove_prefix(2 + len + 8);
  }
  return r;
}

}  // namespace sluice
