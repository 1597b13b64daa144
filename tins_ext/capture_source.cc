// libpcap-backed capture sources; see capture_source.h.
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
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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

class PcapSource : public CaptureSource {
 public:
  PcapSource(PcapHandle pcap, bool live, bool nanosecond, std::string name, int timeout_ms)
      : pcap_(std::move(pcap)),
        live_(live),
        timeout_ms_(timeout_ms > 0 ? timeout_ms : -1),
        nanosecond_(nanosecond),
        name_(std::move(name)),
        link_type_(pcap_datalink(pcap_.get())) {
    if (!live_) {
      std::FILE* f = pcap_file(pcap_.get());
      struct stat st;
      if (f != nullptr && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        file_ = f;
        total_bytes_ = static_cast<uint64_t>(st.st_size);
      }
    } else if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
      wake_[0] = wake_[1] = -1;
    }
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
      return false;
    }
    const std::string error = pcap_geterr(pcap_.get());
    if (!live_ && absl::StrContains(error, "truncated")) {
      truncated_ = ended_ = true;
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
    if (wake_[1] >= 0) {
      const ssize_t ignored = write(wake_[1], "x", 1);
      (void)ignored;
    }
    pcap_breakloop(pcap_.get());
  }

  uint64_t bytes_read() const override {
    if (file_ == nullptr) return 0;
    const long pos = std::ftell(file_);
    return pos < 0 ? 0 : static_cast<uint64_t>(pos);
  }
  uint64_t total_bytes() const override { return total_bytes_; }
  bool truncated() const override { return truncated_; }

 private:
  // Live captures are non-blocking: libpcap's read timeout does not fire while no packet
  // arrives (TPACKET_V3), so we poll the capture fd and a wake-up pipe ourselves. Returns
  // true when the capture fd became readable before the timeout.
  bool WaitReadable() {
    pollfd fds[2] = {{pcap_get_selectable_fd(pcap_.get()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int n = poll(fds, wake_[0] >= 0 ? 2 : 1, timeout_ms_);
    return n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
  }

  PcapHandle pcap_;
  const bool live_;
  const int timeout_ms_;  // poll timeout for live captures; -1 = wait for a packet
  const bool nanosecond_;
  const std::string name_;
  const int link_type_;
  std::FILE* file_ = nullptr;  // owned by pcap_; set only for regular files
  uint64_t total_bytes_ = 0;
  std::atomic<uint64_t> packets_{0};  // live: read by stats() from another thread
  mutable std::mutex stats_mu_;
  bool truncated_ = false;
  bool ended_ = false;  // end of file seen: later calls return false without reading
  int wake_[2] = {-1, -1};  // live: BreakLoop writes to [1] to end a wait on [0]
  std::atomic<bool> break_{false};
  static_assert(std::atomic<bool>::is_always_lock_free, "BreakLoop must be signal-safe");
};

// Classic pcap files (the format tcpdump and most capture tools write) read without
// libpcap's per-packet path: libpcap copies every record through stdio into its own buffer;
// this reads the file in large blocks and hands out views into the block, so a packet is
// copied once (kernel to user). libpcap still opens and validates the file (magic, version,
// link type mapping) and compiles the BPF filter; records are read as libpcap 1.10 reads
// them, which capture_source_test and fuzz/capture_reader_fuzz check packet by packet
// against libpcap itself: version 2.4 files only; timestamps scaled to nanoseconds, seconds
// and fraction signed 32-bit (unsigned in byte-swapped files) as libpcap has them; a caplen
// above the file's snaplen cut to it, one above 262144 (libpcap's maximum for these link
// types) an error; a record cut short by the end of the file reported as truncated.
class PcapBlockReader : public CaptureSource {
 public:
  static constexpr uint32_t kMaxCaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN
  static constexpr size_t kBlock = 1 << 20;       // > kMaxCaplen + a record header

  PcapBlockReader(PcapHandle pcap, int fd, bool swapped, bool nano_file, uint32_t snaplen,
                  std::string name, uint64_t total_bytes)
      : pcap_(std::move(pcap)),
        fd_(fd),
        swapped_(swapped),
        nano_file_(nano_file),
        snapshot_(snaplen == 0 || snaplen > kMaxCaplen ? kMaxCaplen : snaplen),
        name_(std::move(name)),
        link_type_(pcap_datalink(pcap_.get())),
        total_bytes_(total_bytes),
        buf_(new uint8_t[kBlock]) {}
  ~PcapBlockReader() override {
    if (has_filter_) pcap_freecode(&filter_);
    close(fd_);
  }

  // Compiles `bpf` against the file's link type; applied to each record in Next().
  absl::Status SetFilter(const std::string& bpf) {
    if (bpf.empty()) return absl::OkStatus();
    absl::Status compiled =
        CompileFilter(pcap_.get(), bpf, PCAP_NETMASK_UNKNOWN, name_, &filter_);
    has_filter_ = compiled.ok();
    return compiled;
  }

  absl::StatusOr<bool> Next(RawPacket* p) override {
    while (true) {
      if (ended_ || break_.load(std::memory_order_relaxed)) return false;
      absl::StatusOr<bool> got = ReadRecord(p);
      if (!got.ok() || !*got) return got;
      if (has_filter_) {
        pcap_pkthdr h = {};
        h.caplen = p->caplen;
        h.len = p->wirelen;
        if (pcap_offline_filter(&filter_, &h, p->data) == 0) continue;
      }
      ++packets_;
      return true;
    }
  }

  int link_type() const override { return link_type_; }
  CaptureStats stats() const override {
    CaptureStats s;
    s.packets = packets_;
    return s;
  }
  void BreakLoop() override { break_.store(true, std::memory_order_relaxed); }
  uint64_t bytes_read() const override { return block_offset_ + pos_; }
  uint64_t total_bytes() const override { return total_bytes_; }
  bool truncated() const override { return truncated_; }

 private:
  uint32_t U32(const uint8_t* b) const {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return swapped_ ? __builtin_bswap32(v) : v;
  }

  absl::StatusOr<bool> ReadRecord(RawPacket* p) {
    absl::StatusOr<bool> have = Ensure(16);
    if (!have.ok()) return have;
    if (!*have) {
      if (end_ - pos_ != 0) return Truncated();  // part of a record header
      ended_ = true;
      return false;
    }
    const uint8_t* h = buf_.get() + pos_;
    const uint32_t sec = U32(h), frac = U32(h + 4), caplen = U32(h + 8), len = U32(h + 12);
    if (caplen > kMaxCaplen) {
      return absl::DataLossError(absl::StrCat("error reading ", name_,
                                              ": invalid packet capture length ", caplen,
                                              ", bigger than snaplen of ", snapshot_));
    }
    have = Ensure(16 + static_cast<size_t>(caplen));
    if (!have.ok()) return have;
    if (!*have) return Truncated();
    // As libpcap reads them, so that every input path agrees: both fields signed 32-bit in a
    // file of this machine's byte order, unsigned in a byte-swapped one.
    const int64_t s64 = swapped_ ? int64_t{sec} : int64_t{static_cast<int32_t>(sec)};
    const int64_t f64 = swapped_ ? int64_t{frac} : int64_t{static_cast<int32_t>(frac)};
    p->ts = absl::FromUnixSeconds(s64) +
            (nano_file_ ? absl::Nanoseconds(f64) : absl::Microseconds(f64));
    p->link_type = link_type_;
    p->caplen = std::min(caplen, snapshot_);  // libpcap cuts a record to the file's snaplen
    p->wirelen = len;
    p->data = buf_.get() + pos_ + 16;
    pos_ += 16 + static_cast<size_t>(caplen);
    return true;
  }

  absl::StatusOr<bool> Truncated() {
    truncated_ = ended_ = true;
    return false;
  }

  // Makes at least n bytes from pos_ available in the block, reading more of the file
  // (moving the unread tail to the front first). false: the file ends before that.
  absl::StatusOr<bool> Ensure(size_t n) {
    if (end_ - pos_ >= n) return true;
    if (eof_) return false;
    if (pos_ > 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      block_offset_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ < n) {
      const ssize_t got = read(fd_, buf_.get() + end_, kBlock - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return absl::DataLossError(
            absl::StrCat("error reading ", name_, ": ", std::strerror(errno)));
      }
      if (got == 0) {
        eof_ = true;
        return false;
      }
      end_ += static_cast<size_t>(got);
    }
    return true;
  }

  PcapHandle pcap_;  // kept for the link type and the filter's compilation
  const int fd_;
  const bool swapped_;
  const bool nano_file_;
  const uint32_t snapshot_;
  const std::string name_;
  const int link_type_;
  const uint64_t total_bytes_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t pos_ = 0;  // next record in buf_
  size_t end_ = 0;  // bytes of buf_ filled
  uint64_t block_offset_ = 24;  // file offset of buf_[0]
  bool eof_ = false;
  bool ended_ = false;
  bool truncated_ = false;
  uint64_t packets_ = 0;
  bpf_program filter_ = {};
  bool has_filter_ = false;
  std::atomic<bool> break_{false};
};

// The block reader takes regular files in classic pcap format with the link types the
// decoder reads (libpcap byte-swaps pseudo-headers of some others, such as USB, on read).
std::unique_ptr<CaptureSource> TryBlockReader(const std::string& path, PcapHandle* pcap) {
  if (path == "-") return nullptr;
  switch (pcap_datalink(pcap->get())) {
    case DLT_EN10MB: case DLT_RAW: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_NULL:
    case DLT_LOOP: case DLT_IPV4: case DLT_IPV6:
      break;
    default:
      return nullptr;
  }
  // Only regular files: a FIFO or device is not opened a second time (a second reader of a
  // FIFO can take bytes meant for libpcap's stream, and opening one may block).
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return nullptr;
  uint8_t header[24];
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, header, 24, 0) != 24 ||
      lseek(fd, 24, SEEK_SET) != 24) {
    close(fd);
    return nullptr;
  }
  uint32_t magic, snaplen;
  uint16_t version[2];
  std::memcpy(&magic, header, 4);
  std::memcpy(version, header + 4, 4);
  std::memcpy(&snaplen, header + 16, 4);
  bool swapped = false, nano = false;
  switch (magic) {
    case 0xA1B2C3D4: break;
    case 0xA1B23C4D: nano = true; break;
    case 0xD4C3B2A1: swapped = true; break;
    case 0x4D3CB2A1: swapped = nano = true; break;
    default:  // pcapng and the rare variants stay with libpcap
      close(fd);
      return nullptr;
  }
  if (swapped) {
    snaplen = __builtin_bswap32(snaplen);
    version[0] = __builtin_bswap16(version[0]);
    version[1] = __builtin_bswap16(version[1]);
  }
  // Version 2.4 only: libpcap reads older files (2.0-2.3) with the two length fields
  // swapped in some records; those stay with libpcap.
  if (version[0] != 2 || version[1] != 4) {
    close(fd);
    return nullptr;
  }
  const std::string name = path;
  return std::make_unique<PcapBlockReader>(std::move(*pcap), fd, swapped, nano, snaplen, name,
                                           static_cast<uint64_t>(st.st_size));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureFile(const std::string& path,
                                                               const std::string& bpf,
                                                               FileReader reader) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  PcapHandle pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
  const std::string name = path == "-" ? "standard input" : path;
  if (pcap == nullptr) {
    // libpcap starts some messages with the path ("x.pcap: No such file or directory");
    // the path is named once.
    absl::string_view why = errbuf;
    if (absl::StartsWith(why, path + ": ")) why.remove_prefix(path.size() + 2);
    return absl::InvalidArgumentError(absl::StrCat("cannot read capture ", name, ": ", why));
  }
  if (reader == FileReader::kAuto) {
    if (std::unique_ptr<CaptureSource> fast = TryBlockReader(path, &pcap)) {
      absl::Status filtered = static_cast<PcapBlockReader*>(fast.get())->SetFilter(bpf);
      if (!filtered.ok()) return filtered;
      return fast;
    }
  }
  absl::Status filtered = ApplyFilter(pcap.get(), bpf, PCAP_NETMASK_UNKNOWN, name);
  if (!filtered.ok()) return filtered;
  const bool nano = pcap_get_tstamp_precision(pcap.get()) == PCAP_TSTAMP_PRECISION_NANO;
  return std::unique_ptr<CaptureSource>(new PcapSource(std::move(pcap), false, nano, name, 0));
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
    return absl::InvalidArgumentError(absl::StrCat("cannot capture on ", name, ": ", detail));
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
