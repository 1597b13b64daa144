#include "testing/paths.h"

#include <filesystem>

#include <catch2/catch.hpp>

TEST_CASE("Paths: repository root holds the WORKSPACE", "[testing]") {
  std::string root = tcpfollow::testing::RepoRoot();
  REQUIRE_FALSE(root.empty());
  REQUIRE(std::filesystem::exists(std::filesystem::path(root) / "DEVELOPERS.md"));
}

TEST_CASE("Paths: shared vectors are found beside the checkout", "[testing]") {
  std::string v = tcpfollow::testing::VectorsDir();
  if (v.empty()) {
    WARN("../shared/vectors not found; vector tests will skip");
    return;
  }
  REQUIRE(std::filesystem::exists(std::filesystem::path(v) / "README.md"));
}
