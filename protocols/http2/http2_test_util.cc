#include "protocols/http2/http2_test_util.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdlib>

namespace tcpfollow::h2test {
namespace {

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

}  // namespace

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, absl::string_view payload) {
  std::string f;
  size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f += Be32(stream);
  f.append(payload.data(), payload.size());
  return f;
}

std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& s, bool ack) {
  std::string p;
  for (const auto& [id, v] : s) {
    p.push_back(static_cast<char>(id >> 8));
    p.push_back(static_cast<char>(id));
    p += Be32(v);
  }
  return Frame(4, ack ? 1 : 0, 0, p);
}

std::string Data(uint32_t stream, absl::string_view data, bool end_stream, uint8_t pad) {
  if (pad == 0) return Frame(0, end_stream ? 1 : 0, stream, data);
  std::string p(1, static_cast<char>(pad));
  p.append(data.data(), data.size());
  p.append(pad, '\0');
  return Frame(0, (end_stream ? 1 : 0) | 8, stream, p);
}

std::string RstStream(uint32_t stream, uint32_t code) { return Frame(3, 0, stream, Be32(code)); }
std::string GoAway(uint32_t last, uint32_t code) { return Frame(7, 0, 0, Be32(last) + Be32(code)); }
std::string Ping() { return Frame(6, 0, 0, std::string(8, 'p')); }
std::string WindowUpdate(uint32_t stream, uint32_t inc) { return Frame(8, 0, stream, Be32(inc)); }

std::string DataFrames(uint32_t stream, absl::string_view data, size_t frame, bool end_stream) {
  std::string out;
  if (data.empty()) return Data(stream, "", end_stream);
  for (size_t pos = 0; pos < data.size(); pos += frame) {
    bool last = pos + frame >= data.size();
    out += Data(stream, data.substr(pos, frame), last && end_stream);
  }
  return out;
}

Encoder::Encoder(size_t table_size) {
  if (nghttp2_hd_deflate_new(&d_, table_size) != 0) std::abort();
}

Encoder::~Encoder() { nghttp2_hd_deflate_del(d_); }

void Encoder::ChangeTableSize(size_t n) {
  if (nghttp2_hd_deflate_change_table_size(d_, n) != 0) std::abort();
}

std::string Encoder::Block(const Fields& fields) {
  std::vector<nghttp2_nv> nva;
  for (const auto& f : fields) {
    nghttp2_nv nv;
    nv.name = reinterpret_cast<uint8_t*>(const_cast<char*>(f.first.data()));
    nv.namelen = f.first.size();
    nv.value = reinterpret_cast<uint8_t*>(const_cast<char*>(f.second.data()));
    nv.valuelen = f.second.size();
    nv.flags = NGHTTP2_NV_FLAG_NONE;
    nva.push_back(nv);
  }
  std::string out(nghttp2_hd_deflate_bound(d_, nva.data(), nva.size()), '\0');
  ssize_t n = nghttp2_hd_deflate_hd(d_, reinterpret_cast<uint8_t*>(&out[0]), out.size(),
                                    nva.data(), nva.size());
  if (n < 0) std::abort();
  out.resize(n);
  return out;
}

std::string Encoder::Headers(uint32_t stream, const Fields& fields, bool end_stream,
                             size_t fragment, uint8_t pad, bool priority) {
  std::string block = Block(fields);
  std::string first = fragment == 0 ? block : block.substr(0, fragment);
  std::string rest = fragment == 0 ? "" : block.substr(std::min(fragment, block.size()));
  uint8_t flags = (end_stream ? 1 : 0) | (rest.empty() ? 4 : 0);
  std::string p;
  if (pad) {
    flags |= 8;
    p.push_back(static_cast<char>(pad));
  }
  if (priority) {
    flags |= 0x20;
    p += Be32(3);
    p.push_back(static_cast<char>(15));
  }
  p += first;
  p.append(pad, '\0');
  std::string out = Frame(1, flags, stream, p);
  while (!rest.empty()) {
    std::string part = rest.substr(0, fragment);
    rest.erase(0, part.size());
    out += Frame(9, rest.empty() ? 4 : 0, stream, part);
  }
  return out;
}

std::string Encoder::PushPromise(uint32_t stream, uint32_t promised, const Fields& fields) {
  return Frame(5, 4, stream, Be32(promised) + Block(fields));
}

}  // namespace tcpfollow::h2test
