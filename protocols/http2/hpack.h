// HpackDecoder: an RFC 7541 header block decoder for one direction of an HTTP/2 connection
// as an observer sees it: static and dynamic table, Huffman strings, dynamic table size
// updates and the receiving peer's SETTINGS_HEADER_TABLE_SIZE.
//
// Unlike an endpoint's decoder it never gives up: a malformed block is decoded up to the
// error, and the next block is decoded again. What it cannot know it says: after an error,
// a lost block (the caller reports gaps with MarkDesync) or a capture that starts mid-way,
// the encoder's table may hold entries this one lacks. Entries inserted since are still at
// exact positions (insertions push older entries back, evictions take the oldest first),
// so references to the static table and to those entries are trusted; a field naming
// anything else is dropped (counted, the block reported untrusted), never invented. A
// literal inserted under a name that could not be trusted keeps its place, with its
// content unknown. The table is in step again once every older entry must have left the
// encoder's table (a size update below what the exact entries occupy, or the exact
// entries alone filling it) and no entry of unknown content remains.
//
// Memory is bounded by HpackLimits: the table never holds more than max_table_size bytes
// (RFC size accounting) whatever the peers allow (larger tables are cut and that direction
// is marked out of step), and the fields emitted per block stop at max_header_list_size
// (later fields still update the table). It does not encode, and does not check header
// field semantics (pseudo-header order, lowercase names): the HTTP/2 analyzer does.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tcpfollow {

struct HpackLimits {
  // Dynamic table bytes honoured (RFC 7541 4.1 accounting: name + value + 32 per entry),
  // whatever size the peers negotiate.
  size_t max_table_size = 64 * 1024;
  // Per block, fields emitted up to this many bytes (name + value + 32 each, as
  // SETTINGS_MAX_HEADER_LIST_SIZE counts); the rest are dropped but still indexed.
  size_t max_header_list_size = 64 * 1024;  // as HTTP/1.x's max_head_bytes
};

struct HpackStats {
  uint64_t blocks = 0;
  uint64_t fields = 0;            // emitted
  uint64_t malformed_blocks = 0;  // decoding stopped inside the block
  uint64_t huffman_errors = 0;
  uint64_t bad_indexes = 0;        // index 0 or past the table while in step
  uint64_t untrusted_fields = 0;   // dropped: referenced an entry of unknown content
  uint64_t list_limited_blocks = 0;  // blocks cut at max_header_list_size
  uint64_t dropped_fields = 0;       // fields of those blocks not emitted
  uint64_t size_updates = 0;
  uint64_t table_size_limited = 0;  // size updates above max_table_size
  uint64_t desyncs = 0;             // times the table fell out of step
  uint64_t resyncs = 0;             // times it was known to be in step again
};

class HpackDecoder {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // One decoded field; the views are valid during the call only.
    virtual void OnField(absl::string_view name, absl::string_view value) = 0;
  };

  struct Result {
    bool malformed = false;     // stopped at an error (`error` says which)
    bool untrusted = false;     // fields were dropped: they named entries of unknown content
    bool list_limited = false;  // fields dropped by max_header_list_size
    const char* error = "";
  };

  // `stats` may be null.
  HpackDecoder(const HpackLimits& limits, HpackStats* stats);

  // Decodes one complete header block (HEADERS/PUSH_PROMISE plus its CONTINUATIONs).
  Result Decode(absl::string_view block, Sink* sink);

  // The decoding peer's SETTINGS_HEADER_TABLE_SIZE: the encoder may not use more, so a
  // smaller value shrinks the table at once (as the encoder's next size update would).
  void SetSettingsTableSize(uint32_t size);

  // A block may have been lost (a gap) or the connection was joined mid-way.
  void MarkDesync();
  bool in_step() const { return in_step_; }

  // Introspection for tests: current size, limit and entry `index` (62 = newest).
  size_t table_size() const { return size_; }
  size_t max_table_size() const { return max_size_; }
  size_t dynamic_entries() const { return table_.size(); }
  std::pair<absl::string_view, absl::string_view> DynamicEntry(size_t index) const;

 private:
  struct Entry {
    std::string name, value;
    bool trusted = true;  // false: inserted under a name we could not resolve ("" here)
    // RFC size; for an untrusted entry a lower bound (its name is unknown).
    size_t size() const { return name.size() + value.size() + 32; }
  };

  // Resolves an HPACK index; false when it cannot be trusted (sets result's flags).
  bool Lookup(uint64_t index, absl::string_view* name, absl::string_view* value,
              Result* result);
  void Insert(absl::string_view name, absl::string_view value, bool trusted);
  // The encoder's table limit becomes `size` (ours: at most limits_.max_table_size).
  void ApplyMax(uint64_t size);
  // Evicts to `limit` bytes, as the encoder does unless we are capped below its size.
  void Shrink(size_t limit);
  void EvictTo(size_t limit);
  // Every older entry has left the encoder's table: drop ours past the exact prefix.
  void Unhide();
  void Desync();
  void UpdateStep();
  void Emit(absl::string_view name, absl::string_view value, Result* result, Sink* sink);

  HpackLimits limits_;
  HpackStats own_stats_;
  HpackStats* stats_;
  std::deque<Entry> table_;  // front is newest (index 62)
  size_t size_ = 0;
  size_t max_size_ = 4096;   // ours
  uint64_t real_max_ = 4096; // the encoder's, as last signalled
  bool capped_ = false;      // real_max_ > limits_.max_table_size
  bool in_step_ = true;
  // The encoder's table may hold entries older than ours that we never saw; only the
  // newest exact_ entries (exact_size_ bytes, a lower bound) are at known positions.
  bool hidden_ = false;
  size_t exact_ = 0;
  size_t exact_size_ = 0;
  size_t untrusted_ = 0;   // entries of unknown content in table_
  size_t list_size_ = 0;   // of the block being decoded
  std::string name_buf_, value_buf_;
};

// Decodes the Huffman string `in` (RFC 7541 5.2) onto `out`. False on an EOS symbol,
// padding longer than 7 bits or padding that is not all ones.
bool HuffmanDecode(absl::string_view in, std::string* out);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HPACK_H_
