// Secrets for tenants and admins: random tokens, SHA-256 digests, constant-time comparison.
// Stateless and thread-safe (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace sluice {

// `bytes` random bytes from OpenSSL's CSPRNG, hex encoded.
std::string random_hex(std::size_t bytes);
// The raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
std::string to_hex(std::string_view raw);
// Lowercase hex of HMAC-SHA256(key, data): the webhook signature.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Compares two equal-length secrets without data-dependent timing.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace sluice
