// zlib-backed record decompression; see compression.h.
#include "tls/compression.h"

#include <zlib.h>

namespace tcpfollow::tls {

struct RecordInflater::State {
  z_stream z{};
  bool ok = false;
  bool failed = false;
};

RecordInflater::RecordInflater() : state_(std::make_unique<State>()) {
  state_->ok = inflateInit(&state_->z) == Z_OK;
}

RecordInflater::~RecordInflater() {
  if (state_->ok) inflateEnd(&state_->z);
}

absl::Status RecordInflater::Inflate(absl::string_view in, std::string* out, size_t max_out) {
  if (!state_->ok || state_->failed) return absl::DataLossError("decompression failed earlier");
  out->resize(max_out + 1);
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  int rc = inflate(&z, Z_SYNC_FLUSH);
  size_t produced = out->size() - z.avail_out;
  out->resize(produced);
  if ((rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) || z.avail_in != 0 ||
      produced > max_out) {
    state_->failed = true;
    return absl::DataLossError("bad compressed TLS record");
  }
  return absl::OkStatus();
}

}  // namespace tcpfollow::tls
