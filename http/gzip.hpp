// gzip decoding for `Content-Encoding: gzip` batch bodies, with a hard cap on the decoded size
// so a decompression bomb is refused before it is held in memory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class gunzip_status { ok, too_large, corrupt };

// Decodes `in` into `out`; stops with too_large as soon as `out` would exceed max_bytes.
gunzip_status gunzip(std::string_view in, std::size_t max_bytes, std::string& out);

}  // namespace sluice
