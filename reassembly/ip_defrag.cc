// IP fragment reassembly: see ip_defrag.h. Each datagram keeps its fragments' winning bytes
// in one growing arena plus a sorted list of pieces saying which fragment holds which range,
// so a datagram costs one string and one small vector however its fragments arrive.
#include "reassembly/ip_defrag.h"

#include <algorithm>
#include <cstring>

namespace tcpfollow {
namespace {

constexpr uint8_t kTcp = 6;
constexpr uint32_t kMaxIpLength = 65535;

uint16_t Be16(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}
void PutBe16(char* p, uint32_t v) {
  p[0] = static_cast<char>((v >> 8) & 0xff);
  p[1] = static_cast<char>(v & 0xff);
}

uint16_t Ipv4HeaderChecksum(const char* h, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += Be16(h + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The one list of fragment policy names: parsing, naming, --help and messages use it.
struct PolicyName {
  FragPolicy policy;
  const char* name;
};
constexpr PolicyName kPolicyNames[] = {
    {FragPolicy::kFirst, "first"},     {FragPolicy::kLast, "last"},
    {FragPolicy::kBsd, "bsd"},         {FragPolicy::kBsdRight, "bsd-right"},
    {FragPolicy::kLinux, "linux"},     {FragPolicy::kWindows, "windows"},
    {FragPolicy::kSolaris, "solaris"},
};

}  // namespace

bool ParseFragPolicy(absl::string_view name, FragPolicy* out) {
  for (const PolicyName& p : kPolicyNames) {
    if (name == p.name) {
      *out = p.policy;
      return true;
    }
  }
  return false;
}

std::string FragPolicyNames() {
  std::string out;
  for (const PolicyName& p : kPolicyNames) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

const char* FragPolicyName(FragPolicy policy) {
  for (const PolicyName& p : kPolicyNames) {
    if (p.policy == policy) return p.name;
  }
  return "unknown";
}

bool LaterFragmentWins(FragPolicy policy, uint32_t earlier_begin, uint32_t earlier_end,
                       uint32_t later_begin, uint32_t later_end) {
  switch (policy) {
    case FragPolicy::kFirst:
      return false;
    case FragPolicy::kLast:
      return true;
    case FragPolicy::kBsd:
      return later_begin < earlier_begin;
    case FragPolicy::kLinux:
      return later_begin <= earlier_begin;
    case FragPolicy::kWindows:
      return later_begin < earlier_begin && later_end > earlier_end;
    case FragPolicy::kSolaris:
      return later_begin < earlier_begin && later_end >= earlier_end;
    case FragPolicy::kBsdRight:
      // frag3's HP JetDirect model: the fragment reaching further right wins; with equal
      // ends an earlier fragment starting before the later one keeps its bytes.
      return earlier_begin < later_begin ? later_end > earlier_end
                                         : later_end >= earlier_end;
  }
  return false;
}

std::vector<std::pair<const char*, uint64_t>> DefragStats::Items() const {
  return {
      {"fragments", fragments},
      {"malformed", malformed},
      {"datagrams_completed", datagrams_completed},
      {"atomic_fragments", atomic_fragments},
      {"duplicate_fragments", duplicate_fragments},
      {"overlap_same_data", overlap_same_data},
      {"overlap_different_data", overlap_different_data},
      {"tiny_fragments", tiny_fragments},
      {"oversize", oversize},
      {"inconsistent_length", inconsistent_length},
      {"misaligned_length", misaligned_length},
      {"empty_fragments", empty_fragments},
      {"df_fragments", df_fragments},
      {"conflicting_protocol", conflicting_protocol},
      {"too_many_fragments", too_many_fragments},
      {"expired", expired},
      {"evicted", evicted},
      {"incomplete_at_end", incomplete_at_end},
      {"datagrams_in_progress", datagrams_in_progress},
      {"bytes_held", bytes_held},
      {"peak_bytes_held", peak_bytes_held},
      {"peak_datagrams_in_progress", peak_datagrams_in_progress},
  };
}

struct IpDefragmenter::Datagram {
  Key key;
  absl::Time created;
  Datagram* older = nullptr;
  Datagram* newer = nullptr;
  std::string arena;          // winning fragment bytes, in arrival order
  std::vector<Piece> pieces;  // sorted by begin, disjoint
  std::string header;         // from the offset-0 fragment; empty until it arrives
  uint16_t next_header_offset = 0;  // IPv6: byte of `header` naming the Fragment header
  uint8_t next_header = 0;          // IPv6: upper-layer header from the offset-0 fragment
  bool next_header_seen = false;
  uint8_t first_next_header = 0;    // IPv6: next header of the first fragment seen
  bool last_known = false;
  uint32_t total = 0;         // payload length once the last fragment is known
  uint32_t max_payload = 0;   // 65535 minus the header bytes
  uint32_t fragments = 0;
  size_t accounted = 0;       // bytes charged to stats_.bytes_held

  // Back to a fresh datagram, keeping buffer capacity for reuse.
  void Reset() {
    older = newer = nullptr;
    arena.clear();
    pieces.clear();
    header.clear();
    next_header_offset = 0;
    next_header = 0;
    next_header_seen = false;
    first_next_header = 0;
    last_known = false;
    total = 0;
    max_payload = 0;
    fragments = 0;
    accounted = 0;
  }
};

namespace {
constexpr size_t kMaxSpareDatagrams = 64;
constexpr size_t kMaxSpareArena = 16u << 10;
}  // namespace

IpDefragmenter::IpDefragmenter(const DefragLimits& limits, FragPolicy policy)
    : limits_(limits), policy_(policy) {}

IpDefragmenter::~IpDefragmenter() = default;

bool IpDefragmenter::Add(absl::Time ts, const IpPacket& frag, std::string* datagram) {
  if (!frag.is_fragment) return false;
  ++stats_.fragments;
  Advance(ts);
  if (frag.dont_fragment) ++stats_.df_fragments;
  const bool header_ok =
      frag.version == 4
          ? frag.unfragmentable_len >= 20 && frag.unfragmentable_len <= frag.ip.size()
          : frag.version == 6 && frag.unfragmentable_len >= 40 &&
                frag.unfragmentable_len <= frag.ip.size() &&
                frag.frag_next_header_offset < frag.unfragmentable_len;
  if (!header_ok) {
    ++stats_.malformed;
    return false;
  }
  if (frag.version == 6 && frag.frag_offset == 0 && !frag.more_fragments) {
    return AddAtomic(frag, datagram);
  }
  const size_t len = frag.payload.size();
  if (len == 0) {
    ++stats_.empty_fragments;
    return false;
  }
  if (frag.more_fragments && len % 8 != 0) {
    ++stats_.misaligned_length;
    return false;
  }
  const uint32_t header_extra =
      frag.version == 4 ? frag.unfragmentable_len : frag.unfragmentable_len - 40u;
  const uint32_t max_payload = kMaxIpLength - std::min<uint32_t>(header_extra, kMaxIpLength);
  if (frag.frag_offset > max_payload || len > max_payload - frag.frag_offset) {
    ++stats_.oversize;
    return false;
  }
  if ((frag.more_fragments && len < limits_.tiny_fragment_bytes) ||
      (frag.frag_offset == 0 && frag.protocol == kTcp && len < 20)) {
    ++stats_.tiny_fragments;
  }

  Key key;
  key.src = frag.src;
  key.dst = frag.dst;
  key.id = frag.frag_id;
  key.vlan = frag.vlan;
  key.version = frag.version;
  key.protocol = frag.version == 4 ? frag.protocol : 0;
  Datagram* d = FindOrCreate(ts, key);
  if (d == nullptr) return false;  // limits too small for even one datagram

  if (d->fragments >= limits_.max_fragments_per_datagram) {
    ++stats_.too_many_fragments;
    Remove(d);
    return false;
  }
  ++d->fragments;

  if (frag.version == 6) {
    if (!d->next_header_seen) {
      d->next_header_seen = true;
      d->first_next_header = frag.frag_next_header;
    } else if (d->first_next_header != frag.frag_next_header) {
      ++stats_.conflicting_protocol;
    }
  }

  uint32_t begin = frag.frag_offset;
  absl::string_view data = frag.payload;
  const uint32_t end = begin + static_cast<uint32_t>(len);
  if (!frag.more_fragments) {
    if (d->last_known && d->total != end) {
      ++stats_.inconsistent_length;  // keep the first last fragment's end
    } else {
      d->last_known = true;
      d->total = end;
      if (!d->pieces.empty() && d->pieces.back().end > end) ++stats_.inconsistent_length;
    }
  }
  if (d->last_known && end > d->total) {
    if (frag.more_fragments) ++stats_.inconsistent_length;
    data = data.substr(0, begin < d->total ? d->total - begin : 0);
  }

  if (frag.frag_offset == 0 && d->header.empty()) {
    d->header.assign(frag.ip.data(), frag.unfragmentable_len);
    d->max_payload = max_payload;
    if (frag.version == 6) {
      d->next_header_offset = frag.frag_next_header_offset;
      d->next_header = frag.frag_next_header;
    }
  }

  bool same = false, different = false, took = false;
  if (!data.empty()) Place(d, begin, data, &same, &different, &took);
  if (same) ++stats_.overlap_same_data;
  if (different) ++stats_.overlap_different_data;
  if (!took && !different) ++stats_.duplicate_fragments;

  if (Complete(*d)) {
    Build(*d, datagram);
    Remove(d);
    ++stats_.datagrams_completed;
    return true;
  }
  Account(d);
  EnforceLimits(d);
  return false;
}

bool IpDefragmenter::AddAtomic(const IpPacket& frag, std::string* datagram) {
  // RFC 6946: processed in isolation from any datagram in progress with the same id.
  ++stats_.atomic_fragments;
  const size_t unfrag = frag.unfragmentable_len;
  datagram->assign(frag.ip.data(), unfrag);
  datagram->append(frag.payload.data(), frag.payload.size());
  (*datagram)[frag.frag_next_header_offset] = static_cast<char>(frag.frag_next_header);
  PutBe16(&(*datagram)[4], static_cast<uint32_t>(datagram->size() - 40));
  return true;
}

IpDefragmenter::Datagram* IpDefragmenter::FindOrCreate(absl::Time ts, const Key& key) {
  // One hash lookup whether the datagram is new or not.
  auto [it, inserted] = table_.try_emplace(key);
  if (!inserted) return it->second.get();
  if (!spare_.empty()) {
    it->second = std::move(spare_.back());
    spare_.pop_back();
  } else {
    it->second = std::make_unique<Datagram>();
  }
  Datagram* d = it->second.get();
  d->key = key;
  d->created = ts;
  d->older = newest_;
  if (newest_ != nullptr) newest_->newer = d;
  newest_ = d;
  if (oldest_ == nullptr) oldest_ = d;
  ++stats_.datagrams_in_progress;
  Account(d);
  return EnforceLimits(d) ? d : nullptr;
}

void IpDefragmenter::Place(Datagram* d, uint32_t begin, absl::string_view data,
                           bool* overlap_same, bool* overlap_different, bool* took) {
  const uint32_t end = begin + static_cast<uint32_t>(data.size());
  const uint32_t arena_pos = static_cast<uint32_t>(d->arena.size());
  d->arena.append(data.data(), data.size());
  const Piece mine{begin, end, arena_pos, begin, end};
  auto emit_mine = [&](uint32_t from, uint32_t to) {
    scratch_.push_back({from, to, arena_pos + (from - begin), begin, end});
    *took = true;
  };
  auto emit_part = [&](const Piece& p, uint32_t from, uint32_t to) {
    scratch_.push_back({from, to, p.arena_pos + (from - p.begin), p.frag_begin, p.frag_end});
  };

  scratch_.clear();
  uint32_t cursor = begin;  // next byte of the new fragment not yet placed
  for (const Piece& p : d->pieces) {
    if (p.end <= begin || p.begin >= end) {
      if (p.begin >= end && cursor < end) {
        emit_mine(cursor, end);
        cursor = end;
      }
      scratch_.push_back(p);
      continue;
    }
    if (p.begin < begin) emit_part(p, p.begin, begin);
    if (cursor < p.begin) emit_mine(cursor, p.begin);
    const uint32_t from = std::max(p.begin, begin);
    const uint32_t to = std::min(p.end, end);
    const bool equal = std::memcmp(d->arena.data() + p.arena_pos + (from - p.begin),
                                   data.data() + (from - begin), to - from) == 0;
    (equal ? *overlap_same : *overlap_different) = true;
    if (LaterFragmentWins(policy_, p.frag_begin, p.frag_end, mine.frag_begin, mine.frag_end)) {
      emit_mine(from, to);
    } else {
      emit_part(p, from, to);
    }
    if (p.end > end) emit_part(p, end, p.end);
    cursor = to;
  }
  if (cursor < end) emit_mine(cursor, end);

  if (!*took) {
    d->arena.resize(arena_pos);  // nothing of this fragment is held
    return;
  }
  // Merge neighbours that continue each other in the arena and come from one fragment.
  d->pieces.clear();
  for (const Piece& p : scratch_) {
    if (!d->pieces.empty()) {
      Piece& q = d->pieces.back();
      if (q.end == p.begin && q.arena_pos + (q.end - q.begin) == p.arena_pos &&
          q.frag_begin == p.frag_begin && q.frag_end == p.frag_end) {
        q.end = p.end;
        continue;
      }
    }
    d->pieces.push_back(p);
  }
}

bool IpDefragmenter::Complete(const Datagram& d) const {
  if (!d.last_known || d.header.empty() || d.pieces.empty()) return false;
  uint32_t next = 0;
  for (const Piece& p : d.pieces) {
    if (p.begin != next) return false;
    next = p.end;
    if (next >= d.total) return true;
  }
  return false;
}

void IpDefragmenter::Build(const Datagram& d, std::string* out) const {
  const uint32_t total = std::min(d.total, d.max_payload);
  out->clear();
  out->reserve(d.header.size() + total);
  out->append(d.header);
  for (const Piece& p : d.pieces) {
    if (p.begin >= total) break;
    out->append(d.arena.data() + p.arena_pos, std::min(p.end, total) - p.begin);
  }
  char* h = &(*out)[0];
  if (d.key.version == 4) {
    PutBe16(h + 2, static_cast<uint32_t>(out->size()));
    h[6] = static_cast<char>(h[6] & 0x40);  // keep DF, clear MF and the offset
    h[7] = 0;
    h[10] = h[11] = 0;
    PutBe16(h + 10, Ipv4HeaderChecksum(h, d.header.size()));
  } else {
    h[d.next_header_offset] = static_cast<char>(d.next_header);
    PutBe16(h + 4, static_cast<uint32_t>(out->size() - 40));
  }
}

void IpDefragmenter::Unlink(Datagram* d) {
  if (d->older != nullptr) d->older->newer = d->newer; else oldest_ = d->newer;
  if (d->newer != nullptr) d->newer->older = d->older; else newest_ = d->older;
  d->older = d->newer = nullptr;
}

void IpDefragmenter::Remove(Datagram* d) {
  Unlink(d);
  stats_.bytes_held -= d->accounted;
  --stats_.datagrams_in_progress;
  auto it = table_.find(d->key);
  std::unique_ptr<Datagram> owned = std::move(it->second);
  table_.erase(it);
  if (spare_.size() < kMaxSpareDatagrams && owned->arena.capacity() <= kMaxSpareArena &&
      owned->pieces.capacity() <= 64) {
    owned->Reset();
    spare_.push_back(std::move(owned));
  }
}

void IpDefragmenter::Account(Datagram* d) {
  const size_t bytes = sizeof(Datagram) + sizeof(Key) + 2 * sizeof(void*) +
                       d->arena.capacity() + d->header.capacity() +
                       d->pieces.capacity() * sizeof(Piece);
  stats_.bytes_held = stats_.bytes_held - d->accounted + bytes;
  d->accounted = bytes;
}

void IpDefragmenter::UpdatePeaks() {
  stats_.peak_bytes_held = std::max(stats_.peak_bytes_held, stats_.bytes_held);
  stats_.peak_datagrams_in_progress =
      std::max(stats_.peak_datagrams_in_progress, stats_.datagrams_in_progress);
}

bool IpDefragmenter::EnforceLimits(const Datagram* keep) {
  while (oldest_ != nullptr && (stats_.datagrams_in_progress > limits_.max_datagrams ||
                                stats_.bytes_held > limits_.max_bytes)) {
    Datagram* victim = oldest_;
    if (victim == keep) {
      if (victim->newer == nullptr) {
        // `keep` alone is over the cap: it goes too.
        ++stats_.evicted;
        Remove(victim);
        return false;
      }
      victim = victim->newer;
    }
    ++stats_.evicted;
    Remove(victim);
  }
  UpdatePeaks();
  return true;
}

void IpDefragmenter::Advance(absl::Time now) {
  if (now > latest_) latest_ = now;
  while (oldest_ != nullptr && oldest_->created + limits_.timeout <= latest_) {
    ++stats_.expired;
    Remove(oldest_);
  }
}

void IpDefragmenter::Finish() {
  while (oldest_ != nullptr) {
    ++stats_.incomplete_at_end;
    Remove(oldest_);
  }
}

}  // namespace tcpfollow
