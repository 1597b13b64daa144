// Differential: the block reader (FileReader::kAuto on classic pcap files) against libpcap
// (FileReader::kLibpcap) on the same bytes, written to a memfd so both open it by path.
// Every packet (timestamp, lengths, link type, bytes), the end state (truncated, error)
// and the progress counter must agree; any difference traps. Inputs whose first four bytes
// are not a classic pcap magic still run (both sides then use libpcap).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "tins_ext/capture_source.h"

namespace tcpfollow {
namespace {

struct Outcome {
  bool opened = false;
  bool error = false;
  bool truncated = false;
  std::string packets;  // every field of every packet, concatenated
  uint64_t count = 0;
};

Outcome Read(const std::string& path, FileReader reader) {
  Outcome o;
  auto src = OpenCaptureFile(path, "", reader);
  o.opened = src.ok();
  if (!src.ok()) return o;
  RawPacket p;
  // Bounded: a tiny input cannot hold more than size/16 records, but stay safe.
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> more = (*src)->Next(&p);
    if (!more.ok()) {
      o.error = true;
      break;
    }
    if (!*more) break;
    if (p.data == nullptr) __builtin_trap();  // files never produce timer ticks
    absl::StrAppend(&o.packets, absl::ToUnixNanos(p.ts), ",", p.caplen, ",", p.wirelen, ",",
                    p.link_type, ":");
    o.packets.append(reinterpret_cast<const char*>(p.data), p.caplen);
    ++o.count;
  }
  o.truncated = (*src)->truncated();
  if ((*src)->stats().packets != o.count) __builtin_trap();
  if ((*src)->total_bytes() != 0 && (*src)->bytes_read() > (*src)->total_bytes()) __builtin_trap();
  return o;
}

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  const int fd = memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const std::string path = absl::StrCat("/proc/self/fd/", fd);
  const Outcome fast = Read(path, FileReader::kAuto);
  const Outcome lib = Read(path, FileReader::kLibpcap);
  close(fd);
  if (fast.opened != lib.opened || fast.error != lib.error || fast.truncated != lib.truncated ||
      fast.count != lib.count || fast.packets != lib.packets) {
    __builtin_trap();
  }
  return 0;
}
