// Tests for mapped_file.h: the bytes read in place equal the file's; a file that grows is
// remapped; a file truncated under the mapping is noticed before reading (Populate) or,
// when the pages go after that, read as zeros with zeroed() set instead of a SIGBUS; a
// SIGBUS elsewhere still ends the process; dropped pages leave the resident set.
#include "tins_ext/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "testing/packets.h"
#include "testing/paths.h"
#include "testing/resident.h"

namespace tcpfollow {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// A file of `size` bytes where byte i is (i * 7 + i / 4096) mod 251: pages differ.
std::string Pattern(uint64_t size) {
  std::string s(size, '\0');
  for (uint64_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 4096) % 251);
  return s;
}

struct OpenFile {
  explicit OpenFile(const std::string& path) : fd(open(path.c_str(), O_RDWR)) { REQUIRE(fd >= 0); }
  ~OpenFile() { close(fd); }
  int fd;
};

TEST_CASE("MappedFile: reads the file's bytes in place, populated ahead", "[mapped]") {
  const std::string path = testing::TempPath("mapped.bin");
  const std::string bytes = Pattern(3 * kMiB + 123);
  testing::WriteFile(path, bytes);
  OpenFile f(path);
  auto map = MappedFile::Map(f.fd, bytes.size());
  REQUIRE(map != nullptr);
  CHECK(map->size() == bytes.size());
  CHECK(map->Populate(kMiB) == kMiB);
  CHECK(map->Populate(100 * kMiB) == bytes.size());  // up to the end, no further
  CHECK(std::string(reinterpret_cast<const char*>(map->data()), map->size()) == bytes);
  CHECK_FALSE(map->shrank());
  CHECK_FALSE(map->zeroed());
  // Private: writing (a reader swapping header fields) does not change the file.
  map->data()[0] ^= 0xff;
  CHECK(testing::ReadFileOrEmpty(path) == bytes);
}

TEST_CASE("MappedFile: an empty file or a bad descriptor is not mapped", "[mapped]") {
  CHECK(MappedFile::Map(-1, 4096) == nullptr);
  const std::string path = testing::TempPath("mapped-empty.bin");
  testing::WriteFile(path, "");
  OpenFile f(path);
  CHECK(MappedFile::Map(f.fd, 0) == nullptr);
}

TEST_CASE("MappedFile: a file that grew is mapped again to its new size", "[mapped]") {
  const std::string path = testing::TempPath("mapped-grow.bin");
  const std::string bytes = Pattern(2 * kMiB);
  testing::WriteFile(path, bytes.substr(0, kMiB));
  OpenFile f(path);
  auto map = MappedFile::Map(f.fd, kMiB);
  REQUIRE(map != nullptr);
  CHECK_FALSE(map->Grow());  // not grown yet
  testing::WriteFile(path, bytes);  // rewritten in place, the same inode
  REQUIRE(map->Grow());
  CHECK(map->size() == bytes.size());
  CHECK(map->Populate(map->size()) == bytes.size());
  CHECK(std::string(reinterpret_cast<const char*>(map->data()), map->size()) == bytes);
}

TEST_CASE("MappedFile: a truncation ahead of the reader is found before reading", "[mapped]") {
  const std::string path = testing::TempPath("mapped-shrink.bin");
  const std::string bytes = Pattern(4 * kMiB);
  testing::WriteFile(path, bytes);
  OpenFile f(path);
  auto map = MappedFile::Map(f.fd, bytes.size());
  REQUIRE(map != nullptr);
  CHECK(map->Populate(kMiB) == kMiB);
  REQUIRE(ftruncate(f.fd, 2 * kMiB) == 0);
  CHECK(map->Populate(3 * kMiB) == 2 * kMiB);  // the readable end: the file's new end
  CHECK(map->shrank());
  CHECK_FALSE(map->zeroed());  // nothing was read past the end
  CHECK(map->current_size() == 2 * kMiB);
  CHECK(std::string(reinterpret_cast<const char*>(map->data()), 2 * kMiB) == bytes.substr(0, 2 * kMiB));
  CHECK_FALSE(map->Grow());
}

TEST_CASE("MappedFile: pages lost after they were populated read as zeros, no SIGBUS",
          "[mapped]") {
  const std::string path = testing::TempPath("mapped-lost.bin");
  const std::string bytes = Pattern(4 * kMiB);
  testing::WriteFile(path, bytes);
  OpenFile f(path);
  auto map = MappedFile::Map(f.fd, bytes.size());
  REQUIRE(map != nullptr);
  REQUIRE(map->Populate(bytes.size()) == bytes.size());
  REQUIRE(ftruncate(f.fd, kMiB) == 0);  // removes populated pages from the mapping
  const volatile uint8_t* p = map->data();
  CHECK(p[kMiB - 1] == static_cast<uint8_t>(bytes[kMiB - 1]));  // before the cut: intact
  CHECK(p[3 * kMiB] == 0);                                      // a SIGBUS without the handler
  CHECK(p[2 * kMiB + 17] == 0);                                 // zeros to the end
  CHECK(map->zeroed());
  CHECK(map->shrank());
}

TEST_CASE("MappedFile: a SIGBUS outside every mapping still ends the process", "[mapped]") {
  const std::string path = testing::TempPath("mapped-other.bin");
  testing::WriteFile(path, Pattern(kMiB));
  {
    OpenFile f(path);
    auto map = MappedFile::Map(f.fd, kMiB);  // installs the handler
    REQUIRE(map != nullptr);
  }
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A mapping of our own, not a MappedFile: a read past its file's end is a real SIGBUS.
    const int fd = open(path.c_str(), O_RDWR);
    void* other = mmap(nullptr, 2 * kMiB, PROT_READ, MAP_SHARED, fd, 0);
    if (other == MAP_FAILED || ftruncate(fd, 4096) != 0) _exit(3);
    const volatile uint8_t* q = static_cast<const uint8_t*>(other);
    _exit(q[kMiB + 5] == 0 ? 1 : 2);  // not reached: the process ends on SIGBUS
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGBUS);
}

TEST_CASE("MappedFile: dropped pages leave the resident set", "[mapped]") {
  const std::string path = testing::TempPath("mapped-rss.bin");
  const uint64_t size = 64 * kMiB;
  testing::WriteFile(path, std::string(size, 'x'));
  OpenFile f(path);
  auto map = MappedFile::Map(f.fd, size);
  REQUIRE(map != nullptr);
  const uint64_t before = testing::ResidentBytes();
  uint64_t peak = 0, sum = 0;
  for (uint64_t off = 0; off < size; off += 2 * kMiB) {
    REQUIRE(map->Populate(off + 2 * kMiB) >= off + 2 * kMiB);
    for (uint64_t i = off; i < off + 2 * kMiB; i += 4096) sum += map->data()[i];
    map->DropBefore(off);
    peak = std::max(peak, testing::ResidentBytes());
  }
  CHECK(sum == size / 4096 * 'x');
  INFO("resident before " << before << ", peak " << peak);
  CHECK(peak < before + 8 * kMiB);  // a 64 MiB file, read through with 4 MiB at most mapped
}

}  // namespace
}  // namespace tcpfollow
