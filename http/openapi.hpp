// The OpenAPI 3 document of the HTTP contract (docs/openapi.json), served at GET /openapi.json.
// CMake embeds the file at build time (build/generated/openapi_document.cpp), so the binary needs
// nothing from the source tree; the text is static and immutable, safe to read from any thread.
#pragma once

#include <string_view>

namespace sluice {

std::string_view openapi_document();

}  // namespace sluice
