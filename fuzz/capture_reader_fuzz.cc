// Differential: our block readers (FileReader::kAuto) against libpcap (FileReader::kLibpcap)
// on the same bytes, written to a memfd so both open it by path. Classic pcap: every packet
// (timestamp, lengths, link type, bytes), the end state (truncated, damaged, error) and the
// progress counter must agree. pcapng (told by its first decompressed bytes, so compressed
// files too), where our reader reads more than libpcap (interfaces
// of different link types or snapshot lengths, sections of another byte order, packets
// longer than the snapshot length): whatever libpcap delivers we deliver identically, and
// when libpcap reads the file to its end without complaint so do we, with nothing more.
// Any difference traps. Packets of the USB link types are compared by count only (libpcap
// rewrites their pseudo-headers; we do not decode them).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tins_ext/byte_source.h"
#include "tins_ext/capture_source.h"

namespace tcpfollow {
namespace {

struct Outcome {
  bool opened = false;
  bool error = false;
  bool truncated = false;
  bool damaged = false;
  std::vector<std::string> packets;  // every field of every packet
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
    std::string packet = absl::StrCat(absl::ToUnixNanos(p.ts), ",", p.caplen, ",", p.wirelen,
                                      ",", p.link_type, ":");
    if (p.link_type != 189 && p.link_type != 220) {  // DLT_USB_LINUX(_MMAPPED)
      packet.append(reinterpret_cast<const char*>(p.data), p.caplen);
    }
    o.packets.push_back(std::move(packet));
    ++o.count;
  }
  o.truncated = (*src)->truncated();
  o.damaged = (*src)->damage().has_value();
  if (o.truncated && !o.damaged) __builtin_trap();
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
  // pcapng by its first decompressed bytes: a compressed pcapng is read by the same rules.
  uint8_t head[4] = {};
  size_t have = 0;
  if (auto bytes = ByteSourceFromString(std::string(reinterpret_cast<const char*>(data), size))) {
    while (have < 4) {
      absl::StatusOr<size_t> got = bytes->Read(head + have, 4 - have);
      if (!got.ok() || *got == 0) break;
      have += *got;
    }
  }
  const bool pcapng = have == 4 && head[0] == 0x0a && head[1] == 0x0d && head[2] == 0x0d &&
                      head[3] == 0x0a;
  if (!pcapng) {
    if (fast.opened != lib.opened || fast.error != lib.error ||
        fast.truncated != lib.truncated || fast.damaged != lib.damaged ||
        fast.count != lib.count || fast.packets != lib.packets) {
      __builtin_trap();
    }
    return 0;
  }
  if (!lib.opened) return 0;  // we may read what libpcap refuses (no interface yet, ...)
  if (!fast.opened || fast.error) __builtin_trap();
  if (fast.count < lib.count) {
    // We stopped earlier than libpcap: only on damage libpcap did not see the same way, and
    // never on a file libpcap read cleanly.
    if (!fast.damaged || (!lib.damaged && !lib.error)) __builtin_trap();
  }
  const size_t common = std::min(fast.packets.size(), lib.packets.size());
  for (size_t i = 0; i < common; ++i) {
    if (fast.packets[i] != lib.packets[i]) __builtin_trap();
  }
  if (!lib.damaged && !lib.error && !lib.truncated) {
    if (fast.damaged || fast.count != lib.count) __builtin_trap();
  }
  return 0;
}
