// PSK keys and pre-master secrets; see psk.h.
#include "tls/psk.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow::tls {
namespace {

std::string U16(size_t n) {
  return {static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

// A length-prefixed (2 bytes) vector at the front of *s.
bool TakeVec16(absl::string_view* s, absl::string_view* out) {
  if (s->size() < 2) return false;
  size_t n = size_t{static_cast<uint8_t>((*s)[0])} << 8 | static_cast<uint8_t>((*s)[1]);
  if (s->size() < 2 + n) return false;
  *out = s->substr(2, n);
  s->remove_prefix(2 + n);
  return true;
}

}  // namespace

absl::Status PskStore::Add(absl::string_view spec) {
  Entry e;
  absl::string_view hex = spec;
  size_t colon = spec.rfind(':');
  e.any_identity = colon == absl::string_view::npos;
  if (!e.any_identity) {
    e.identity = std::string(spec.substr(0, colon));
    hex = spec.substr(colon + 1);
  }
  if (absl::StartsWith(hex, "0x") || absl::StartsWith(hex, "0X")) hex.remove_prefix(2);
  bool is_hex = !hex.empty() && hex.size() % 2 == 0;
  for (char c : hex) is_hex = is_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!is_hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("--psk ", spec, ": want [IDENTITY:]HEX, the key as an even number of hex digits"));
  }
  if (hex.size() / 2 > limits_.max_key_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--psk: a key of ", hex.size() / 2, " bytes is over the limit of ",
                     limits_.max_key_bytes));
  }
  e.key = absl::HexStringToBytes(hex);
  keys_.push_back(std::move(e));
  return absl::OkStatus();
}

std::optional<std::string> PskStore::Find(absl::string_view identity) const {
  for (const Entry& e : keys_) {
    if (!e.any_identity && e.identity == identity) return e.key;
  }
  for (const Entry& e : keys_) {
    if (e.any_identity) return e.key;
  }
  return std::nullopt;
}

absl::StatusOr<PskClientKeyExchange> ParsePskClientKeyExchange(absl::string_view body,
                                                               KeyExchange kx) {
  PskClientKeyExchange out;
  absl::string_view identity;
  if (!TakeVec16(&body, &identity)) return absl::InvalidArgumentError("malformed PSK identity");
  out.identity = std::string(identity);
  if (kx == KeyExchange::kRsaPsk) {
    absl::string_view pms;
    if (!TakeVec16(&body, &pms)) {
      return absl::InvalidArgumentError("malformed RSA_PSK encrypted pre-master secret");
    }
    out.encrypted_pre_master = std::string(pms);
  }
  return out;
}

std::string PskPreMasterSecret(absl::string_view other_secret, absl::string_view psk) {
  return absl::StrCat(U16(other_secret.size()), other_secret, U16(psk.size()), psk);
}

}  // namespace tcpfollow::tls
