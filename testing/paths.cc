#include "testing/paths.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tcpfollow::testing {

std::string RepoRoot() {
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) return ws;
  char buf[PATH_MAX];
  if (realpath("WORKSPACE", buf) != nullptr) {
    return std::filesystem::path(buf).parent_path().string();
  }
  return "";
}

std::string VectorsDir() {
  if (const char* env = std::getenv("TCPFOLLOW_VECTORS")) {
    if (std::filesystem::is_directory(env)) return env;
  }
  std::string root = RepoRoot();
  if (root.empty()) return "";
  std::filesystem::path p = std::filesystem::path(root).parent_path() / "shared" / "vectors";
  return std::filesystem::is_directory(p) ? p.string() : "";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace tcpfollow::testing
