// Decrypts the shared public TLS vectors with their key logs: fq-tls (73 single-suite TLS 1.2
// captures; fq's *.fqtest output gives the expected plaintext) and ssldump-samples (TLS 1.2 and
// 1.3: GCM, CCM, CCM_8, ChaCha20, KeyUpdate, resumption). Prints a suite-by-suite table.
#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>
#include "absl/strings/escaping.h"
#include "testing/paths.h"
#include "tls/cipher.h"
#include "tls/cipher_suites.h"
#include "tls/keylog.h"
#include "testing/pcap_streams.h"
#include "tls/testing/decryptor_run.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {
namespace {

using Result = testing::DecryptOutcome;

Result Run(const tcpfollow::testing::CapturedConnection& c, TlsDecryptorConfig config) {
  Result r = testing::DecryptConnection(c, config);
  REQUIRE(r.records == 1);
  return r;
}

std::vector<std::string> ListDir(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(n);
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// fq's dump of a decrypted stream: the hex rows after "stream: raw bits ... (N)" give a
// prefix of the plaintext (fq elides the rest with "*"), N gives its length.
struct Expected {
  std::string prefix;
  size_t length = 0;
};
std::vector<Expected> ParseFqStreams(const std::string& text) {
  std::vector<Expected> out;
  std::istringstream in(text);
  std::string line;
  static const std::regex kRow(R"(^\s*0x[0-9a-f]+\|([0-9a-f ]+)\|)");
  static const std::regex kStream(R"(stream: raw bits 0x0-0x[0-9a-f]+ \((\d+)\))");
  bool in_stream = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kStream)) {
      out.push_back(Expected{"", std::stoul(m[1])});
      in_stream = true;
    } else if (!in_stream || !std::regex_search(line, m, kRow)) {
      in_stream = false;
      continue;
    }
    std::smatch row;
    if (!std::regex_search(line, row, kRow)) continue;
    std::istringstream hex(row[1].str());
    std::string byte;
    while (hex >> byte) out.back().prefix.push_back(static_cast<char>(std::stoi(byte, nullptr, 16)));
  }
  return out;
}

TEST_CASE("Vectors: fq-tls decrypts every TLS 1.2 suite OpenSSL runs, table by suite", "[tls][vectors]") {
  std::string root = tcpfollow::testing::VectorsDir();
  if (root.empty()) {
    WARN("shared vectors missing: skipped");
    return;
  }
  std::string dir = root + "/fq-tls/ciphers/";
  KeyLogStore keys;
  keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(dir + "all.keylog"));
  REQUIRE(keys.size() > 0);
  TlsDecryptorConfig config;
  config.secrets = &keys;
  std::vector<std::string> pcaps = ListDir(dir, ".pcap");
  REQUIRE(pcaps.size() == 73);
  int decrypted = 0, expected_to_decrypt = 0;
  std::string table = "suite | decrypted | client/server plaintext bytes | reason\n";
  for (const std::string& name : pcaps) {
    std::string suite_name = name.substr(0, name.size() - 5);
    auto conns = tcpfollow::testing::ReadPcapStreams(dir + name);
    REQUIRE(conns.ok());
    REQUIRE(!conns->empty());
    Result r = Run((*conns)[0], config);
    bool ok = r.fields["decrypted"].get<bool>();
    table += suite_name + " | " + (ok ? "yes" : "no") + " | " + std::to_string(r.plain[0].size()) +
             "/" + std::to_string(r.plain[1].size()) + " | " +
             r.fields.value("reason", std::string()) + " | " +
             absl::CEscape(r.plain[0].substr(0, 40)) + " | " + absl::CEscape(r.plain[1].substr(0, 60)) + "\n";
    INFO(suite_name);
    CHECK(r.fields["cipher"] == suite_name);
    const CipherSuite* suite = nullptr;
    for (uint16_t id = 0; id < 0xffff && !suite; ++id) {
      const CipherSuite* s = FindCipherSuite(id);
      if (s && suite_name == s->name) suite = s;
    }
    REQUIRE(suite != nullptr);
    bool should = !suite->export_grade && CipherAvailable(*suite);
    if (!should) {
      CHECK_FALSE(ok);
      CHECK(!r.fields.value("reason", std::string()).empty());
      continue;
    }
    ++expected_to_decrypt;
    CHECK(ok);
    if (ok) ++decrypted;
    CHECK(r.stats.mac_failures == 0);
    std::vector<Expected> exp = ParseFqStreams(
        tcpfollow::testing::ReadFileOrEmpty(dir + name + ".fqtest"));
    if (exp.size() == 2) {
      for (int d = 0; d < 2; ++d) {
        CHECK(r.plain[d].size() == exp[d].length);
        CHECK(r.plain[d].compare(0, exp[d].prefix.size(), exp[d].prefix) == 0);
      }
    } else {
      // fq cannot decrypt this suite (Camellia, SEED, IDEA); every capture of the set sends
      // the same request and gets the same s_server -www status line (see the other 62).
      CHECK(r.plain[0] == "GET / HTTP/1.0\r\n\r\n");
      CHECK(r.plain[1].rfind("HTTP/1.0 200 ok\r\n", 0) == 0);
    }
  }
  std::printf("%s", table.c_str());
  std::printf("fq-tls: %d of %zu captures decrypted (%d expected)\n", decrypted, pcaps.size(),
              expected_to_decrypt);
  CHECK(decrypted == expected_to_decrypt);
}

TEST_CASE("Vectors: ssldump samples (TLS 1.2, TLS 1.3 suites, KeyUpdate, resumption)", "[tls][vectors]") {
  std::string root = tcpfollow::testing::VectorsDir();
  if (root.empty()) {
    WARN("shared vectors missing: skipped");
    return;
  }
  std::string dir = root + "/ssldump-samples/";
  KeyLogStore keys;
  keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(dir + "log.txt"));
  TlsDecryptorConfig config;
  config.secrets = &keys;
  TlsSessionCache cache;
  config.session_cache = &cache;
  for (const std::string& name : ListDir(dir, ".pcap")) {
    auto conns = tcpfollow::testing::ReadPcapStreams(dir + name);
    REQUIRE(conns.ok());
    int tls_sessions = 0, ok_sessions = 0;
    for (const auto& c : *conns) {
      if (!LooksLikeTls(c.bytes[0])) continue;
      ++tls_sessions;
      Result r = Run(c, config);
      INFO(name << " port " << c.info.client.port << ": " << r.fields.dump());
      if (r.fields["decrypted"].get<bool>()) ++ok_sessions;
      CHECK(r.stats.mac_failures == 0);
      CHECK(r.fields["decrypted"].get<bool>());
      CHECK(!r.plain[0].empty());
      CHECK(!r.plain[1].empty());
      if (name.find("keyupdate") != std::string::npos) CHECK(r.fields.contains("key_updates"));
      if (name.find("1.3") != std::string::npos) CHECK(r.fields["version"] == "TLS 1.3");
    }
    std::printf("ssldump %s: %d/%d sessions decrypted\n", name.c_str(), ok_sessions, tls_sessions);
    CHECK(tls_sessions > 0);
  }
}

}  // namespace
}  // namespace tcpfollow::tls
