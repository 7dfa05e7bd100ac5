// Binary key codecs for the shard databases. Every key of tenant data starts with the tenant id
// and a 0 byte (ids never contain 0, and 0 sorts first, so a tenant's keys form one range);
// numbers are big-endian so keys sort in numeric order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::keys {

inline void append_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

inline std::uint64_t read_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// "tenant\0": the start of every key of one tenant.
inline std::string tenant_prefix(std::string_view tenant) {
  std::string k(tenant);
  k.push_back('\0');
  return k;
}

// events: tenant\0 seq → stored event JSON
inline std::string event(std::string_view tenant, std::uint64_t seq) {
  std::string k = tenant_prefix(tenant);
  append_be64(k, seq);
  return k;
}

// The seq of an events key.
inline std::uint64_t event_seq(std::string_view key) {
  return read_be64(key.substr(key.size() - 8));
}

// dedup: tenant\0 digest(16 bytes of SHA-256 of the dedup key) → seq, expiry (be64 each)
inline std::string dedup(std::string_view tenant, std::string_view digest) {
  std::string k = tenant_prefix(tenant);
  k.append(digest);
  return k;
}

// dedup_expiry: expiry (be64 unix seconds) + dedup key → empty; swept in expiry order
inline std::string dedup_expiry(std::uint64_t expiry, std::string_view dedup_key) {
  std::string k;
  append_be64(k, expiry);
  k.append(dedup_key);
  return k;
}

// counters: tenant\0 → last assigned seq (be64)
inline std::string counter(std::string_view tenant) {
  return tenant_prefix(tenant);
}

// tenant\0 len(1) part: a tenant's range for one event type or session. The length byte keeps
// parts apart even when one is a prefix of another (parts are at most 128 bytes).
inline std::string tenant_part(std::string_view tenant, std::string_view part) {
  std::string k = tenant_prefix(tenant);
  k.push_back(static_cast<char>(part.size()));
  k.append(part);
  return k;
}

// type_seq and session_seq: tenant\0 len part seq
inline std::string part_seq(std::string_view tenant, std::string_view part, std::uint64_t seq) {
  std::string k = tenant_part(tenant, part);
  append_be64(k, seq);
  return k;
}

// type_time: tenant\0 len type timestamp seq
inline std::string type_time(std::string_view tenant, std::string_view type, std::int64_t ts,
                             std::uint64_t seq) {
  std::string k = tenant_part(tenant, type);
  append_be64(k, static_cast<std::uint64_t>(ts));
  append_be64(k, seq);
  return k;
}

// event_id, sessions, types: tenant\0 name (exact lookups and per-tenant listing)
inline std::string named(std::string_view tenant, std::string_view name) {
  std::string k = tenant_prefix(tenant);
  k.append(name);
  return k;
}

}  // namespace sluice::keys
