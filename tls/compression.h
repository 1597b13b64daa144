// TLS record compression (RFC 3749, method 1 = DEFLATE): one zlib stream per direction and
// epoch, each record flushed with Z_SYNC_FLUSH. Output per record is capped (RFC 5246 6.2.2:
// a compressed record expands to at most 2^14 bytes; larger is an error).
#ifndef TCPFOLLOW_TLS_COMPRESSION_H_
#define TCPFOLLOW_TLS_COMPRESSION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tcpfollow::tls {

class RecordInflater {
 public:
  RecordInflater();
  ~RecordInflater();
  RecordInflater(const RecordInflater&) = delete;
  RecordInflater& operator=(const RecordInflater&) = delete;
  // Decompresses one record's content into *out (replaced); at most `max_out` bytes.
  absl::Status Inflate(absl::string_view in, std::string* out, size_t max_out = 16384 + 1024);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_COMPRESSION_H_
