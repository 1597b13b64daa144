// See resident.h.
#include "testing/resident.h"

#include <unistd.h>

#include <cstdio>

namespace tcpfollow::testing {

uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, pages = 0;
  if (std::fscanf(f, "%lu %lu", &size, &pages) != 2) pages = 0;
  std::fclose(f);
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace tcpfollow::testing
