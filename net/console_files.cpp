// Serves the console (console/ and uPlot from console/node_modules),
// compiled into the binary by cmake/embed_files.cmake.
#include "net/api.hpp"

#include <cstddef>
#include <cstring>

namespace herald::net {

struct embedded_file {
  const char* path;
  const unsigned char* data;
  std::size_t size;
};
extern const embedded_file console_files[];

namespace {
const char* content_type(const std::string& path) {
  auto ends = [&](const char* ext) {
    auto n = std::strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".html"))
    return "text/html; charset=utf-8";
  if (ends(".js"))
    return "text/javascript; charset=utf-8";
  if (ends(".css"))
    return "text/css; charset=utf-8";
  return "application/octet-stream";
}
} // namespace

api_response api::console_file(const std::string& path) const {
  auto want = path == "/console" || path == "/console/" ? std::string("/console/index.html") : path;
  for (auto* f = console_files; f->path; ++f)
    if (want == f->path)
      return {200, std::string(reinterpret_cast<const char*>(f->data), f->size),
              content_type(want)};
  return json_error(404, "no such console file");
}

} // namespace herald::net
