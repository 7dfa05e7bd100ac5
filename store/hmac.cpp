// HMAC-SHA256 for webhook signatures (declared in store/secrets.hpp). Stateless, thread-safe.
#include "store/secrets.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace sluice {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len))
    throw std::runtime_error("OpenSSL HMAC failed");
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace sluice
