// Unit tests for http/base64: RFC 4648 vectors, strict padding and alphabet, binary round trips.
#include "http/base64.hpp"

#include <catch2/catch.hpp>

using sluice::base64_decode;
using sluice::base64_encode;

TEST_CASE("base64: encodes the RFC 4648 test vectors", "[base64]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64: decodes the RFC 4648 test vectors with padding stripped", "[base64]") {
  CHECK(base64_decode("") == std::string());
  CHECK(base64_decode("Zg==") == std::string("f"));
  CHECK(base64_decode("Zm8=") == std::string("fo"));
  CHECK(base64_decode("Zm9v") == std::string("foo"));
  CHECK(base64_decode("Zm9vYg==") == std::string("foob"));
  CHECK(base64_decode("Zm9vYmE=") == std::string("fooba"));
  CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
}

TEST_CASE("base64: uses the standard alphabet with plus and slash", "[base64]") {
  const std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64_encode(bytes) == "+/+/");
  CHECK(base64_decode("+/+/") == bytes);
  CHECK_FALSE(base64_decode("-_-_"));  // URL-safe alphabet is not accepted
}

TEST_CASE("base64: binary data with zero bytes round trips", "[base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n : {0, 1, 2, 3, 4, 5, 255, 256}) {
    const std::string bytes = all.substr(0, n) + std::string(n % 3, '\0');
    INFO(n);
    CHECK(base64_decode(base64_encode(bytes)) == bytes);
  }
  CHECK(base64_decode("AA==") == std::string(1, '\0'));
  CHECK(base64_decode("AAA=") == std::string(2, '\0'));
  CHECK(base64_decode("AAAA") == std::string(3, '\0'));
}

TEST_CASE("base64: length not a multiple of 4 is rejected", "[base64]") {
  CHECK_FALSE(base64_decode("Zg"));
  CHECK_FALSE(base64_decode("Zg="));
  CHECK_FALSE(base64_decode("Zm9vY"));
  CHECK_FALSE(base64_decode("Zm9vYmFy="));
}

TEST_CASE("base64: invalid characters and misplaced padding are rejected", "[base64]") {
  CHECK_FALSE(base64_decode("Zm9v!mFy"));
  CHECK_FALSE(base64_decode("Zm9v YmF"));
  CHECK_FALSE(base64_decode(" Zm9vYmE"));
  CHECK_FALSE(base64_decode("Zm9vYmFy    "));  // OpenSSL alone would trim this
  CHECK_FALSE(base64_decode("Zm9vYmFy\n\n\n\n"));
  CHECK_FALSE(base64_decode("Zg==Zg=="));
  CHECK_FALSE(base64_decode("Z==="));
  CHECK_FALSE(base64_decode("===="));
  CHECK_FALSE(base64_decode("=Zg="));
  CHECK_FALSE(base64_decode(std::string_view("Zg=\0", 4)));
  CHECK_FALSE(base64_decode("Zm9\xc3\xa9"));
}

TEST_CASE("base64: large inputs round trip", "[base64]") {
  std::string big(5 * 1024 * 1024 + 1, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  const std::string encoded = base64_encode(big);
  CHECK(encoded.size() == (big.size() + 2) / 3 * 4);
  CHECK(base64_decode(encoded) == big);
}
