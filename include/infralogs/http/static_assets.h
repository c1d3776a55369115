#pragma once
// Files embedded in the binary at build time (cmake/embed_assets.cmake): the dashboard's pages,
// script and styles, and BokehJS. No CDN: the dashboard runs where there is no internet.

#include <string_view>
#include <vector>

namespace infralogs::http {

struct StaticAsset {
  std::string_view name;  // file name, served as /static/<name>
  std::string_view body;
  std::string_view content_type;
};

// Every embedded file. Defined by the generated assets library.
const std::vector<StaticAsset>& embedded_assets();

}  // namespace infralogs::http
