// RSA key loading, matching and pre-master decryption; see rsa_keys.h.
#include "tls/rsa_keys.h"

#include <cstring>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tls/cipher.h"
#include "tls/key_schedule.h"

namespace tcpfollow::tls {

struct RsaKeyStore::Entry {
  EVP_PKEY* key = nullptr;
  std::optional<Endpoint> server;
  ~Entry() { EVP_PKEY_free(key); }
};

RsaKeyStore::RsaKeyStore() = default;
RsaKeyStore::~RsaKeyStore() = default;

absl::StatusOr<RsaKeySpec> ParseRsaKeySpec(absl::string_view arg) {
  RsaKeySpec spec;
  absl::string_view host, rest;
  if (!arg.empty() && arg[0] == '[') {
    size_t close = arg.find("]:");
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("bad [IPv6]:PORT:FILE");
    host = arg.substr(1, close - 1);
    rest = arg.substr(close + 2);
  } else {
    size_t c1 = arg.find(':');
    size_t c2 = c1 == absl::string_view::npos ? c1 : arg.find(':', c1 + 1);
    if (c2 == absl::string_view::npos) {
      spec.path = std::string(arg);
      return spec;
    }
    IpAddress probe = IpAddress::FromString(std::string(arg.substr(0, c1)));
    if (probe.family == IpAddress::Family::kNone) {
      spec.path = std::string(arg);  // a file name with colons
      return spec;
    }
    host = arg.substr(0, c1);
    rest = arg.substr(c1 + 1);
  }
  size_t c = rest.find(':');
  uint32_t port = 0;
  if (c == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, c), &port) ||
      port > 65535 || c + 1 >= rest.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bad --rsa-key ", arg, ": want [IP:PORT:]FILE"));
  }
  Endpoint ep;
  ep.addr = IpAddress::FromString(std::string(host));
  ep.port = static_cast<uint16_t>(port);
  if (ep.addr.family == IpAddress::Family::kNone) {
    return absl::InvalidArgumentError(absl::StrCat("bad IP address in --rsa-key ", arg));
  }
  spec.server = ep;
  spec.path = std::string(rest.substr(c + 1));
  return spec;
}

absl::StatusOr<CertificateInfo> DescribeCertificate(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, der.size());
  if (cert == nullptr) return absl::InvalidArgumentError("certificate does not parse");
  auto name = [](X509_NAME* n) {
    std::string out;
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0) out.assign(data, len);
    BIO_free(bio);
    return out;
  };
  CertificateInfo info;
  info.subject = name(X509_get_subject_name(cert));
  info.issuer = name(X509_get_issuer_name(cert));
  X509_free(cert);
  auto hash = Digest("SHA256", der);
  if (hash.ok()) info.sha256 = absl::BytesToHexString(*hash);
  return info;
}

namespace {

// Hands OpenSSL the configured password, or refuses: without an explicit callback OpenSSL
// prompts on the terminal for an encrypted key, which would hang a batch run.
int GivePassword(char* pass, size_t pass_size, size_t* pass_len, const OSSL_PARAM[], void* arg) {
  const std::string& password = *static_cast<const std::string*>(arg);
  if (password.empty() || password.size() > pass_size) return 0;
  std::memcpy(pass, password.data(), password.size());
  *pass_len = password.size();
  return 1;
}

}  // namespace

namespace {

// A PKCS#12 (.p12/.pfx) file: its private key, or why not. nullopt: not PKCS#12 at all.
std::optional<absl::StatusOr<EVP_PKEY*>> FromPkcs12(absl::string_view bytes,
                                                    const std::string& password) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size()));
  if (p12 == nullptr) {
    ERR_clear_error();
    return std::nullopt;
  }
  LoadOpenSslProviders();  // files written with -legacy use RC2 and 3DES
  // An empty password may be stored as "no password" or as an empty one; try both.
  const char* pass = password.c_str();
  if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, pass, -1) != 1) {
    if (password.empty() && PKCS12_verify_mac(p12, nullptr, 0) == 1) {
      pass = nullptr;
    } else {
      PKCS12_free(p12);
      ERR_clear_error();
      return absl::StatusOr<EVP_PKEY*>(absl::PermissionDeniedError(
          password.empty() ? "a PKCS#12 file that needs a password (--rsa-key-password)"
                           : "PKCS#12 file: the password is wrong"));
    }
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  int ok = PKCS12_parse(p12, pass, &key, &cert, &ca);
  PKCS12_free(p12);
  X509_free(cert);
  sk_X509_pop_free(ca, X509_free);
  if (ok != 1) {
    ERR_clear_error();
    EVP_PKEY_free(key);
    return absl::StatusOr<EVP_PKEY*>(absl::InvalidArgumentError(
        "PKCS#12 file: the password is right but its contents cannot be decrypted or read "
        "(an algorithm OpenSSL does not offer here?)"));
  }
  if (key == nullptr) {
    return absl::StatusOr<EVP_PKEY*>(absl::InvalidArgumentError("PKCS#12 file holds no private key"));
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return absl::StatusOr<EVP_PKEY*>(
        absl::InvalidArgumentError("PKCS#12 file holds a private key that is not RSA"));
  }
  return absl::StatusOr<EVP_PKEY*>(key);
}

// Whether a key file is encrypted (so a failure to read it is the password's fault).
bool LooksEncrypted(absl::string_view bytes) {
  if (absl::StrContains(bytes, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
      absl::StrContains(bytes, "Proc-Type: 4,ENCRYPTED")) {
    return true;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  X509_SIG* sig = d2i_X509_SIG(nullptr, &p, static_cast<long>(bytes.size()));  // DER PKCS#8
  if (sig == nullptr) {
    ERR_clear_error();
    return false;
  }
  X509_SIG_free(sig);
  return true;
}

}  // namespace

absl::Status RsaKeyStore::AddKey(absl::string_view file_bytes, absl::string_view password,
                                 std::optional<Endpoint> server) {
  std::string pass(password);
  EVP_PKEY* key = nullptr;
  if (auto p12 = FromPkcs12(file_bytes, pass)) {
    if (!p12->ok()) return p12->status();
    key = **p12;
  } else {
    OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(
        &key, nullptr, nullptr, "RSA", OSSL_KEYMGMT_SELECT_PRIVATE_KEY, nullptr, nullptr);
    if (dctx == nullptr) return absl::InternalError("OpenSSL has no RSA key decoder");
    OSSL_DECODER_CTX_set_passphrase_cb(dctx, GivePassword, &pass);
    const unsigned char* data = reinterpret_cast<const unsigned char*>(file_bytes.data());
    size_t len = file_bytes.size();
    int ok = OSSL_DECODER_from_data(dctx, &data, &len);
    OSSL_DECODER_CTX_free(dctx);
    if (ok != 1 || key == nullptr) {
      EVP_PKEY_free(key);
      ERR_clear_error();
      if (LooksEncrypted(file_bytes)) {
        return absl::PermissionDeniedError(
            pass.empty() ? "an encrypted private key that needs a password (--rsa-key-password)"
                         : "an encrypted private key: the password is wrong");
      }
      return absl::InvalidArgumentError(
          "not an RSA private key in a form tcpfollow reads (PEM or DER; PKCS#1, PKCS#8 or "
          "PKCS#12)");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->key = key;
  entry->server = server;
  keys_.push_back(std::move(entry));
  return absl::OkStatus();
}

EVP_PKEY* RsaKeyStore::FindKey(const Endpoint& server, absl::string_view leaf_der,
                               std::string* why) const {
  EVP_PKEY* cert_key = nullptr;
  X509* cert = nullptr;
  if (!leaf_der.empty()) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(leaf_der.data());
    cert = d2i_X509(nullptr, &p, leaf_der.size());
    if (cert != nullptr) cert_key = X509_get0_pubkey(cert);
  }
  EVP_PKEY* found = nullptr;
  bool bound_mismatch = false;
  for (const auto& e : keys_) {
    if (e->server && *e->server == server) {
      if (cert_key != nullptr && EVP_PKEY_eq(e->key, cert_key) != 1) {
        bound_mismatch = true;
        continue;
      }
      found = e->key;
      break;
    }
  }
  if (found == nullptr && cert_key != nullptr) {
    for (const auto& e : keys_) {
      if (EVP_PKEY_eq(e->key, cert_key) == 1) {
        found = e->key;
        break;
      }
    }
  }
  X509_free(cert);
  if (found == nullptr && why != nullptr) {
    if (keys_.empty()) {
      *why = "no RSA private key given (--rsa-key) and no key log entry for this client random";
    } else if (bound_mismatch) {
      *why = "the RSA key given for " + server.ToString() + " does not match the server certificate";
    } else if (cert_key == nullptr) {
      *why = "no server certificate seen and no RSA key bound to " + server.ToString();
    } else {
      *why = "none of the RSA keys matches the server certificate's public key";
    }
  }
  return found;
}

absl::StatusOr<std::string> RsaKeyStore::DecryptPreMaster(EVP_PKEY* key,
                                                          absl::string_view encrypted,
                                                          uint16_t client_version,
                                                          uint16_t alt_version) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return absl::InternalError("RSA decryption setup failed");
  }
  // OpenSSL >= 3.2 returns random bytes instead of failing (Marvin countermeasure) unless this
  // is off. 3.0.x has no such parameter; the call then fails harmlessly.
  if (EVP_PKEY_CTX_ctrl_str(ctx, "rsa_pkcs1_implicit_rejection", "0") <= 0) ERR_clear_error();
  std::string out(EVP_PKEY_get_size(key), '\0');
  size_t out_len = out.size();
  int ok = EVP_PKEY_decrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &out_len,
                            reinterpret_cast<const unsigned char*>(encrypted.data()),
                            encrypted.size());
  EVP_PKEY_CTX_free(ctx);
  if (ok != 1) {
    return absl::InvalidArgumentError(
        "the RSA key cannot decrypt the pre-master secret (wrong key for this server?)");
  }
  out.resize(out_len);
  if (out.size() != 48) {
    return absl::InvalidArgumentError("RSA-decrypted pre-master secret is not 48 bytes (wrong key?)");
  }
  uint16_t v = (uint16_t{static_cast<uint8_t>(out[0])} << 8) | static_cast<uint8_t>(out[1]);
  if (v != client_version && v != alt_version) {
    return absl::InvalidArgumentError(
        "RSA-decrypted pre-master secret has the wrong version bytes (wrong key?)");
  }
  return out;
}

}  // namespace tcpfollow::tls
