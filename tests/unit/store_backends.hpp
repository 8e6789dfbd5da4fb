#pragma once
// Every store backend behind one helper, so each store test case runs
// against all of them: memory, a real SQLite file, and (when redis-server
// is installed) a real Redis started on a free port.
#include "persistence/memory_store.hpp"
#include "persistence/sqlite_store.hpp"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>

namespace herald::test {

// A fresh folder under the system temp dir, removed when the object goes.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline persistence::inbox_limits small_limits() {
  return {5, std::chrono::milliseconds(60'000)};
}

} // namespace herald::test
