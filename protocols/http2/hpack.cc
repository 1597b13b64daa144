// Implementation notes: Huffman strings are decoded four bits at a time by an automaton
// whose states are the internal nodes of the code tree (256 of them), built once from
// RFC 7541 Appendix B; with codes of at least five bits, a nibble completes at most one
// symbol. Integers are capped at 2^32 (larger is malformed).
#include "protocols/http2/hpack.h"

#include <algorithm>
#include <array>
#include <vector>

#include "protocols/http2/hpack_tables.h"

namespace tcpfollow {
namespace {

using hpack_internal::kHuffmanCodes;
using hpack_internal::kStaticTable;
using hpack_internal::kStaticTableSize;

struct HuffmanStep {
  uint8_t next = 0;
  uint8_t sym = 0;
  uint8_t flags = 0;
};
constexpr uint8_t kEmit = 1;
constexpr uint8_t kFail = 2;    // EOS decoded
constexpr uint8_t kAccept = 4;  // `next` may end a string (all-ones path under 8 bits)

struct HuffmanAutomaton {
  std::array<std::array<HuffmanStep, 16>, 256> steps;

  HuffmanAutomaton() {
    // Tree: node 0 is the root; children[n][bit] >= 0 is a node, -1 - sym is a leaf.
    std::vector<std::array<int, 2>> children(1, {0, 0});
    std::vector<int> depth(1, 0);
    std::vector<bool> all_ones(1, true);
    for (int sym = 0; sym < 257; ++sym) {
      uint32_t code = kHuffmanCodes[sym].code;
      int bits = kHuffmanCodes[sym].bits;
      int node = 0;
      for (int b = bits - 1; b >= 0; --b) {
        int bit = (code >> b) & 1;
        if (b == 0) {
          children[node][bit] = -1 - sym;
          break;
        }
        if (children[node][bit] == 0) {
          children[node][bit] = static_cast<int>(children.size());
          children.push_back({0, 0});
          depth.push_back(depth[node] + 1);
          all_ones.push_back(all_ones[node] && bit == 1);
        }
        node = children[node][bit];
      }
    }
    for (size_t state = 0; state < children.size() && state < 256; ++state) {
      for (int nibble = 0; nibble < 16; ++nibble) {
        HuffmanStep step;
        int node = static_cast<int>(state);
        for (int b = 3; b >= 0; --b) {
          int next = children[node][(nibble >> b) & 1];
          if (next < 0) {
            int sym = -1 - next;
            if (sym == 256) step.flags |= kFail;
            step.flags |= kEmit;
            step.sym = static_cast<uint8_t>(sym);
            node = 0;
          } else {
            node = next;
          }
        }
        step.next = static_cast<uint8_t>(node);
        if (all_ones[node] && depth[node] <= 7) step.flags |= kAccept;
        steps[state][nibble] = step;
      }
    }
  }
};

const HuffmanAutomaton& Automaton() {
  static const HuffmanAutomaton* a = new HuffmanAutomaton();
  return *a;
}

// Reads an HPACK integer with an N-bit prefix at *pos.
bool ReadInt(absl::string_view in, size_t* pos, int prefix_bits, uint64_t* out) {
  if (*pos >= in.size()) return false;
  uint64_t max_prefix = (1u << prefix_bits) - 1;
  uint64_t v = static_cast<uint8_t>(in[(*pos)++]) & max_prefix;
  if (v < max_prefix) {
    *out = v;
    return true;
  }
  int shift = 0;
  while (*pos < in.size()) {
    uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    v += static_cast<uint64_t>(b & 0x7f) << shift;
    if (v > 0xffffffffull) return false;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
    shift += 7;
    if (shift > 28) return false;
  }
  return false;
}

}  // namespace

bool HuffmanDecode(absl::string_view in, std::string* out) {
  const HuffmanAutomaton& a = Automaton();
  uint8_t state = 0;
  uint8_t flags = kAccept;
  for (unsigned char c : in) {
    for (int half = 0; half < 2; ++half) {
      const HuffmanStep& s = a.steps[state][half == 0 ? c >> 4 : c & 15];
      if (s.flags & kFail) return false;
      if (s.flags & kEmit) out->push_back(static_cast<char>(s.sym));
      state = s.next;
      flags = s.flags;
    }
  }
  return (flags & kAccept) != 0;
}

HpackDecoder::HpackDecoder(const HpackLimits& limits, HpackStats* stats)
    : limits_(limits), stats_(stats ? stats : &own_stats_) {
  max_size_ = std::min<size_t>(4096, limits_.max_table_size);
  capped_ = max_size_ < real_max_;
}

std::pair<absl::string_view, absl::string_view> HpackDecoder::DynamicEntry(size_t index) const {
  size_t i = index - kStaticTableSize - 1;
  if (index <= kStaticTableSize || i >= table_.size()) return {};
  return {table_[i].name, table_[i].value};
}

void HpackDecoder::MarkDesync() { Desync(); }

void HpackDecoder::Desync() {
  hidden_ = true;
  exact_ = 0;
  exact_size_ = 0;
  UpdateStep();
}

void HpackDecoder::UpdateStep() {
  bool now = !hidden_ && untrusted_ == 0;
  if (now && !in_step_) ++stats_->resyncs;
  if (!now && in_step_) ++stats_->desyncs;
  in_step_ = now;
}

void HpackDecoder::Unhide() {
  while (table_.size() > exact_) EvictTo(size_ - table_.back().size());
  hidden_ = false;
}

void HpackDecoder::EvictTo(size_t limit) {
  while (size_ > limit && !table_.empty()) {
    const Entry& e = table_.back();
    size_t s = e.size();
    if (!e.trusted) --untrusted_;
    if (hidden_ && table_.size() == exact_) {
      --exact_;
      exact_size_ -= s;
    }
    size_ -= s;
    table_.pop_back();
  }
}

void HpackDecoder::Shrink(size_t limit) {
  if (size_ <= limit) return;
  if (capped_ && !hidden_) {
    // The encoder's table is larger: it keeps what we are about to drop.
    hidden_ = true;
    exact_ = table_.size();
    exact_size_ = size_;
  }
  EvictTo(limit);
}

void HpackDecoder::ApplyMax(uint64_t size) {
  real_max_ = size;
  capped_ = size > limits_.max_table_size;
  max_size_ = capped_ ? limits_.max_table_size : size;
  // The encoder evicts down to `size`: below what the exact entries occupy, every older
  // entry goes first.
  if (hidden_ && (size == 0 || size < exact_size_)) Unhide();
  Shrink(max_size_);
  UpdateStep();
}

void HpackDecoder::SetSettingsTableSize(uint32_t size) {
  if (size < real_max_) ApplyMax(size);
}

void HpackDecoder::Insert(absl::string_view name, absl::string_view value, bool trusted) {
  Entry e{std::string(trusted ? name : absl::string_view()), std::string(value), trusted};
  size_t s = e.size();  // exact, or a lower bound when untrusted
  // The encoder evicts older entries to make room: when the exact ones alone leave no
  // room, every hidden entry is gone.
  if (hidden_ && exact_size_ + s > real_max_) Unhide();
  if (s > max_size_) {
    // An entry larger than the table empties it (RFC 7541 4.4); when we are capped the
    // encoder may keep it.
    table_.clear();
    size_ = 0;
    untrusted_ = 0;
    exact_ = 0;
    exact_size_ = 0;
    hidden_ = capped_ || !trusted;
    UpdateStep();
    return;
  }
  Shrink(max_size_ - s);
  table_.push_front(std::move(e));
  size_ += s;
  if (!trusted) ++untrusted_;
  if (hidden_) {
    ++exact_;
    exact_size_ += s;
  }
  UpdateStep();
}

bool HpackDecoder::Lookup(uint64_t index, absl::string_view* name, absl::string_view* value,
                          Result* result) {
  if (index == 0) {
    ++stats_->bad_indexes;
    result->malformed = true;
    result->error = "index 0";
    return false;
  }
  if (index <= kStaticTableSize) {
    *name = kStaticTable[index - 1].name;
    *value = kStaticTable[index - 1].value;
    return true;
  }
  uint64_t i = index - kStaticTableSize - 1;
  if (i < table_.size() && table_[i].trusted && (!hidden_ || i < exact_)) {
    *name = table_[i].name;
    *value = table_[i].value;
    return true;
  }
  result->untrusted = true;
  if (in_step_) {
    // In step, yet past the table: it was not in step after all.
    ++stats_->bad_indexes;
    Desync();
  } else {
    ++stats_->untrusted_fields;
  }
  return false;
}

void HpackDecoder::Emit(absl::string_view name, absl::string_view value, Result* result,
                        Sink* sink) {
  list_size_ += name.size() + value.size() + 32;
  if (list_size_ > limits_.max_header_list_size) {
    if (!result->list_limited) ++stats_->list_limited_blocks;
    result->list_limited = true;
    ++stats_->dropped_fields;
    return;
  }
  ++stats_->fields;
  sink->OnField(name, value);
}

HpackDecoder::Result HpackDecoder::Decode(absl::string_view in, Sink* sink) {
  Result r;
  ++stats_->blocks;
  list_size_ = 0;
  size_t pos = 0;
  bool field_seen = false;
  auto fail = [&](const char* why) {
    r.malformed = true;
    r.error = why;
    ++stats_->malformed_blocks;
    // Insertions in the rest of the block are lost.
    Desync();
    return r;
  };
  // A string literal at pos: a view into `in` or, Huffman-coded, into *buf.
  auto read_string = [&](std::string* buf, absl::string_view* out) -> bool {
    if (pos >= in.size()) return false;
    bool huffman = (static_cast<uint8_t>(in[pos]) & 0x80) != 0;
    uint64_t len;
    if (!ReadInt(in, &pos, 7, &len) || len > in.size() - pos) return false;
    absl::string_view raw = in.substr(pos, len);
    pos += len;
    if (!huffman) {
      *out = raw;
      return true;
    }
    buf->clear();
    if (!HuffmanDecode(raw, buf)) {
      ++stats_->huffman_errors;
      return false;
    }
    *out = *buf;
    return true;
  };

  while (pos < in.size()) {
    uint8_t b = static_cast<uint8_t>(in[pos]);
    uint64_t index;
    if (b & 0x80) {  // indexed field
      if (!ReadInt(in, &pos, 7, &index)) return fail("truncated integer");
      absl::string_view name, value;
      if (Lookup(index, &name, &value, &r)) {
        Emit(name, value, &r, sink);
      } else if (r.malformed) {
        return fail(r.error);
      }
      field_seen = true;
      continue;
    }
    if ((b & 0xe0) == 0x20) {  // dynamic table size update
      if (!ReadInt(in, &pos, 5, &index)) return fail("truncated integer");
      ++stats_->size_updates;
      (void)field_seen;  // RFC: only at a block's start; applied wherever it is
      if (index > limits_.max_table_size) ++stats_->table_size_limited;
      ApplyMax(index);
      continue;
    }
    bool indexing = (b & 0x40) != 0;
    if (!ReadInt(in, &pos, indexing ? 6 : 4, &index)) return fail("truncated integer");
    absl::string_view name, value, unused;
    bool trusted = true;
    if (index == 0) {
      if (!read_string(&name_buf_, &name)) return fail("bad name string");
    } else if (!Lookup(index, &name, &unused, &r)) {
      if (r.malformed) return fail(r.error);
      trusted = false;
    } else if (index > kStaticTableSize) {
      // The entry may be evicted by this very insertion.
      name_buf_.assign(name.data(), name.size());
      name = name_buf_;
    }
    if (!read_string(&value_buf_, &value)) return fail("bad value string");
    if (trusted) Emit(name, value, &r, sink);
    if (indexing) Insert(trusted ? name : absl::string_view(), value, trusted);
    field_seen = true;
  }
  return r;
}

}  // namespace tcpfollow
