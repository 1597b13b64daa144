// RFC 7541's fixed tables, for hpack.cc and its tests only.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_TABLES_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_TABLES_H_

#include <cstdint>

namespace tcpfollow {
namespace hpack_internal {

struct StaticEntry {
  const char* name;
  const char* value;
};
constexpr int kStaticTableSize = 61;
extern const StaticEntry kStaticTable[kStaticTableSize];  // index 1 is kStaticTable[0]

struct HuffmanCode {
  uint32_t code;  // right-aligned
  uint8_t bits;
};
extern const HuffmanCode kHuffmanCodes[257];  // 256 is EOS

}  // namespace hpack_internal
}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_TABLES_H_
