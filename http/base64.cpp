// OpenSSL's block functions take an `int` length, so long inputs go through in chunks that keep
// base64 quanta whole (3 input bytes to encode, 4 characters to decode).
#include "http/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace sluice {
namespace {

constexpr size_t encode_chunk = 3 * (1 << 20);
constexpr size_t decode_chunk = 4 * (1 << 20);

bool is_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.resize((bytes.size() + 2) / 3 * 4 + 1);  // +1: EVP_EncodeBlock writes a NUL
  size_t written = 0;
  for (size_t pos = 0; pos < bytes.size(); pos += encode_chunk) {
    const size_t n = std::min(encode_chunk, bytes.size() - pos);
    written += static_cast<size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(&out[written]),
        reinterpret_cast<const unsigned char*>(bytes.data() + pos), static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  // EVP_DecodeBlock trims surrounding whitespace and tolerates some odd padding, so the strict
  // alphabet check is ours.
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!is_alphabet(text[i])) return std::nullopt;
  }

  std::string out;
  out.resize(text.size() / 4 * 3);
  size_t written = 0;
  for (size_t pos = 0; pos < text.size(); pos += decode_chunk) {
    const size_t n = std::min(decode_chunk, text.size() - pos);
    const int got = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(&out[written]),
                                    reinterpret_cast<const unsigned char*>(text.data() + pos),
                                    static_cast<int>(n));
    if (got < 0) return std::nullopt;
    written += static_cast<size_t>(got);
  }
  // EVP_DecodeBlock decodes `=` as zero bits and returns whole 3-byte groups; drop those bytes.
  out.resize(written - padding);
  return out;
}

}  // namespace sluice
