// A capture file mapped into memory, so that packets are read where the page cache holds
// them instead of being copied out by read(2). //tins_ext:capture_read_benchmark on a quiet
// machine: the reader alone goes through tls.pcap's 421 MB in 37 ms mapped against 59 ms
// with read(2), and with decoding and the TCP checksum of every byte in 73 against 78 ms
// (bench.pcap, 553 MB: 77 against 87 ms); bench/RESULTS.md.
//
// Memory stays bounded: pages behind the reader are dropped from this process
// (DropBefore; the page cache keeps them), and pages ahead are populated in chunks
// (Populate), so the resident set is a few MiB whatever the file size.
//
// A file truncated while mapped would make reads of the lost pages raise SIGBUS. Populate
// notices a truncation before reading (the kernel refuses to populate pages past the end)
// and reports the readable end (shrank()); for a truncation between that and the read, a
// SIGBUS handler puts zero pages over the rest of the mapping and sets zeroed(), which the
// reader checks for every packet after touching its last byte. What that leaves: the rest
// of the file's new last page reads as zeros without a fault (the kernel's view of a
// file's tail), so records read there before the next page faults are zero-length ones;
// and a truncation between the check and the decoding of a packet gives it zeros.
// A file that grows while read (a capture still being written) is remapped (Grow).
//
// Does not read compressed input or pipes (byte_source.h reads those).
#ifndef TCPFOLLOW_TINS_EXT_MAPPED_FILE_H_
#define TCPFOLLOW_TINS_EXT_MAPPED_FILE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tcpfollow {

class MappedFile {
 public:
  // Maps the regular file `fd` (not taken over: it must outlive the mapping) of `size`
  // bytes. Null when it cannot be mapped; the caller then reads it instead.
  static std::unique_ptr<MappedFile> Map(int fd, uint64_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Private and writable: a reader may swap header fields in place (copy on write).
  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  // Makes at least [0, end) (end <= size()) present for reading, and returns the end of
  // what may be read: `end` or more, or less when the file shrank (then shrank() is set).
  uint64_t Populate(uint64_t end);
  // Drops the pages wholly before `offset` from this process; they must not be read again.
  void DropBefore(uint64_t offset);
  // The file is now larger than the mapping: maps all of it (every pointer into the old
  // mapping is invalid afterwards). false when it did not grow or cannot be remapped.
  bool Grow();

  // The file was found truncated below size() while mapped.
  bool shrank() const { return shrank_ || zeroed(); }
  // A read hit a page the file no longer has, and read zeros (the SIGBUS handler).
  bool zeroed() const { return zeroed_flag()->load(std::memory_order_acquire); }
  // The flag itself, for a reader that checks it for every packet.
  const std::atomic<bool>* zeroed_flag() const;
  // The file's size now (fstat), for the message when it shrank.
  uint64_t current_size() const;

 private:
  MappedFile(int fd, uint8_t* data, uint64_t size, int slot);

  const int fd_;
  uint8_t* data_;
  uint64_t size_;
  uint64_t populated_ = 0;  // [0, populated_) was populated
  uint64_t dropped_ = 0;    // [0, dropped_) was dropped
  bool shrank_ = false;     // Populate found the file shorter than the mapping
  const int slot_;          // this mapping's entry in the SIGBUS handler's table
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_MAPPED_FILE_H_
