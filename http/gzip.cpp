#include "http/gzip.hpp"

#include <zlib.h>

namespace sluice {

gunzip_status gunzip(std::string_view in, std::size_t max_bytes, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return gunzip_status::corrupt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out.clear();
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return gunzip_status::corrupt;
    }
    std::size_t produced = sizeof chunk - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&zs);
      return gunzip_status::too_large;
    }
    out.append(chunk, produced);
    if (rc == Z_OK && zs.avail_in == 0 && produced == 0) {  // truncated input
      inflateEnd(&zs);
      return gunzip_status::corrupt;
    }
  }
  inflateEnd(&zs);
  return gunzip_status::ok;
}

}  // namespace sluice
