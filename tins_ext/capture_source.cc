// Capture sources: our pcap and pcapng block readers, libpcap for the rest; see
// capture_source.h.
#include "tins_ext/capture_source.h"

#include <grp.h>
#include <pcap/pcap.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/if_packet.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tcpfollow {
namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// Compiles `bpf` for `pcap`'s link type into *program (freed with pcap_freecode).
absl::Status CompileFilter(pcap_t* pcap, const std::string& bpf, bpf_u_int32 netmask,
                           const std::string& what, bpf_program* program) {
  if (pcap_compile(pcap, program, bpf.c_str(), 1, netmask) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad BPF filter \"", bpf, "\" for ", what, ": ", pcap_geterr(pcap)));
  }
  return absl::OkStatus();
}

absl::Status ApplyFilter(pcap_t* pcap, const std::string& bpf, bpf_u_int32 netmask,
                         const std::string& what, bool even_empty = false) {
  if (bpf.empty() && !even_empty) return absl::OkStatus();
  bpf_program program;
  absl::Status compiled = CompileFilter(pcap, bpf, netmask, what, &program);
  if (!compiled.ok()) return compiled;
  const int rc = pcap_setfilter(pcap, &program);
  pcap_freecode(&program);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set BPF filter on ", what, ": ", pcap_geterr(pcap)));
  }
  return absl::OkStatus();
}

// Switches to `user` for good: supplementary groups, gid, uid, then checks that root
// cannot be regained.
absl::Status DropPrivileges(const std::string& user) {
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return absl::NotFoundError(absl::StrCat("-Z: no such user ", user));
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (initgroups(user.c_str(), gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("-Z: cannot switch to user ", user, ": ", std::strerror(errno)));
  }
  if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
      (uid != 0 && setuid(0) == 0)) {
    return absl::PermissionDeniedError(absl::StrCat("-Z: privileges not dropped to ", user));
  }
  return absl::OkStatus();
}

// The bytes of a file handed to libpcap as a stdio stream (fopencookie), so that libpcap
// reads decompressed input and standard input after we have looked at its first bytes.
struct LibpcapFeed {
  std::unique_ptr<ByteSource> bytes;
  std::string error;  // the ByteSource's error, when a read failed
  uint64_t consumed = 0;  // decompressed bytes handed to libpcap
  std::atomic<bool> stop{false};  // set by BreakLoop: an interrupted read ends the input

  static ssize_t Read(void* cookie, char* buf, size_t n) {
    auto* feed = static_cast<LibpcapFeed*>(cookie);
    absl::StatusOr<size_t> got = feed->bytes->Read(reinterpret_cast<uint8_t*>(buf), n);
    if (!got.ok() && absl::IsCancelled(got.status()) && !feed->stop.load()) {
      got = feed->bytes->Read(reinterpret_cast<uint8_t*>(buf), n);  // once more, then give up
    }
    if (!got.ok()) {
      feed->error = std::string(got.status().message());
      errno = EIO;
      return -1;
    }
    feed->consumed += *got;
    return static_cast<ssize_t>(*got);
  }
  static int Close(void*) { return 0; }  // the feed is owned by its PcapSource

  // A stdio stream over this feed; closed by pcap_close.
  std::FILE* Open() {
    cookie_io_functions_t io = {};
    io.read = &LibpcapFeed::Read;
    io.close = &LibpcapFeed::Close;
    return fopencookie(this, "r", io);
  }
};

class PcapSource : public CaptureSource {
 public:
  PcapSource(PcapHandle pcap, bool live, bool nanosecond, std::string name, int timeout_ms,
             std::unique_ptr<LibpcapFeed> feed = nullptr)
      : feed_(std::move(feed)),
        pcap_(std::move(pcap)),
        live_(live),
        timeout_ms_(timeout_ms > 0 ? timeout_ms : -1),
        nanosecond_(nanosecond),
        name_(std::move(name)),
        link_type_(pcap_datalink(pcap_.get())) {
    if (live_ && pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  }
  ~PcapSource() override {
    for (int fd : wake_) {
      if (fd >= 0) close(fd);
    }
  }

  absl::StatusOr<bool> Next(RawPacket* p) override {
    if (ended_ || break_.load(std::memory_order_relaxed)) return false;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pcap_.get(), &header, &data);
    if (rc == 0 && live_ && WaitReadable()) rc = pcap_next_ex(pcap_.get(), &header, &data);
    if (break_.load(std::memory_order_relaxed)) return false;
    if (rc == 1) {
      packets_.store(packets_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      p->ts = absl::FromUnixSeconds(header->ts.tv_sec) +
              (nanosecond_ ? absl::Nanoseconds(header->ts.tv_usec)
                           : absl::Microseconds(header->ts.tv_usec));
      p->link_type = link_type_;
      p->caplen = header->caplen;
      p->wirelen = header->len;
      p->data = data;
      return true;
    }
    if (rc == 0) {  // live read timeout: a tick without a packet
      p->caplen = 0;
      p->wirelen = 0;
      p->data = nullptr;
      p->link_type = link_type_;
      return true;
    }
    if (rc == PCAP_ERROR_BREAK) {
      ended_ = true;
      if (feed_ != nullptr && feed_->bytes->truncated_stream()) {  // as our readers say it
        truncated_ = true;
        damage_ = CaptureDamage{feed_->consumed,
                                absl::StrCat("the ", CompressionName(feed_->bytes->compression()),
                                             " stream ends before its end marker")};
      }
      return false;
    }
    std::string error = pcap_geterr(pcap_.get());
    if (!live_) {
      // A file damaged in the middle: what came before it was delivered; say where.
      if (feed_ != nullptr && !feed_->error.empty()) error = feed_->error;
      truncated_ = absl::StrContains(error, "truncated");
      ended_ = true;
      damage_ = CaptureDamage{feed_ != nullptr ? feed_->consumed : 0, error};
      return false;
    }
    return absl::DataLossError(absl::StrCat("error reading ", name_, ": ", error));
  }

  int link_type() const override { return link_type_; }

  CaptureStats stats() const override {
    CaptureStats s;
    s.packets = packets_.load(std::memory_order_relaxed);
    pcap_stat ps;
    // pcap_stats only reads the socket's counters (getsockopt) and adds them up in the
    // handle, which no read path touches: one caller at a time is enough.
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (live_ && pcap_stats(pcap_.get(), &ps) == 0) {
      s.kernel_received = ps.ps_recv;
      s.kernel_drops = ps.ps_drop;
      s.if_drops = ps.ps_ifdrop;
    }
    return s;
  }

  void BreakLoop() override {
    break_.store(true, std::memory_order_relaxed);
    if (feed_ != nullptr) feed_->stop.store(true, std::memory_order_relaxed);
    if (wake_[1] >= 0) {
      const ssize_t ignored = write(wake_[1], "x", 1);
      (void)ignored;
    }
    pcap_breakloop(pcap_.get());
  }

  uint64_t bytes_read() const override {
    return feed_ == nullptr ? 0 : feed_->bytes->stats().compressed_bytes;
  }
  uint64_t total_bytes() const override {
    return feed_ == nullptr ? 0 : feed_->bytes->file_size();
  }
  bool truncated() const override { return truncated_; }
  std::optional<CaptureDamage> damage() const override { return damage_; }
  CaptureFormat format() const override {
    CaptureFormat f;
    f.container = "pcap (libpcap)";
    if (feed_ != nullptr) f.compression = feed_->bytes->compression();
    return f;
  }

 private:
  // Live captures are non-blocking: libpcap's read timeout does not fire while no packet
  // arrives (TPACKET_V3), so we poll the capture fd and a wake-up pipe ourselves. Returns
  // true when the capture fd became readable before the timeout.
  bool WaitReadable() {
    pollfd fds[2] = {{pcap_get_selectable_fd(pcap_.get()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int n = poll(fds, wake_[0] >= 0 ? 2 : 1, timeout_ms_);
    return n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
  }

  std::unique_ptr<LibpcapFeed> feed_;  // files; destroyed after pcap_ closes its stream
  PcapHandle pcap_;
  const bool live_;
  const int timeout_ms_;  // poll timeout for live captures; -1 = wait for a packet
  const bool nanosecond_;
  const std::string name_;
  const int link_type_;
  std::atomic<uint64_t> packets_{0};  // live: read by stats() from another thread
  mutable std::mutex stats_mu_;
  bool truncated_ = false;
  std::optional<CaptureDamage> damage_;
  bool ended_ = false;  // end of file seen: later calls return false without reading
  int wake_[2] = {-1, -1};  // live: BreakLoop writes to [1] to end a wait on [0]
  std::atomic<bool> break_{false};
  static_assert(std::atomic<bool>::is_always_lock_free, "BreakLoop must be signal-safe");
};

// ---------------------------------------------------------------------------------------
// Our own file readers: classic pcap and pcapng over a ByteSource, read in large blocks
// with views into the block handed out (one copy per packet, kernel or decompressor to
// user), or, for an uncompressed file opened by path, in place (mapped_file.h). They deliver what libpcap 1.10 delivers on the files libpcap reads (checked packet
// by packet by capture_source_test and fuzz/capture_reader_fuzz), and more: pcapng
// interfaces of different link types and snapshot lengths, sections of either byte order.

// Link types as files write them (LINKTYPE_*) to libpcap's DLT_* values, as libpcap maps
// them on Linux (almost all are equal).
int LinkTypeToDlt(uint32_t link_type) {
  switch (link_type) {
    case 100: return DLT_ATM_RFC1483;
    case 101: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    case 106: return DLT_ATM_CLIP;
    default: return static_cast<int>(link_type);
  }
}

// libpcap's largest snapshot length for a link type (max_snaplen_for_dlt).
uint32_t MaxSnaplen(int dlt) {
  switch (dlt) {
    case 231: return 128u << 20;  // DLT_DBUS
    case 279: return 8u << 20;    // DLT_EBHSCR
    case 249: return 1u << 20;    // DLT_USBPCAP
    default: return 262144;
  }
}
uint32_t AdjustSnaplen(int dlt, uint32_t snaplen) {
  const uint32_t max = MaxSnaplen(dlt);
  return snaplen == 0 || snaplen > max ? max : snaplen;
}

// NFLOG TLV headers are in the writing host's byte order; libpcap swaps them when the file
// was written on a host of the other order, and so do we (in place), so the decoder reads
// them in ours.
void SwapNflogHeader(uint8_t* buf, uint32_t caplen, uint32_t len) {
  if (caplen < 4 || len < 4 || buf[1] != 0) return;
  caplen -= 4;
  len -= 4;
  uint8_t* p = buf + 4;
  while (len >= 4) {
    if (caplen < 4) return;
    uint16_t f[2];
    std::memcpy(f, p, 4);
    f[0] = __builtin_bswap16(f[0]);
    f[1] = __builtin_bswap16(f[1]);
    std::memcpy(p, f, 4);
    uint32_t size = f[0];
    if (size % 4 != 0) size += 4 - size % 4;
    if (size < 4 || caplen < size) return;
    len -= size;
    caplen -= size;
    p += size;
  }
}

// A growing window over a ByteSource: Ensure(n) makes n bytes available at data(), reading
// (and moving the unread tail to the front) as needed. After MapRest, a file that can be
// mapped is read in place instead: the window is the mapping, populated a few MiB ahead
// and dropped behind (mapped_file.h). Either way, bytes before data() may be gone after
// the next Ensure.
class InputBuffer {
 public:
  static constexpr size_t kBlock = 1 << 20;
  static constexpr uint64_t kMapAhead = 2 << 20;     // populated ahead of the reader
  static constexpr size_t kPrefetchDistance = 4096;  // cached ahead of the reader

  explicit InputBuffer(std::unique_ptr<ByteSource> bytes)
      : bytes_(std::move(bytes)), buf_(new uint8_t[kBlock]), mem_(buf_.get()), cap_(kBlock) {}

  // false: the input ended (or failed: error()) with fewer than n bytes left.
  bool Ensure(size_t n) { return end_ - pos_ >= n || Fill(n); }
  const uint8_t* data() const { return mem_ + pos_; }
  uint8_t* mutable_data() { return mem_ + pos_; }
  size_t available() const { return end_ - pos_; }
  void Consume(size_t n) { pos_ += n; }
  uint64_t offset() const { return base_ + pos_; }  // of data(), in the decompressed input
  // Discards n bytes without holding them. false: the input ended first.
  bool Skip(uint64_t n) {
    while (n > 0) {
      if (available() == 0 && !Ensure(1)) return false;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, available()));
      Consume(take);
      n -= take;
    }
    return true;
  }
  const std::string& error() const { return error_; }
  // A read interrupted by a signal ends the input when *stop is set, else is retried.
  void set_stop(const std::atomic<bool>* stop) { stop_ = stop; }
  ByteSource& bytes() { return *bytes_; }
  const ByteSource& bytes() const { return *bytes_; }
  // Hands over the source with the bytes buffered but not consumed put back in front
  // (while deciding who reads the file: never after MapRest).
  std::unique_ptr<ByteSource> Release();

  // From here on, reads the rest of the input in place when it is a file that can be
  // mapped. Once our reader has the file: libpcap reads through Release.
  void MapRest() {
    std::unique_ptr<MappedFile> map = bytes_->MapFile();
    if (map == nullptr || offset() > map->size()) return;
    pos_ = offset();
    base_ = 0;
    map_ = std::move(map);
    buf_.reset();
    cap_ = 0;
    mem_ = map_->data();
    zeroed_ = map_->zeroed_flag();
    end_ = std::max(pos_, map_->Populate(pos_ + kMapAhead));
  }
  bool mapped() const { return map_ != nullptr; }
  // Asks for the bytes just ahead of the reader to be brought into the cache while the
  // packet just read is processed. Read in place, each packet would otherwise be waited
  // for at its first touch (the TCP checksum): the hardware's prefetcher stops at page
  // boundaries, where read(2)'s copy had brought a block in at a time.
  void PrefetchAhead() {
    const size_t to = std::min(end_, pos_ + kPrefetchDistance);
    if (prefetched_ < pos_) prefetched_ = pos_ & ~size_t{63};
    for (; prefetched_ < to; prefetched_ += 64) __builtin_prefetch(mem_ + prefetched_);
  }
  // The mapped file lost pages while they were read (they read as zeros).
  bool zeroed() const { return zeroed_->load(std::memory_order_relaxed); }
  std::string ShrankMessage() const {
    return absl::StrCat("the file shrank to ", map_->current_size(), " bytes while it was read");
  }

 private:
  bool Fill(size_t n) {
    if (eof_) return false;
    if (map_ != nullptr) return FillMapped(n);
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      base_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    if (n > cap_) {
      size_t cap = std::max(n, cap_ * 2);
      std::unique_ptr<uint8_t[]> bigger(new uint8_t[cap]);
      std::memcpy(bigger.get(), buf_.get(), end_);
      buf_ = std::move(bigger);
      cap_ = cap;
      mem_ = buf_.get();
    }
    while (end_ < n) {
      absl::StatusOr<size_t> got = bytes_->Read(buf_.get() + end_, cap_ - end_);
      if (!got.ok() && absl::IsCancelled(got.status()) && (stop_ == nullptr || !stop_->load())) {
        continue;  // a signal that did not ask us to stop
      }
      if (!got.ok()) {
        error_ = std::string(got.status().message());
        eof_ = true;
        return false;
      }
      if (*got == 0) {
        eof_ = true;
        return false;
      }
      end_ += *got;
    }
    return true;
  }

  // Everything before pos_ was consumed: dropped from memory; the next chunk is populated.
  // A file that grew is mapped again; one that shrank ends with a message where it ends.
  bool FillMapped(size_t n) {
    map_->DropBefore(pos_);
    const uint64_t want = pos_ + n;
    if (want > map_->size() && map_->Grow()) mem_ = map_->data();
    end_ = std::max(pos_, map_->Populate(std::max(want, pos_ + kMapAhead)));
    if (end_ - pos_ >= n) return true;
    if (map_->shrank()) error_ = ShrankMessage();
    eof_ = true;
    return false;
  }

  std::unique_ptr<ByteSource> bytes_;
  std::unique_ptr<uint8_t[]> buf_;
  std::unique_ptr<MappedFile> map_;  // after MapRest, when the file could be mapped
  uint8_t* mem_;                     // buf_ or the mapping
  const std::atomic<bool>* zeroed_ = nullptr;  // the mapping's zeroed()
  size_t prefetched_ = 0;                      // mapped: [pos_, prefetched_) was prefetched
  size_t cap_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_ = 0;  // input offset of mem_[0]
  bool eof_ = false;
  std::string error_;
  const std::atomic<bool>* stop_ = nullptr;
};

// Bytes already buffered, then the rest of a source (for libpcap after we peeked).
class PrefixedSource : public ByteSource {
 public:
  PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {
    file_size_ = rest_->file_size();
  }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (pos_ < prefix_.size()) {
      const size_t take = std::min(n, prefix_.size() - pos_);
      std::memcpy(buf, prefix_.data() + pos_, take);
      pos_ += take;
      Sync();
      return take;
    }
    absl::StatusOr<size_t> got = rest_->Read(buf, n);
    Sync();
    return got;
  }
  Compression compression() const override { return rest_->compression(); }
  bool truncated_stream() const override { return rest_->truncated_stream(); }

 private:
  void Sync() { stats_ = rest_->stats(); }
  std::string prefix_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

std::unique_ptr<ByteSource> InputBuffer::Release() {
  std::string rest(reinterpret_cast<const char*>(data()), available());
  return std::make_unique<PrefixedSource>(std::move(rest), std::move(bytes_));
}

// A BPF filter compiled once per link type (pcapng interfaces may differ).
class FilterSet {
 public:
  explicit FilterSet(std::string bpf, std::string name) : bpf_(std::move(bpf)), name_(std::move(name)) {}
  ~FilterSet() {
    for (Entry& e : entries_) {
      if (e.ok) pcap_freecode(&e.program);
    }
  }
  bool empty() const { return bpf_.empty(); }
  // Compiles for `dlt` if not done yet; the error when it does not compile.
  absl::Status Prepare(int dlt, uint32_t snaplen) {
    if (bpf_.empty()) return absl::OkStatus();
    for (Entry& e : entries_) {
      if (e.dlt == dlt) return e.status;
    }
    entries_.push_back({dlt});
    Entry& e = entries_.back();
    PcapHandle dead(pcap_open_dead_with_tstamp_precision(dlt, static_cast<int>(snaplen),
                                                        PCAP_TSTAMP_PRECISION_NANO));
    if (dead == nullptr) {
      e.status = absl::ResourceExhaustedError("cannot compile the BPF filter");
    } else {
      e.status = CompileFilter(dead.get(), bpf_, PCAP_NETMASK_UNKNOWN, name_, &e.program);
    }
    e.ok = e.status.ok();
    return e.status;
  }
  // 1: passes, 0: filtered out, -1: the filter cannot be applied to this link type.
  int Match(int dlt, const RawPacket& p) {
    if (bpf_.empty()) return 1;
    Entry* e = last_ != nullptr && last_->dlt == dlt ? last_ : nullptr;
    if (e == nullptr) {
      (void)Prepare(dlt, MaxSnaplen(dlt));
      for (Entry& x : entries_) {
        if (x.dlt == dlt) e = &x;
      }
      last_ = e;
    }
    if (!e->ok) return -1;
    pcap_pkthdr h = {};
    h.caplen = p.caplen;
    h.len = p.wirelen;
    return pcap_offline_filter(&e->program, &h, p.data) != 0 ? 1 : 0;
  }

 private:
  struct Entry {
    int dlt;
    absl::Status status;
    bpf_program program = {};
    bool ok = false;
  };
  const std::string bpf_;
  const std::string name_;
  std::deque<Entry> entries_;  // stable addresses
  Entry* last_ = nullptr;
};

// What both readers share: the input, the filter, the end state and the counters.
class FileReaderBase : public CaptureSource {
 public:
  FileReaderBase(InputBuffer in, std::string name, std::string bpf, const CaptureLimits& limits)
      : in_(std::move(in)), name_(std::move(name)), filters_(std::move(bpf), name_), limits_(limits) {
    in_.set_stop(&break_);
    in_.MapRest();
  }

  absl::StatusOr<bool> Next(RawPacket* p) override {
    while (true) {
      if (ended_ || break_.load(std::memory_order_relaxed)) return false;
      if (!ReadPacket(p)) {
        if (break_.load(std::memory_order_relaxed)) {  // stopped, not damaged
          damage_.reset();
          truncated_ = false;
        }
        return false;
      }
      if (in_.mapped()) {
        // A file truncated under the mapping: reading the record's last byte faults on a
        // lost page (the handler zeroes it), so a record cut by it is not handed out.
        if (p->caplen > 0) (void)*static_cast<const volatile uint8_t*>(p->data + p->caplen - 1);
        if (in_.zeroed()) return Damaged(in_.offset(), in_.ShrankMessage(), true);
        in_.PrefetchAhead();
      }
      const int match = filters_.Match(p->link_type, *p);
      if (match == 0) continue;
      if (match < 0) {
        ++stats_.filter_unusable;
        continue;
      }
      ++packets_;
      return true;
    }
  }

  int link_type() const override { return link_type_; }
  CaptureStats stats() const override {
    CaptureStats s = stats_;
    s.packets = packets_;
    return s;
  }
  void BreakLoop() override { break_.store(true, std::memory_order_relaxed); }
  uint64_t bytes_read() const override {
    return in_.bytes().compression() == Compression::kNone
               ? in_.offset()
               : in_.bytes().stats().compressed_bytes;
  }
  uint64_t total_bytes() const override { return in_.bytes().file_size(); }
  bool truncated() const override { return truncated_; }
  std::optional<CaptureDamage> damage() const override { return damage_; }

 protected:
  // One packet (before filtering) into *p; false at the end or on damage (ended_ set).
  virtual bool ReadPacket(RawPacket* p) = 0;

  bool Damaged(uint64_t offset, std::string problem, bool truncated = false) {
    damage_ = CaptureDamage{offset, std::move(problem)};
    truncated_ = truncated;
    ended_ = true;
    return false;
  }
  // The input ended (or failed) with `need` bytes of `what` wanted at the current offset.
  // At a clean boundary (nothing left) it is the end of the file, unless the compressed
  // stream itself was cut.
  bool CutShort(const char* what, size_t need) {
    if (!in_.error().empty()) return Damaged(in_.offset(), in_.error());
    if (in_.available() == 0) {
      if (in_.bytes().truncated_stream()) {
        return Damaged(in_.offset(),
                       absl::StrCat("the ", CompressionName(in_.bytes().compression()),
                                    " stream ends before its end marker"),
                       true);
      }
      ended_ = true;
      return false;
    }
    return Damaged(in_.offset(), absl::StrCat("the file ends inside ", what, " (",
                                              in_.available(), " of ", need, " bytes)"),
                   true);
  }

  InputBuffer in_;
  const std::string name_;
  FilterSet filters_;
  const CaptureLimits limits_;
  int link_type_ = -1;
  CaptureStats stats_;
  uint64_t packets_ = 0;
  bool ended_ = false;
  bool truncated_ = false;
  std::optional<CaptureDamage> damage_;
  std::atomic<bool> break_{false};
};

// Classic pcap, version 2.4, as libpcap 1.10 reads it: timestamps scaled to nanoseconds,
// seconds and fraction signed 32-bit (unsigned in byte-swapped files); a caplen above the
// file's snaplen cut to it, one above 262144 (libpcap's maximum for these link types)
// damage; a record cut short by the end of the file truncation.
class PcapFileReader : public FileReaderBase {
 public:
  PcapFileReader(InputBuffer in, std::string name, std::string bpf, const CaptureLimits& limits,
                 bool swapped, bool nano, int dlt, uint32_t snaplen)
      : FileReaderBase(std::move(in), std::move(name), std::move(bpf), limits),
        swapped_(swapped),
        nano_(nano),
        max_caplen_(MaxSnaplen(dlt)),
        snapshot_(AdjustSnaplen(dlt, snaplen)) {
    link_type_ = dlt;
  }
  absl::Status Init() {
    in_.Consume(24);
    return filters_.Prepare(link_type_, snapshot_);
  }
  CaptureFormat format() const override { return {"pcap", in_.bytes().compression()}; }

 private:
  uint32_t U32(const uint8_t* b) const {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }

  bool ReadPacket(RawPacket* p) override {
    if (!in_.Ensure(16)) return CutShort("a record header", 16);
    const uint8_t* h = in_.data();
    const uint32_t sec = U32(h), frac = U32(h + 4), caplen = U32(h + 8), len = U32(h + 12);
    if (caplen > max_caplen_) {
      return Damaged(in_.offset(), absl::StrCat("record length ", caplen, " is impossible (more than ",
                                                max_caplen_, ")"));
    }
    if (!in_.Ensure(16 + size_t{caplen})) return CutShort("a record", 16 + size_t{caplen});
    // As libpcap reads them, so that every input path agrees: both fields signed 32-bit in a
    // file of this machine's byte order, unsigned in a byte-swapped one.
    const int64_t s64 = swapped_ ? int64_t{sec} : int64_t{static_cast<int32_t>(sec)};
    const int64_t f64 = swapped_ ? int64_t{frac} : int64_t{static_cast<int32_t>(frac)};
    p->ts = absl::FromUnixSeconds(s64) + (nano_ ? absl::Nanoseconds(f64) : absl::Microseconds(f64));
    p->link_type = link_type_;
    p->caplen = std::min(caplen, snapshot_);  // libpcap cuts a record to the file's snaplen
    p->wirelen = len;
    uint8_t* data = in_.mutable_data() + 16;
    if (swapped_ && link_type_ == DLT_NFLOG) SwapNflogHeader(data, p->caplen, len);
    p->data = data;
    in_.Consume(16 + size_t{caplen});
    return true;
  }

  const bool swapped_;
  const bool nano_;
  const uint32_t max_caplen_;
  const uint32_t snapshot_;
};

// pcapng (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng): Section Header,
// Interface Description, Enhanced / Simple / obsolete Packet and Decryption Secrets Blocks
// are read; every other block is counted and skipped. Each interface keeps its own link
// type, snapshot length, if_tsresol and if_tsoffset; a new section starts a new interface
// list and may change the byte order. Timestamps are converted as libpcap converts them.
// Damage ends the file: a block length below 12, not a multiple of 4 or above the limit
// (packet blocks; other blocks that large are skipped), a block or option running past its
// end, a packet on an interface not described, an impossible if_tsresol.
class PcapngReader : public FileReaderBase {
 public:
  static constexpr uint32_t kShb = 0x0A0D0D0A;
  static constexpr uint32_t kIdb = 1;
  static constexpr uint32_t kPb = 2;
  static constexpr uint32_t kSpb = 3;
  static constexpr uint32_t kEpb = 6;
  static constexpr uint32_t kDsb = 0x0A;
  static constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;

  using FileReaderBase::FileReaderBase;

  // Reads the first section header, then up to the first interface (so that link_type()
  // and the filter are known), as libpcap does when it opens a file.
  absl::Status Init() {
    if (!in_.Ensure(28)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read capture ", name_, ": pcapng file shorter than its section header"));
    }
    const uint8_t* b = in_.data();
    uint32_t magic;
    std::memcpy(&magic, b + 8, 4);
    if (magic != kByteOrderMagic && magic != __builtin_bswap32(kByteOrderMagic)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read capture ", name_, ": pcapng section header has a bad byte-order magic"));
    }
    swapped_ = magic != kByteOrderMagic;
    const uint32_t len = U32(b + 4);
    const uint16_t major = U16(b + 12), minor = U16(b + 14);
    if (len < 28 || len % 4 != 0 || major != 1 || (minor != 0 && minor != 2)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read capture ", name_, ": unsupported pcapng section header (version ", major,
          ".", minor, ", length ", len, ")"));
    }
    // Blocks up to the first interface; a packet block before one is left for Next() to
    // report as damage.
    while (link_type_ < 0 && !ended_) {
      if (!in_.Ensure(8)) break;
      const uint32_t type = U32(in_.data());
      if (type == kEpb || type == kSpb || type == kPb) break;
      RawPacket unused;
      if (ReadBlock(&unused)) break;  // cannot happen: not a packet block
    }
    if (damage_ && damage_->offset == 0) {  // the first section header: nothing readable
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read capture ", name_, ": ", damage_->problem));
    }
    if (link_type_ >= 0) return filters_.Prepare(link_type_, interfaces_[0].snaplen);
    return absl::OkStatus();
  }

  CaptureFormat format() const override { return {"pcapng", in_.bytes().compression()}; }
  void set_secrets_handler(std::function<void(const DecryptionSecrets&)> handler) override {
    secrets_handler_ = std::move(handler);
    for (const Pending& s : pending_secrets_) {  // blocks read while opening
      secrets_handler_(DecryptionSecrets{s.type, s.data, s.offset});
    }
    pending_secrets_.clear();
  }

 private:
  struct Interface {
    int dlt = 0;
    uint32_t snaplen = 0;
    uint64_t tsresol = 1000000;  // units per second
    bool binary = false;
    uint64_t tsoffset = 0;  // seconds, as libpcap adds it (two's complement)
  };
  struct Pending {
    uint32_t type;
    std::string data;
    uint64_t offset;
  };

  uint32_t U32(const uint8_t* b) const {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }
  uint16_t U16(const uint8_t* b) const {
    uint16_t v;
    std::memcpy(&v, b, 2);
    return swapped_ ? __builtin_bswap16(v) : v;
  }

  bool ReadPacket(RawPacket* p) override {
    while (!ended_) {
      if (ReadBlock(p)) return true;
    }
    return false;
  }

  // Reads one block; true when it was a packet (in *p). false: another block (consumed),
  // or the end / damage (ended_).
  bool ReadBlock(RawPacket* p) {
    if (!in_.Ensure(8)) return CutShort("a block header", 8);
    const uint64_t offset = in_.offset();
    uint32_t type;
    std::memcpy(&type, in_.data(), 4);  // a section header's type reads the same both ways
    if (type == kShb) {
      if (!in_.Ensure(12)) return CutShort("a section header", 12);
      uint32_t magic;
      std::memcpy(&magic, in_.data() + 8, 4);
      if (magic != kByteOrderMagic && magic != __builtin_bswap32(kByteOrderMagic)) {
        return Damaged(offset, "section header with a bad byte-order magic");
      }
      swapped_ = magic != kByteOrderMagic;
    } else {
      type = U32(in_.data());
    }
    const uint32_t len = U32(in_.data() + 4);
    if (len < 12 || len % 4 != 0) {
      return Damaged(offset, absl::StrCat("block length ", len, " is impossible (",
                                          len < 12 ? "less than 12" : "not a multiple of 4", ")"));
    }
    if (len > limits_.max_block_bytes) {
      if (type == kShb || type == kIdb || type == kEpb || type == kSpb || type == kPb) {
        return Damaged(offset, absl::StrCat("block length ", len, " is more than the limit of ",
                                            limits_.max_block_bytes, " bytes"));
      }
      ++stats_.skipped_blocks;
      if (!in_.Skip(len)) return CutShort("a block", len);
      return false;
    }
    if (!in_.Ensure(len)) return CutShort("a block", len);
    uint8_t* body = in_.mutable_data() + 8;
    const uint32_t body_len = len - 12;
    bool packet = false;
    switch (type) {
      case kShb:
        if (!Section(offset, body, body_len)) return false;
        break;
      case kIdb:
        if (!AddInterface(offset, body, body_len)) return false;
        break;
      case kEpb:
      case kPb:
      case kSpb:
        if (!Packet(type, offset, body, body_len, p)) return false;
        packet = true;
        break;
      case kDsb:
        Secrets(offset, body, body_len);
        break;
      default:
        ++stats_.skipped_blocks;
        break;
    }
    in_.Consume(len);  // the packet's bytes stay in place until the next Ensure
    return packet;
  }

  bool Section(uint64_t offset, const uint8_t* body, uint32_t body_len) {
    if (body_len < 16) return Damaged(offset, "section header shorter than 28 bytes");
    const uint16_t major = U16(body + 4);
    if (major != 1) {
      return Damaged(offset, absl::StrCat("section header of unsupported pcapng version ", major));
    }
    interfaces_.clear();
    ++stats_.sections;
    return true;
  }

  bool AddInterface(uint64_t offset, const uint8_t* body, uint32_t body_len) {
    if (body_len < 8) return Damaged(offset, "interface description shorter than 20 bytes");
    if (interfaces_.size() >= limits_.max_interfaces) {
      return Damaged(offset, absl::StrCat("more than ", limits_.max_interfaces,
                                          " interfaces in a section"));
    }
    Interface i;
    i.dlt = LinkTypeToDlt(U16(body));
    i.snaplen = AdjustSnaplen(i.dlt, U32(body + 4));
    bool have_resol = false, have_offset = false;
    uint32_t pos = 8;
    while (body_len - pos >= 4) {
      const uint16_t code = U16(body + pos), olen = U16(body + pos + 2);
      const uint32_t padded = (uint32_t{olen} + 3) / 4 * 4;
      pos += 4;
      if (padded > body_len - pos) {
        return Damaged(offset, "interface description option runs past its block");
      }
      const uint8_t* v = body + pos;
      pos += padded;
      if (code == 0) break;  // opt_endofopt
      if (code == 9 && !have_resol) {  // if_tsresol
        if (olen != 1) return Damaged(offset, "if_tsresol option of length other than 1");
        have_resol = true;
        const uint8_t r = v[0];
        if (r & 0x80) {
          if ((r & 0x7f) > 63) return Damaged(offset, "if_tsresol 2^-N with N above 63");
          i.binary = true;
          i.tsresol = uint64_t{1} << (r & 0x7f);
        } else {
          if (r > 19) return Damaged(offset, absl::StrCat("if_tsresol 10^-", int{r}, " is impossible"));
          i.tsresol = 1;
          for (int k = 0; k < r; ++k) i.tsresol *= 10;
        }
      } else if (code == 14 && !have_offset) {  // if_tsoffset
        if (olen != 8) return Damaged(offset, "if_tsoffset option of length other than 8");
        have_offset = true;
        uint64_t o;
        std::memcpy(&o, v, 8);
        i.tsoffset = swapped_ ? __builtin_bswap64(o) : o;
      }
    }
    interfaces_.push_back(i);
    ++stats_.interfaces;
    if (link_type_ < 0) link_type_ = i.dlt;
    return true;
  }

  bool Packet(uint32_t type, uint64_t offset, uint8_t* body, uint32_t body_len, RawPacket* p) {
    uint32_t iface = 0, caplen = 0, len = 0, header = 0;
    uint64_t t = 0;
    if (type == kSpb) {
      if (body_len < 4) return Damaged(offset, "simple packet block shorter than 16 bytes");
      len = U32(body);
      header = 4;
    } else {
      if (body_len < 20) return Damaged(offset, "packet block shorter than 32 bytes");
      iface = type == kEpb ? U32(body) : U16(body);
      t = uint64_t{U32(body + 4)} << 32 | U32(body + 8);
      caplen = U32(body + 12);
      len = U32(body + 16);
      header = 20;
    }
    if (iface >= interfaces_.size()) {
      return Damaged(offset, absl::StrCat("packet on interface ", iface,
                                          ", which has no interface description"));
    }
    const Interface& i = interfaces_[iface];
    // An SPB holds min(len, snaplen) bytes. A packet block with more bytes than its
    // interface's snapshot length is read whole, as Wireshark reads it (libpcap refuses
    // it), up to the link type's maximum.
    if (type == kSpb) caplen = std::min(len, i.snaplen);
    if (caplen > MaxSnaplen(i.dlt)) {
      return Damaged(offset, absl::StrCat("packet length ", caplen, " is impossible (more than ",
                                          MaxSnaplen(i.dlt), ")"));
    }
    if (caplen > body_len - header) {
      return Damaged(offset, absl::StrCat("packet length ", caplen, " runs past its block"));
    }
    uint64_t sec = t / i.tsresol + i.tsoffset;
    uint64_t frac = t % i.tsresol;
    if (i.binary) {
      frac = frac * 1000000000u / i.tsresol;
    } else if (i.tsresol > 1000000000u) {
      frac /= i.tsresol / 1000000000u;
    } else {
      frac *= 1000000000u / i.tsresol;
    }
    p->ts = absl::FromUnixSeconds(static_cast<int64_t>(sec)) +
            absl::Nanoseconds(static_cast<int32_t>(static_cast<uint32_t>(frac)));
    p->link_type = i.dlt;
    p->caplen = caplen;
    p->wirelen = len;
    uint8_t* data = body + header;
    if (swapped_ && i.dlt == DLT_NFLOG) SwapNflogHeader(data, caplen, len);
    p->data = data;
    return true;
  }

  void Secrets(uint64_t offset, const uint8_t* body, uint32_t body_len) {
    ++stats_.secrets_blocks;
    if (body_len < 8) return;
    const uint32_t type = U32(body), len = U32(body + 4);
    if (len > body_len - 8) return;
    const absl::string_view data(reinterpret_cast<const char*>(body + 8), len);
    if (secrets_handler_) {
      secrets_handler_(DecryptionSecrets{type, data, offset});
    } else if (pending_bytes_ + len <= limits_.max_block_bytes) {
      pending_bytes_ += len;
      pending_secrets_.push_back({type, std::string(data), offset});
    }
  }

  bool swapped_ = false;
  std::vector<Interface> interfaces_;
  std::function<void(const DecryptionSecrets&)> secrets_handler_;
  std::vector<Pending> pending_secrets_;  // read before a handler was set (bounded)
  uint64_t pending_bytes_ = 0;
};

uint32_t LoadLe32(const uint8_t* b) {
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

// Native classic pcap only for these link types (those the decoder reads); libpcap
// byte-swaps pseudo-headers of some others (USB) on read.
bool NativePcapLinkType(uint32_t lt) {
  switch (lt) {
    case 0: case 1: case 101: case 108: case 113: case 228: case 229: case 239: case 276:
      return true;
    default:
      return false;
  }
}

std::string HexHead(const uint8_t* b, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&s, i ? " " : "", absl::Hex(b[i], absl::kZeroPad2));
  return s;
}

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenWithLibpcap(std::unique_ptr<ByteSource> bytes,
                                                               const std::string& name,
                                                               const std::string& bpf) {
  auto feed = std::make_unique<LibpcapFeed>();
  feed->bytes = std::move(bytes);
  std::FILE* f = feed->Open();
  if (f == nullptr) return absl::ResourceExhaustedError("cannot set up the capture reader");
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  PcapHandle pcap(pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (pcap == nullptr) {
    std::fclose(f);
    absl::string_view why = errbuf;
    if (!feed->error.empty()) why = feed->error;
    return absl::InvalidArgumentError(absl::StrCat("cannot read capture ", name, ": ", why));
  }
  absl::Status filtered = ApplyFilter(pcap.get(), bpf, PCAP_NETMASK_UNKNOWN, name);
  if (!filtered.ok()) return filtered;
  const bool nano = pcap_get_tstamp_precision(pcap.get()) == PCAP_TSTAMP_PRECISION_NANO;
  return std::unique_ptr<CaptureSource>(
      new PcapSource(std::move(pcap), false, nano, name, 0, std::move(feed)));
}

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenBytes(std::unique_ptr<ByteSource> bytes,
                                                         const std::string& name,
                                                         const std::string& bpf,
                                                         FileReader reader,
                                                         const CaptureLimits& limits) {
  const Compression compression = bytes->compression();
  InputBuffer in(std::move(bytes));
  in.Ensure(24);
  const std::string what =
      compression == Compression::kNone
          ? std::string()
          : absl::StrCat(" (", CompressionName(compression), "-compressed)");
  if (in.available() < 4) {
    if (!in.error().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read capture ", name, ": ", in.error()));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read capture ", name, what, ": ",
        in.available() == 0 ? "it is empty" : "too short to be a pcap or pcapng file"));
  }
  const uint32_t magic = LoadLe32(in.data());
  bool pcap = false, swapped = false, nano = false;
  switch (magic) {
    case 0xA1B2C3D4: pcap = true; break;
    case 0xA1B23C4D: pcap = nano = true; break;
    case 0xD4C3B2A1: pcap = swapped = true; break;
    case 0x4D3CB2A1: pcap = swapped = nano = true; break;
    case 0xA1B2CD34: case 0x34CDB2A1:  // Kuznetzov's patched format: libpcap reads it
      return OpenWithLibpcap(in.Release(), name, bpf);
    case PcapngReader::kShb: break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read capture ", name, what, ": not a pcap or pcapng file (it starts with ",
          HexHead(in.data(), std::min<size_t>(in.available(), 8)), ")"));
  }
  if (reader == FileReader::kLibpcap) return OpenWithLibpcap(in.Release(), name, bpf);
  if (pcap) {
    if (in.available() < 24) return OpenWithLibpcap(in.Release(), name, bpf);  // its message
    const uint8_t* h = in.data();
    uint16_t major, minor;
    std::memcpy(&major, h + 4, 2);
    std::memcpy(&minor, h + 6, 2);
    uint32_t snaplen = LoadLe32(h + 16), linktype = LoadLe32(h + 20);
    if (swapped) {
      major = __builtin_bswap16(major);
      minor = __builtin_bswap16(minor);
      snaplen = __builtin_bswap32(snaplen);
      linktype = __builtin_bswap32(linktype);
    }
    // Version 2.4 only: libpcap reads older files (2.0-2.3) with the two length fields
    // swapped in some records; those and the rare link types stay with libpcap.
    if (major != 2 || minor != 4 || !NativePcapLinkType(linktype)) {
      return OpenWithLibpcap(in.Release(), name, bpf);
    }
    auto r = std::make_unique<PcapFileReader>(std::move(in), name, bpf, limits, swapped, nano,
                                              LinkTypeToDlt(linktype), snaplen);
    absl::Status s = r->Init();
    if (!s.ok()) return s;
    return std::unique_ptr<CaptureSource>(std::move(r));
  }
  auto r = std::make_unique<PcapngReader>(std::move(in), name, bpf, limits);
  absl::Status s = r->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<CaptureSource>(std::move(r));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureFile(const std::string& path,
                                                               const std::string& bpf,
                                                               FileReader reader,
                                                               const CaptureLimits& limits) {
  absl::StatusOr<std::unique_ptr<ByteSource>> bytes = OpenByteSource(path, limits.decompress);
  if (!bytes.ok()) return bytes.status();
  return OpenBytes(std::move(*bytes), path == "-" ? "standard input" : path, bpf, reader, limits);
}

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureBytes(std::string bytes,
                                                                const std::string& name,
                                                                const std::string& bpf,
                                                                FileReader reader,
                                                                const CaptureLimits& limits) {
  return OpenBytes(ByteSourceFromString(std::move(bytes), limits.decompress), name, bpf, reader,
                   limits);
}

namespace {

// A filter that accepts nothing (one BPF instruction: return 0).
absl::Status RejectAll(pcap_t* p, const std::string& name) {
  bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);
  bpf_program program = {1, &reject};
  if (pcap_setfilter(p, &program) != 0) {
    return absl::InternalError(absl::StrCat("cannot set a filter on ", name, ": ", pcap_geterr(p)));
  }
  return absl::OkStatus();
}

absl::Status JoinFanout(pcap_t* p, int group, const std::string& name) {
#if defined(__linux__) && defined(PACKET_FANOUT)
  const int arg = (group & 0xffff) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
  if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot join AF_PACKET fanout group ", group, " on ", name, ": ", std::strerror(errno),
        errno == EINVAL || errno == EEXIST
            ? " (another program uses this group id with other settings: pick one with "
              "--fanout-id)"
            : ""));
  }
  return absl::OkStatus();
#else
  (void)p;
  (void)group;
  return absl::UnimplementedError(
      absl::StrCat("--threads with -i needs Linux AF_PACKET fanout; not available for ", name));
#endif
}

// Creates and activates one capture handle; the filter is left to the caller.
absl::StatusOr<PcapHandle> ActivateLive(const LiveOptions& options, const std::string& name) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  PcapHandle pcap(pcap_create(options.iface.c_str(), errbuf));
  if (pcap == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open ", name, ": ", errbuf));
  }
  pcap_t* p = pcap.get();
  pcap_set_snaplen(p, options.snaplen);
  pcap_set_promisc(p, options.promisc ? 1 : 0);
  pcap_set_timeout(p, options.timeout_ms);
  if (options.buffer_kib > 0) pcap_set_buffer_size(p, options.buffer_kib * 1024);
  pcap_set_immediate_mode(p, options.immediate ? 1 : 0);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  // falls back to µs if refused
  const int rc = pcap_activate(p);
  if (rc < 0) {
    const char* detail = pcap_geterr(p)[0] != '\0' ? pcap_geterr(p) : pcap_statustostr(rc);
    // Without privileges: say how to get them, and how to give root up again.
    const char* hint =
        rc == PCAP_ERROR_PERM_DENIED
            ? " (capturing needs CAP_NET_RAW and CAP_NET_ADMIN: run as root with -Z USER to"
              " drop root once the capture is open, or give the binary the capabilities:"
              " sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpfollow))"
            : "";
    return absl::InvalidArgumentError(
        absl::StrCat("cannot capture on ", name, ": ", detail, hint));
  }
  return pcap;
}

}  // namespace

std::string LinkTypeName(int dlt) {
  const char* n = pcap_datalink_val_to_name(dlt);
  return n != nullptr ? n : absl::StrCat("DLT ", dlt);
}

absl::StatusOr<std::vector<std::unique_ptr<CaptureSource>>> OpenLiveGroup(
    const LiveOptions& options, int sockets) {
  const std::string name = absl::StrCat("interface ", options.iface);
  sockets = std::max(1, sockets);
  const int group = options.fanout_id >= 0 ? options.fanout_id & 0xffff
                                           : static_cast<int>(getpid() & 0xffff);
  std::vector<PcapHandle> handles;
  for (int i = 0; i < sockets; ++i) {
    absl::StatusOr<PcapHandle> h = ActivateLive(options, name);
    if (!h.ok()) return h.status();
    if (sockets > 1) {
      // Until every socket is in the group each one sees every packet: accept nothing
      // until then. libpcap filters packets already in the ring with the filter set last,
      // so the real filter set below also discards what arrived before this one.
      absl::Status s = RejectAll(h->get(), name);
      if (!s.ok()) return s;
      s = JoinFanout(h->get(), group, name);
      if (!s.ok()) return s;
    }
    handles.push_back(std::move(*h));
  }
  if (!options.drop_user.empty()) {
    absl::Status dropped = DropPrivileges(options.drop_user);
    if (!dropped.ok()) return dropped;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  bpf_u_int32 net = 0;
  bpf_u_int32 mask = PCAP_NETMASK_UNKNOWN;
  if (pcap_lookupnet(options.iface.c_str(), &net, &mask, errbuf) != 0) {
    mask = PCAP_NETMASK_UNKNOWN;
  }
  std::vector<std::unique_ptr<CaptureSource>> sources;
  for (PcapHandle& h : handles) {
    pcap_t* p = h.get();
    // With a group, an empty expression (accept all) still replaces the reject-all filter.
    absl::Status filtered = ApplyFilter(p, options.bpf, mask, name, /*even_empty=*/sockets > 1);
    if (!filtered.ok()) return filtered;
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
      return absl::InternalError(absl::StrCat("cannot make ", name, " non-blocking: ", errbuf));
    }
    const bool nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    sources.push_back(std::unique_ptr<CaptureSource>(
        new PcapSource(std::move(h), true, nano, name, options.timeout_ms)));
  }
  return sources;
}

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenLive(const LiveOptions& options) {
  absl::StatusOr<std::vector<std::unique_ptr<CaptureSource>>> group = OpenLiveGroup(options, 1);
  if (!group.ok()) return group.status();
  return std::move(group->front());
}

}  // namespace tcpfollow
