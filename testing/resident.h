// The resident memory of the test process, for tests that bound what reading a large input
// keeps in memory (tins_ext: mapped files and the capture readers over them).
#ifndef TCPFOLLOW_TESTING_RESIDENT_H_
#define TCPFOLLOW_TESTING_RESIDENT_H_

#include <cstdint>

namespace tcpfollow::testing {

// Bytes of this process now resident in memory (/proc/self/statm), file pages mapped in
// included; 0 when it cannot be read.
uint64_t ResidentBytes();

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_RESIDENT_H_
