// ClientRandomScanner and KeyMaterial on the corpus captures: every client random the key
// logs name is found in the capture's bytes, whatever the chunk size; compressed files are
// refused; a big key log is cut down to the capture's sessions and still decrypts.
#include "tls/client_random_scan.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "testing/paths.h"
#include "tls/key_material.h"

namespace tcpfollow::tls {
namespace {

std::string Dir() { return tcpfollow::testing::RepoRoot() + "/corpus/tls/"; }

std::string Read(const std::string& name) {
  std::string s = tcpfollow::testing::ReadFileOrEmpty(Dir() + name);
  REQUIRE(!s.empty());
  return s;
}

ClientRandomSet KeyLogRandoms(const std::string& keylog) {
  ClientRandomSet out;
  for (absl::string_view line : absl::StrSplit(keylog, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() != 3) continue;
    std::string r = absl::HexStringToBytes(f[1]);
    ClientRandom cr;
    std::copy(r.begin(), r.end(), cr.begin());
    out.insert(cr);
  }
  return out;
}

TEST_CASE("ClientRandomScanner: finds every key-logged random, any chunking", "[tls]") {
  for (const char* name : {"tls13_aes_128_gcm_sha256", "ecdhe_tls12_cbc", "ecdhe_tls12_chacha"}) {
    std::string pcap = Read(std::string(name) + ".pcap");
    ClientRandomSet want = KeyLogRandoms(Read(std::string(name) + ".keylog"));
    REQUIRE(!want.empty());
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{1000}, pcap.size()}) {
      ClientRandomScanner scan;
      for (size_t i = 0; i < pcap.size(); i += chunk) scan.Feed(absl::string_view(pcap).substr(i, chunk));
      scan.Finish();
      INFO(name << " chunk " << chunk);
      CHECK(scan.complete());
      for (const ClientRandom& r : want) CHECK(scan.randoms().contains(r));
      CHECK(scan.randoms().size() == want.size());  // no false matches in these captures
    }
  }
}

TEST_CASE("ClientRandomScanner: SSLv2-compatible hello; compressed files refused", "[tls]") {
  // pcap magic, then an SSLv2 ClientHello: 3 cipher specs, no session id, 16-byte challenge.
  std::string file("\xd4\xc3\xb2\xa1", 4);
  std::string hello("\x01\x03\x01\x00\x09\x00\x00\x00\x10", 9);
  hello += std::string("\x00\x00\x2f\x00\x00\x35\x00\x00\x0a", 9) + std::string(16, '\x5a');
  file += std::string(1, static_cast<char>(0x80)) + std::string(1, static_cast<char>(hello.size())) + hello;
  ClientRandomScanner scan;
  scan.Feed(file);
  scan.Finish();
  ClientRandom want{};
  std::fill(want.begin() + 16, want.end(), 0x5a);
  CHECK(scan.randoms().size() == 1);
  CHECK(scan.randoms().contains(want));

  ClientRandomScanner gz;
  gz.Feed(std::string("\x1f\x8b\x08\x00", 4) + file);
  gz.Finish();
  CHECK(!gz.plain_capture());
  CHECK(gz.randoms().empty());
}

// A ReadFileFn over in-memory files.
ReadFileFn MemoryFiles(std::map<std::string, std::string>* files) {
  return [files](const std::string& path, uint64_t offset,
                 const std::function<void(absl::string_view)>& chunk) -> absl::StatusOr<uint64_t> {
    auto it = files->find(path);
    if (it == files->end()) return absl::NotFoundError("no " + path);
    for (size_t i = offset; i < it->second.size(); i += 4096) {
      chunk(absl::string_view(it->second).substr(i, 4096));
    }
    return it->second.size();
  };
}

TEST_CASE("KeyMaterial: a big key log keeps only the capture's secrets", "[tls]") {
  std::string real = Read("ecdhe_tls12_gcm.keylog");
  std::string big;
  for (int i = 0; i < 3000; ++i) {
    char random[65];
    std::snprintf(random, sizeof(random), "%064x", i);
    big += std::string("CLIENT_RANDOM ") + random + " " + std::string(96, 'a') + "\n";
  }
  big += real;
  std::map<std::string, std::string> files = {{"big.keylog", big},
                                              {"c.pcap", Read("ecdhe_tls12_gcm.pcap")}};
  KeyMaterialOptions o;
  o.keylogs = {"big.keylog"};
  o.capture = "c.pcap";
  KeyMaterialLimits limits;
  limits.scan_capture_after_entries = 1000;
  auto k = KeyMaterial::Load(o, MemoryFiles(&files), limits);
  REQUIRE(k.ok());
  CHECK((*k)->keylog().has_filter());
  CHECK((*k)->keylog().size() == KeyLogRandoms(real).size());
  CHECK((*k)->keylog().stats().not_in_capture == 3000);
  CHECK((*k)->Summary().find("3000 for sessions not in this capture skipped") != std::string::npos);

  // Under the threshold, or with no capture to scan, everything is kept.
  limits.scan_capture_after_entries = 5000;
  auto small = KeyMaterial::Load(o, MemoryFiles(&files), limits);
  REQUIRE(small.ok());
  CHECK(!(*small)->keylog().has_filter());
  CHECK((*small)->keylog().size() == 3000 + KeyLogRandoms(real).size());
}

TEST_CASE("KeyMaterial: unparsable lines warned once; missing files", "[tls]") {
  std::map<std::string, std::string> files = {
      {"k", "# x\nCLIENT_RANDOM nothex " + std::string(96, 'a') + "\nbad\nCLIENT_RANDOM " +
                std::string(64, '1') + " " + std::string(96, 'b')}};  // no final newline
  KeyMaterialOptions o;
  o.keylogs = {"k"};
  auto k = KeyMaterial::Load(o, MemoryFiles(&files));
  REQUIRE(k.ok());
  CHECK((*k)->keylog().size() == 1);
  REQUIRE((*k)->warnings().size() == 1);
  CHECK((*k)->warnings()[0] ==
        "key log k: 2 lines could not be parsed (not \"LABEL <64 hex> <hex secret>\"), the "
        "first is line 2");
  o.keylogs = {"missing"};
  auto missing = KeyMaterial::Load(o, MemoryFiles(&files));
  CHECK(!missing.ok());
  o.live = true;  // live: it may appear later, and is tailed
  auto live = KeyMaterial::Load(o, MemoryFiles(&files));
  REQUIRE(live.ok());
  files["missing"] = "CLIENT_RANDOM " + std::string(64, '2') + " " + std::string(96, 'c') + "\nCLIENT_RA";
  (*live)->Refresh();
  CHECK((*live)->keylog().size() == 1);
  files["missing"] += "NDOM " + std::string(64, '3') + " " + std::string(96, 'c') + "\n";
  (*live)->Refresh();
  CHECK((*live)->keylog().size() == 2);
}

}  // namespace
}  // namespace tcpfollow::tls
