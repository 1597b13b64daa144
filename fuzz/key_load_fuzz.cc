// Fuzzes key loading: RsaKeyStore::AddKey on arbitrary bytes (first byte picks a password),
// ParseRsaKeySpec on the same bytes, DescribeCertificate, and FindKey against them.
#include "tls/rsa_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  tls::ParseRsaKeySpec(bytes).ok();
  tls::DescribeCertificate(bytes).ok();
  tls::RsaKeyStore store;
  absl::string_view password = size > 0 && (data[0] & 1) ? "tcpfollow" : "";
  if (store.AddKey(bytes, password).ok()) {
    std::string why;
    store.FindKey(Endpoint{}, bytes, &why);
  }
  return 0;
}
