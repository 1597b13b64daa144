// Fuzzes the pcapng block reader (tins_ext/capture_source.h) alone, with small limits so
// the limit paths run: any bytes after a fixed little-endian Section Header Block (so that
// mutations land in blocks, not in the magic), read to the end. Checks the counters
// against what was delivered (packets, interfaces at least one per packet's link type),
// that every packet's length is within the block limit, that Decryption Secrets Blocks
// handed out fit in their block, that damage is named inside the input, and that progress
// never passes the input's size. capture_reader_fuzz compares the same reader with libpcap.
#include <cstdint>
#include <string>

#include "tins_ext/capture_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  static const char kShb[] =
      "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00"
      "\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00";
  std::string bytes(kShb, sizeof(kShb) - 1);
  bytes.append(reinterpret_cast<const char*>(data), size);
  const size_t total = bytes.size();
  CaptureLimits limits;
  limits.max_block_bytes = 4096;
  limits.max_interfaces = 4;
  auto src = OpenCaptureBytes(std::move(bytes), "fuzz", "", FileReader::kAuto, limits);
  if (!src.ok()) return 0;
  uint64_t secrets = 0;
  (*src)->set_secrets_handler([&](const DecryptionSecrets& s) {
    if (s.data.size() > limits.max_block_bytes || s.offset >= total) __builtin_trap();
    ++secrets;
  });
  RawPacket p;
  uint64_t packets = 0;
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> more = (*src)->Next(&p);
    if (!more.ok()) __builtin_trap();  // damage ends the file; it is never an error
    if (!*more) break;
    if (p.data == nullptr || p.caplen > limits.max_block_bytes) __builtin_trap();
    volatile uint8_t sum = 0;
    for (uint32_t j = 0; j < p.caplen; ++j) sum += p.data[j];  // every byte readable
    ++packets;
  }
  const CaptureStats stats = (*src)->stats();
  if (stats.packets != packets || stats.secrets_blocks < secrets) __builtin_trap();
  if (packets > 0 && stats.interfaces == 0) __builtin_trap();
  if ((*src)->bytes_read() > total) __builtin_trap();
  if (auto damage = (*src)->damage(); damage && damage->offset > total) __builtin_trap();
  if ((*src)->truncated() && !(*src)->damage()) __builtin_trap();
  return 0;
}
