// ExtractPcapngSecrets: every Decryption Secrets Block counts, before, between and after
// packets, in sections of either byte order; damaged blocks end the walk keeping what came
// before; non-TLS secrets are skipped.
#include "tins_ext/pcapng_secrets.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

namespace tcpfollow {
namespace {

// pcapng blocks, little- or big-endian.
struct Builder {
  bool big = false;
  std::string out;

  std::string U32(uint32_t v) const {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[big ? 3 - i : i] = static_cast<char>(v >> (8 * i));
    return s;
  }
  void Block(uint32_t type, std::string body) {
    while (body.size() % 4) body.push_back('\0');
    uint32_t len = static_cast<uint32_t>(body.size() + 12);
    out += U32(type) + U32(len) + body + U32(len);
  }
  void Section() {
    std::string body = U32(0x1A2B3C4D) + std::string(big ? "\0\1\0\0" : "\1\0\0\0", 4) +
                       std::string(8, '\xff');
    Block(0x0A0D0D0A, body);
  }
  void Interface() { Block(1, std::string(big ? "\0\1" : "\1\0", 2) + std::string(2, '\0') + U32(0)); }
  void Packet(size_t n) {
    Block(6, U32(0) + U32(0) + U32(0) + U32(static_cast<uint32_t>(n)) +
                 U32(static_cast<uint32_t>(n)) + std::string(n, 'p'));
  }
  void Secrets(uint32_t type, const std::string& text, const std::string& options = "") {
    std::string body = U32(type) + U32(static_cast<uint32_t>(text.size())) + text;
    while (body.size() % 4) body.push_back('\0');
    Block(0x0A, body + options);
  }
};

constexpr uint32_t kTlsk = 0x544c534b;

TEST_CASE("ExtractPcapngSecrets: every DSB wherever it sits, both byte orders", "[pcapng]") {
  Builder b;
  b.Section();
  b.Secrets(kTlsk, "CLIENT_RANDOM first\n");
  b.Interface();
  b.Packet(61);
  b.Secrets(0x57474b4c /* WireGuard */, "not tls");
  b.Packet(7);
  b.Secrets(kTlsk, "CLIENT_RANDOM between", std::string("\x01\x00\x02\x00ab\x00\x00\x00\x00\x00\x00", 12));
  b.Packet(100);
  Builder be;
  be.big = true;
  be.Section();
  be.Interface();
  be.Packet(33);
  be.Secrets(kTlsk, "CLIENT_RANDOM big endian, at the end");
  std::string file = b.out + be.out;
  auto got = ExtractPcapngSecretsFromBytes(file);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "CLIENT_RANDOM first\n");
  CHECK(got[1] == "CLIENT_RANDOM between");
  CHECK(got[2] == "CLIENT_RANDOM big endian, at the end");

  // The same through a file.
  std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") +
                     "/pcapng_secrets_test.pcapng";
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(file.data(), 1, file.size(), f);
  std::fclose(f);
  auto from_file = ExtractPcapngSecrets(path);
  REQUIRE(from_file.ok());
  CHECK(*from_file == got);
  std::remove(path.c_str());

  // Cut inside the last block: the first two are kept.
  CHECK(ExtractPcapngSecretsFromBytes(file.substr(0, file.size() - 10)).size() == 2);
  // A secrets length past the block ends the walk there.
  Builder bad;
  bad.Section();
  bad.Secrets(kTlsk, "ok");
  bad.Block(0x0A, bad.U32(kTlsk) + bad.U32(1000) + "short");
  bad.Secrets(kTlsk, "never reached");
  CHECK(ExtractPcapngSecretsFromBytes(bad.out) == std::vector<std::string>{"ok"});
}

TEST_CASE("ExtractPcapngSecrets: a classic pcap or garbage has none", "[pcapng]") {
  std::string pcap("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
  pcap += std::string(16, '\0');
  CHECK(ExtractPcapngSecretsFromBytes(pcap).empty());
  CHECK(ExtractPcapngSecretsFromBytes("").empty());
  CHECK(ExtractPcapngSecretsFromBytes(std::string("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00xxxx", 12)).empty());
}

}  // namespace
}  // namespace tcpfollow
