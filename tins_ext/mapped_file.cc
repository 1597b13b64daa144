// A capture file mapped into memory; see mapped_file.h.
#include "tins_ext/mapped_file.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels answer EINVAL and pages are touched
#endif

namespace tcpfollow {
namespace {

// The mappings the SIGBUS handler may repair. A fixed table: the handler must not lock
// or allocate. A process reads few files at once; when every slot is taken, the next
// file is read instead of mapped.
constexpr int kSlots = 32;
struct Region {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<bool> zeroed{false};
};
Region g_regions[kSlots];
struct sigaction g_previous_sigbus;

uintptr_t PageSize() {
  static const uintptr_t size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// A read of a mapped page the file no longer has: zero pages from there to the end of
// the mapping (a private anonymous mapping put over it), so the read is retried and sees
// zeros; the reader learns of it from zeroed(). A SIGBUS anywhere else goes to the
// handler that was there before, or ends the process as it would have.
void OnSigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Region& r : g_regions) {
    const uintptr_t begin = r.begin.load(std::memory_order_acquire);
    const uintptr_t end = r.end.load(std::memory_order_acquire);
    if (begin == 0 || addr < begin || addr >= end) continue;
    const uintptr_t page = addr & ~(PageSize() - 1);
    void* zeros = mmap(reinterpret_cast<void*>(page), end - page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros != MAP_FAILED) {
      r.zeroed.store(true, std::memory_order_release);
      return;
    }
  }
  if ((g_previous_sigbus.sa_flags & SA_SIGINFO) != 0 && g_previous_sigbus.sa_sigaction != nullptr) {
    g_previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  // Returning retries the faulting access, which now ends the process with SIGBUS.
  signal(SIGBUS, SIG_DFL);
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

void Publish(int slot, const uint8_t* data, uint64_t size) {
  Region& r = g_regions[slot];
  r.end.store(0, std::memory_order_release);
  r.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
  r.end.store(reinterpret_cast<uintptr_t>(data) + size, std::memory_order_release);
}

}  // namespace

std::unique_ptr<MappedFile> MappedFile::Map(int fd, uint64_t size) {
  if (size == 0 || size > SIZE_MAX / 2) return nullptr;
  int slot = -1;
  for (int i = 0; i < kSlots && slot < 0; ++i) {
    bool expected = false;
    if (g_regions[i].used.compare_exchange_strong(expected, true)) slot = i;
  }
  if (slot < 0) return nullptr;
  InstallSigbusHandler();
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) {
    g_regions[slot].used.store(false);
    return nullptr;
  }
  madvise(data, size, MADV_SEQUENTIAL);
  g_regions[slot].zeroed.store(false);
  Publish(slot, static_cast<uint8_t*>(data), size);
  return std::unique_ptr<MappedFile>(new MappedFile(fd, static_cast<uint8_t*>(data), size, slot));
}

MappedFile::MappedFile(int fd, uint8_t* data, uint64_t size, int slot)
    : fd_(fd), data_(data), size_(size), slot_(slot) {}

MappedFile::~MappedFile() {
  Region& r = g_regions[slot_];
  r.begin.store(0, std::memory_order_release);
  r.end.store(0, std::memory_order_release);
  munmap(data_, size_);
  r.used.store(false, std::memory_order_release);
}

uint64_t MappedFile::Populate(uint64_t end) {
  if (end > size_) end = size_;
  if (shrank()) return std::min(end, current_size());
  if (end <= populated_) return populated_;
  const uint64_t from = populated_ & ~(PageSize() - 1);
  if (madvise(data_ + from, end - from, MADV_POPULATE_READ) == 0) {
    populated_ = end;
    return end;
  }
  if (errno == EFAULT) {  // pages past the end of the file: it shrank
    shrank_ = true;
    return std::min(end, current_size());
  }
  // An older kernel: fault the pages in by reading them (the handler catches a shrink).
  for (uint64_t off = from; off < end; off += PageSize()) {
    (void)*static_cast<volatile const uint8_t*>(data_ + off);
  }
  populated_ = end;
  return shrank() ? std::min(end, current_size()) : end;
}

void MappedFile::DropBefore(uint64_t offset) {
  const uint64_t to = std::min(offset, size_) & ~(PageSize() - 1);
  if (to <= dropped_) return;
  madvise(data_ + dropped_, to - dropped_, MADV_DONTNEED);
  dropped_ = to;
}

bool MappedFile::Grow() {
  if (shrank()) return false;
  const uint64_t now = current_size();
  if (now <= size_ || now > SIZE_MAX / 2) return false;
  // Hidden from the handler while it moves.
  g_regions[slot_].begin.store(0, std::memory_order_release);
  void* moved = mremap(data_, size_, now, MREMAP_MAYMOVE);
  if (moved == MAP_FAILED) {
    Publish(slot_, data_, size_);
    return false;
  }
  data_ = static_cast<uint8_t*>(moved);
  size_ = now;
  Publish(slot_, data_, size_);
  return true;
}

const std::atomic<bool>* MappedFile::zeroed_flag() const { return &g_regions[slot_].zeroed; }

uint64_t MappedFile::current_size() const {
  struct stat st;
  if (fstat(fd_, &st) != 0) return size_;
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace tcpfollow
