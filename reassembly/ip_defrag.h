// IPv4 and IPv6 fragment reassembly, as the destination host would do it.
//
// Fragments (IpPacket with is_fragment, from tins_ext/decode.h) are collected per datagram,
// keyed by source, destination, identification, VLAN and, for IPv4, protocol (RFC 791; for
// IPv6 the next header is not part of the key, RFC 8200, and a non-first fragment naming
// another one counts as conflicting_protocol). Overlapping data is resolved byte by byte by
// the target-based policy (Novak, "Target-Based Fragmentation Reassembly", 2005, as Snort's
// frag3 and Suricata's defrag implement it): each byte is held by one fragment, and a later
// fragment covering it takes it over when Policy says so, comparing the two fragments'
// original extents. When the last fragment (MF=0) is known and the bytes from 0 to its end
// are all held, the datagram is rebuilt: the offset-0 fragment's header (IPv4 header with
// options; IPv6 header and unfragmentable extension headers) with IPv4 total length,
// flags/offset and checksum recomputed, or the IPv6 Fragment header removed and payload
// length / next header rewritten.
//
// Validates: offsets that would make the datagram exceed 65535 bytes (dropped), non-last
// fragments whose length is not a multiple of 8 (dropped), conflicting last fragments,
// fragments past the end, DF on a fragment, tiny fragments; each is counted. Bounded: by
// datagrams in progress, fragments per datagram and bytes held in total (oldest datagram
// evicted), and by a timeout measured in packet time only. Does not: decode packets, verify
// checksums, reassemble across VLANs, or keep completed datagrams to recognise late
// duplicates (a fragment after completion starts a new datagram that later expires).
#ifndef TCPFOLLOW_REASSEMBLY_IP_DEFRAG_H_
#define TCPFOLLOW_REASSEMBLY_IP_DEFRAG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/decode.h"
#include "tins_ext/ip_address.h"

namespace tcpfollow {

// Which fragment wins a byte that two fragments both carry.
enum class FragPolicy : uint8_t {
  kFirst,     // the earlier fragment, always
  kLast,      // the later fragment, always
  kBsd,       // the later one only if it starts before the earlier one
  kBsdRight,  // the one reaching further right; equal ends: the lower (or later) offset
  kLinux,     // the later one if it starts at or before the earlier one
  kWindows,   // the later one only if it starts before and ends after the earlier one
  kSolaris,   // the later one only if it starts before and ends at or after it
};

// "first", "last", "bsd", "bsd-right", "linux", "windows", "solaris". False if unknown.
bool ParseFragPolicy(absl::string_view name, FragPolicy* out);
const char* FragPolicyName(FragPolicy policy);
// Every policy name, comma-separated, in the table's order ("first, last, ...").
std::string FragPolicyNames();

// True when fragment `later` [later_begin, later_end) takes over a byte held by fragment
// `earlier` [earlier_begin, earlier_end) under `policy` (extents in datagram bytes).
bool LaterFragmentWins(FragPolicy policy, uint32_t earlier_begin, uint32_t earlier_end,
                       uint32_t later_begin, uint32_t later_end);

struct DefragLimits {
  size_t max_datagrams = 65536;              // datagrams in progress
  size_t max_fragments_per_datagram = 256;   // fragments kept for one datagram
  size_t max_bytes = 64u << 20;              // bytes held in total, bookkeeping included
  absl::Duration timeout = absl::Seconds(60);  // from a datagram's first fragment
  uint32_t tiny_fragment_bytes = 64;         // a non-last fragment shorter than this is tiny
};

struct DefragStats {
  uint64_t fragments = 0;              // fragments given to Add
  uint64_t malformed = 0;              // header lengths inconsistent with the bytes
  uint64_t datagrams_completed = 0;    // reassembled datagrams returned
  uint64_t atomic_fragments = 0;       // IPv6 offset 0 and M=0 (RFC 6946), returned as is
  uint64_t duplicate_fragments = 0;    // added nothing: every byte already held, same data
  uint64_t overlap_same_data = 0;      // fragments overlapping held bytes with equal data
  uint64_t overlap_different_data = 0; // fragments overlapping held bytes with other data
  uint64_t tiny_fragments = 0;         // MF set and shorter than tiny_fragment_bytes, or an
                                       // offset-0 TCP fragment shorter than a TCP header
  uint64_t oversize = 0;               // would exceed 65535 bytes: dropped
  uint64_t inconsistent_length = 0;    // a second, different last fragment, or data past it
  uint64_t misaligned_length = 0;      // MF set, length not a multiple of 8: dropped
  uint64_t empty_fragments = 0;        // no data: dropped
  uint64_t df_fragments = 0;           // DF set on a fragment
  uint64_t conflicting_protocol = 0;   // IPv6 fragments of one datagram naming other headers
  uint64_t too_many_fragments = 0;     // datagrams dropped over max_fragments_per_datagram
  uint64_t expired = 0;                // datagrams dropped by the timeout
  uint64_t evicted = 0;                // datagrams dropped to stay under max_datagrams/bytes
  uint64_t incomplete_at_end = 0;      // datagrams still in progress when Finish was called
  uint64_t datagrams_in_progress = 0;  // gauge
  uint64_t bytes_held = 0;             // gauge
  uint64_t peak_bytes_held = 0;
  uint64_t peak_datagrams_in_progress = 0;

  // Every counter above by snake_case name, in declaration order.
  std::vector<std::pair<const char*, uint64_t>> Items() const;
};

class IpDefragmenter {
 public:
  IpDefragmenter(const DefragLimits& limits, FragPolicy policy);
  IpDefragmenter(const IpDefragmenter&) = delete;
  IpDefragmenter& operator=(const IpDefragmenter&) = delete;
  ~IpDefragmenter();

  // Adds one fragment (frag.is_fragment, or an IPv6 atomic fragment). Returns true and
  // fills *datagram with the whole rebuilt IP datagram when `frag` completes one.
  // Non-fragments are ignored (false). Expires datagrams older than the timeout first.
  bool Add(absl::Time ts, const IpPacket& frag, std::string* datagram);
  // Drops datagrams whose first fragment is older than `now` - timeout.
  void Advance(absl::Time now);
  // Drops every datagram in progress (end of input), counting incomplete_at_end.
  void Finish();

  const DefragStats& stats() const { return stats_; }
  FragPolicy policy() const { return policy_; }

 private:
  struct Key {
    IpAddress src, dst;
    uint32_t id = 0;
    uint32_t vlan = 0;
    uint8_t version = 0;
    uint8_t protocol = 0;  // IPv4 only

    friend bool operator==(const Key& a, const Key& b) {
      return a.id == b.id && a.vlan == b.vlan && a.version == b.version &&
             a.protocol == b.protocol && a.src == b.src && a.dst == b.dst;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.src, k.dst, k.id, k.vlan, k.version, k.protocol);
    }
  };
  // A run of datagram bytes [begin, end) held by one fragment, whose bytes sit in the
  // datagram's arena from arena_pos; frag_begin/frag_end is that fragment's whole extent.
  struct Piece {
    uint32_t begin, end;
    uint32_t arena_pos;
    uint32_t frag_begin, frag_end;
  };
  struct Datagram;

  bool AddAtomic(const IpPacket& frag, std::string* datagram);
  Datagram* FindOrCreate(absl::Time ts, const Key& key);
  // Places fragment data starting at datagram offset `begin` into d under the policy.
  // *took is false when the fragment won no byte (its bytes are then not kept).
  void Place(Datagram* d, uint32_t begin, absl::string_view data, bool* overlap_same,
             bool* overlap_different, bool* took);
  bool Complete(const Datagram& d) const;
  void Build(const Datagram& d, std::string* out) const;
  void Remove(Datagram* d);
  void Account(Datagram* d);
  void Unlink(Datagram* d);
  // Evicts oldest datagrams until within limits, sparing `keep` unless it alone is over;
  // returns whether `keep` is still there.
  bool EnforceLimits(const Datagram* keep);
  void UpdatePeaks();

  DefragLimits limits_;
  FragPolicy policy_;
  DefragStats stats_;
  absl::flat_hash_map<Key, std::unique_ptr<Datagram>> table_;
  // Datagrams in creation order (the order they time out in): an intrusive list.
  Datagram* oldest_ = nullptr;
  Datagram* newest_ = nullptr;
  absl::Time latest_ = absl::InfinitePast();
  std::vector<Piece> scratch_;
  // Finished datagrams kept for reuse (a few, with small buffers): a datagram per packet
  // in a fully fragmented capture makes allocation a visible cost otherwise.
  std::vector<std::unique_ptr<Datagram>> spare_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_IP_DEFRAG_H_
