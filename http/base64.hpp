// Standard base64 (RFC 4648 alphabet, `=` padding required) for the `{"payload": "..."}` event
// envelope and POST /v1/encode. Thin wrappers over OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock;
// pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

std::string base64_encode(std::string_view bytes);

// nullopt unless `text` is canonical-alphabet base64: length a multiple of 4, only A-Z a-z 0-9 + /,
// and at most two `=` at the very end. No whitespace or line breaks are accepted.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sluice
