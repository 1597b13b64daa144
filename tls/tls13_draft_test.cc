// TLS 1.3 draft versions (0x7F12-0x7F1C) decrypt with a key log: synthetic sessions whose
// records are really encrypted (OpenSSL AES-128-GCM) the way each draft did it: drafts
// 18-21 with their own ServerHello layout, drafts before 20 with the "TLS 1.3, " HKDF label
// prefix, drafts before 25 with no additional data. Without secrets, the reason names the
// draft and the suite. No peer here speaks a draft, hence the synthetic sessions.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "tls/cipher_suites.h"
#include "tls/key_schedule.h"
#include "tls/keylog.h"
#include "tls/testing/decryptor_run.h"
#include "tls/testing/test_cipher.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {
namespace {

using testing::DecryptorRun;
using testing::HandshakeMessage;
using testing::RecordBytes;

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

std::string U16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// Encrypts TLS 1.3 records for one direction of one epoch.
class Sealer {
 public:
  Sealer(const std::string& secret, int draft) : draft_(draft) {
    const char* prefix = draft < 20 ? "TLS 1.3, " : "tls13 ";
    key_ = *HkdfExpandLabel("SHA256", secret, "key", "", 16, prefix);
    iv_ = *HkdfExpandLabel("SHA256", secret, "iv", "", 12, prefix);
  }
  std::string Record(uint8_t inner_type, const std::string& content) {
    std::string plain = content + static_cast<char>(inner_type);
    std::string nonce = iv_;
    for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<char>(seq_ >> (8 * (7 - i)));
    ++seq_;
    std::string header = std::string("\x17\x03\x03", 3) + U16(plain.size() + 16);
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    std::string out(plain.size() + 16, '\0');
    int len = 0;
    auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, u(key_), u(nonce));
    if (draft_ >= 25) EVP_EncryptUpdate(c, nullptr, &len, u(header), 5);
    EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &len, u(plain), plain.size());
    EVP_EncryptFinal_ex(c, nullptr, &len);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size());
    EVP_CIPHER_CTX_free(c);
    return header + out;
  }

 private:
  int draft_;
  std::string key_, iv_;
  uint64_t seq_ = 0;
};

struct Outcome {
  nlohmann::json fields;
  std::string plain[2];
};

Outcome RunDraft(int draft, bool with_keys) {
  uint16_t version = 0x7F00 | draft;
  std::string random(32, '\x11');
  std::string secret[4] = {std::string(32, 'a'), std::string(32, 'b'), std::string(32, 'c'),
                           std::string(32, 'd')};
  const char* labels[4] = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                           "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
  KeyLogStore keys;
  if (with_keys) {
    for (int i = 0; i < 4; ++i) {
      keys.AddKeyLogText(std::string(labels[i]) + " " + absl::BytesToHexString(random) + " " +
                         absl::BytesToHexString(secret[i]) + "\n");
    }
  }
  // supported_versions offering the draft
  std::string sv = U16(43) + U16(3) + "\x02" + U16(version);
  std::string ch = "\x03\x03" + random + std::string("\x00", 1) + U16(2) + U16(0x1301) +
                   std::string("\x01\x00", 2) + U16(sv.size()) + sv;
  std::string sh;
  if (draft < 22) {
    sh = U16(version) + std::string(32, '\x22') + U16(0x1301) + U16(0);
  } else {
    std::string ext = U16(43) + U16(2) + U16(version);
    sh = "\x03\x03" + std::string(32, '\x22') + std::string("\x00", 1) + U16(0x1301) +
         std::string("\x00", 1) + U16(ext.size()) + ext;
  }
  Sealer chs(secret[0], draft), shs(secret[1], draft), cap(secret[2], draft), sap(secret[3], draft);
  TlsDecryptorConfig config;
  config.secrets = &keys;
  DecryptorRun run(config);
  absl::Time t = absl::UnixEpoch();
  run.dec.OnData(kC, t, RecordBytes(22, 0x0301, HandshakeMessage(1, ch)));
  run.dec.OnData(kS, t, RecordBytes(22, 0x0303, HandshakeMessage(2, sh)) +
                            shs.Record(22, HandshakeMessage(8, U16(0)) +
                                               HandshakeMessage(20, std::string(32, 'f'))) +
                            sap.Record(23, "hello from the server"));
  run.dec.OnData(kC, t, chs.Record(22, HandshakeMessage(20, std::string(32, 'g'))) +
                            cap.Record(23, "hello from the client"));
  run.dec.OnClose(t);
  Outcome o;
  REQUIRE(run.output.records.size() == 1);
  o.fields = run.output.records[0].second;
  o.plain[0] = run.plain(0);
  o.plain[1] = run.plain(1);
  return o;
}

TEST_CASE("TlsDecryptor: TLS 1.3 drafts 18-28 decrypt with a key log", "[tls]") {
  for (int draft : {18, 19, 20, 21, 22, 23, 24, 25, 26, 28}) {
    INFO("draft " << draft);
    Outcome o = RunDraft(draft, true);
    CHECK(o.fields["version"] == "TLS 1.3 (draft " + std::to_string(draft) + ")");
    CHECK(o.fields["cipher"] == "TLS_AES_128_GCM_SHA256");
    CHECK(o.fields["decrypted"] == true);
    CHECK(o.plain[0] == "hello from the client");
    CHECK(o.plain[1] == "hello from the server");
  }
}

TEST_CASE("TlsDecryptor: a TLS 1.3 draft session without secrets says why", "[tls]") {
  Outcome o = RunDraft(23, false);
  CHECK(o.fields["version"] == "TLS 1.3 (draft 23)");
  CHECK(o.fields["decrypted"] == false);
  std::string reason = o.fields["reason"];
  CHECK(reason.find("SERVER_HANDSHAKE_TRAFFIC_SECRET") != std::string::npos);
  CHECK(reason.find("TLS_AES_128_GCM_SHA256") != std::string::npos);
}

}  // namespace
}  // namespace tcpfollow::tls
