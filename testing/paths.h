// Where tests find the source tree and the shared public vectors. Tests run inside Bazel's
// runfiles tree; the WORKSPACE file there is a symlink into the real checkout, so its real
// path gives the repository root, and the vectors sit beside the checkout in
// ../shared/vectors (CI lays them out the same way). $TCPFOLLOW_VECTORS overrides.
#ifndef TCPFOLLOW_TESTING_PATHS_H_
#define TCPFOLLOW_TESTING_PATHS_H_

#include <string>

namespace tcpfollow::testing {

// Absolute path of the repository checkout ("" if it cannot be found).
std::string RepoRoot();
// Absolute path of the shared vectors folder, or "" when it is not there.
std::string VectorsDir();
// Reads a whole file; "" when missing.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_PATHS_H_
