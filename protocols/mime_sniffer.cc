// Implementation notes: the compiled database (magic.mgc, 8 MB) is mapped once per process,
// read-only, and every thread's handles are loaded from that mapping with
// magic_load_buffers (libmagic uses the buffer in place when its byte order is the host's,
// which the header check below ensures), so pages are shared and only those the walks touch
// are resident. If the mapping fails, each handle falls back to magic_load.
#include "protocols/mime_sniffer.h"

#include <fcntl.h>
#include <magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace tcpfollow {
namespace {

constexpr int kNoCostlyTests = MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_JSON |
                               MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_TOKENS;
// Stage 1: the charset of text, or "binary"; no database walk.
constexpr int kEncodingFlags = MAGIC_MIME_ENCODING | MAGIC_NO_CHECK_SOFT | MAGIC_NO_CHECK_TEXT |
                               MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF | kNoCostlyTests;
// Stage 3: the MIME type. Tar and CDF (old Office documents) stay: they reject other data
// after a few bytes.
constexpr int kTypeFlags = MAGIC_MIME_TYPE | kNoCostlyTests;

constexpr uint32_t kMgcMagic = 0xF11E041C;  // first word of a compiled database

// The compiled database, mapped once for the whole process (never unmapped).
struct Database {
  void* data = nullptr;
  size_t size = 0;
};

const Database& SharedDatabase() {
  static const Database db = [] {
    Database d;
    const char* path = magic_getpath(nullptr, 0);  // "/etc/magic:/usr/share/misc/magic"
    for (absl::string_view p : absl::StrSplit(path != nullptr ? path : "", ':')) {
      std::string file(p);
      if (!absl::EndsWith(file, ".mgc")) file += ".mgc";
      int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st;
      void* m = MAP_FAILED;
      if (fstat(fd, &st) == 0 && st.st_size >= 8) {
        m = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      }
      close(fd);
      if (m == MAP_FAILED) continue;
      uint32_t magic;
      std::memcpy(&magic, m, sizeof(magic));
      if (magic != kMgcMagic) {  // other byte order: libmagic would swap it in place
        munmap(m, st.st_size);
        continue;
      }
      d.data = m;
      d.size = st.st_size;
      break;
    }
    return d;
  }();
  return db;
}

magic_t Open(int flags, std::string* error) {
  magic_t m = magic_open(flags);
  if (m == nullptr) {
    *error = "magic_open failed";
    return nullptr;
  }
  const Database& db = SharedDatabase();
  void* buffers[] = {db.data};
  size_t sizes[] = {db.size};
  int rc = db.data != nullptr ? magic_load_buffers(m, buffers, sizes, 1) : -1;
  if (rc != 0) rc = magic_load(m, nullptr);
  if (rc != 0) {
    const char* e = magic_error(m);
    *error = std::string("libmagic: ") + (e != nullptr ? e : "no database");
    magic_close(m);
    return nullptr;
  }
  size_t bytes = kMimeSniffBytes;
  magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes);
  return m;
}

class ThreadMagic {
 public:
  ThreadMagic() {
    encoding_ = Open(kEncodingFlags, &error_);
    if (encoding_ != nullptr) type_ = Open(kTypeFlags, &error_);
  }
  ~ThreadMagic() {
    if (encoding_ != nullptr) magic_close(encoding_);
    if (type_ != nullptr) magic_close(type_);
  }
  ThreadMagic(const ThreadMagic&) = delete;
  ThreadMagic& operator=(const ThreadMagic&) = delete;

  bool ok() const { return encoding_ != nullptr && type_ != nullptr; }
  magic_t encoding() const { return encoding_; }
  magic_t type() const { return type_; }
  const std::string& error() const { return error_; }

 private:
  magic_t encoding_ = nullptr;
  magic_t type_ = nullptr;
  std::string error_;
};

ThreadMagic& ForThisThread() {
  thread_local ThreadMagic magic;
  return magic;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// The token at the start of `s` without trailing dots ("html." -> "html").
absl::string_view Token(absl::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  s = s.substr(0, n);
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------------------
// Weak signatures: MIME types libmagic gives for a few bits that random or patterned binary
// data (compressed or encrypted transfers, arrays of numbers) often has. Found by running
// libmagic (file 5.44's database, the flags above) over 20,000 random buffers of 16 B to
// 1 KiB and over ramps, counters, floats and a byte followed by zeros: each type below came
// out of such data (a ramp 00 01 02 ... is a TGA image, 1 in 120 random buffers a DOS
// .COM executable). `strong`: starts that do make the type (an MZ executable, an MP3 with
// an ID3 tag, a gzip stream that uses deflate), `confirms` another (two MPEG frames in a
// row); a type without either is never believed from the bytes alone. mime_sniffer_test runs such data through SniffMimeType.
// The length of the MPEG audio frame whose header starts `h`, or 0 when `h` starts no valid
// header (sync, version, layer, bit rate and sample rate all valid).
size_t MpegFrameLength(absl::string_view h) {
  if (h.size() < 4) return 0;
  const auto b = [&](size_t i) { return static_cast<unsigned char>(h[i]); };
  if (b(0) != 0xff || (b(1) & 0xe0) != 0xe0) return 0;
  const int version = (b(1) >> 3) & 3;  // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
  const int layer = 4 - ((b(1) >> 1) & 3);  // 4: reserved
  const int rate = b(2) >> 4, sample = (b(2) >> 2) & 3, pad = (b(2) >> 1) & 1;
  if (version == 1 || layer == 4 || rate == 0 || rate == 15 || sample == 3) return 0;
  static constexpr int kKbps[5][15] = {
      {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},  // V1 L1
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},     // V1 L2
      {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},      // V1 L3
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},     // V2 L1
      {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},          // V2 L2, L3
  };
  static constexpr int kHz[3][3] = {{11025, 12000, 8000}, {22050, 24000, 16000},
                                    {44100, 48000, 32000}};
  const bool v1 = version == 3;
  const int bps = 1000 * kKbps[v1 ? layer - 1 : (layer == 1 ? 3 : 4)][rate];
  const int hz = kHz[version == 0 ? 0 : version - 1][sample];
  if (layer == 1) return static_cast<size_t>((12 * bps / hz + pad) * 4);
  return static_cast<size_t>((layer == 3 && !v1 ? 72 : 144) * bps / hz + pad);
}

// MPEG audio without an ID3 tag, as browsers sniff it (WHATWG MIME Sniffing, "MP3 without
// ID3"): a frame header, and another of the same stream where the first frame ends.
bool TwoMpegFrames(absl::string_view head) {
  const size_t n = MpegFrameLength(head);
  return n >= 4 && n + 4 <= head.size() && MpegFrameLength(head.substr(n)) > 0 &&
         (head[1] & 0xfe) == (head[n + 1] & 0xfe) && (head[2] & 0x0c) == (head[n + 2] & 0x0c);
}

struct WeakType {
  absl::string_view type;
  absl::string_view strong[2];                         // empty: none
  bool (*confirms)(absl::string_view head) = nullptr;  // another strong form
};

const WeakType kWeakTypes[] = {
    {"image/x-tga", {}},                          // no magic number: a few header fields
    {"application/x-dosexec", {"MZ", "ZM"}},      // else a .COM by its first instruction
    {"audio/mpeg", {"ID3"}, TwoMpegFrames},       // else 11 frame-sync bits
    {"audio/x-hx-aac-adts", {}},                  // 12 sync bits
    {"audio/x-mp4a-latm", {}},                    // 11 sync bits
    {"audio/x-syx", {}},                          // F0 ... F7
    {"audio/vnd.dolby.dd-raw", {}},               // 0B 77
    {"application/zlib", {}},                     // 2 bytes with a check of 5 bits
    {"application/x-compress", {}},               // 1F 9D and a flags byte
    {"application/gzip", {"\x1f\x8b\x08"}},       // else a reserved method
    {"application/postscript", {"%!PS"}},         // else "%!"
    {"application/x-cpio", {"07070"}},            // else a 2-byte binary magic
    {"application/x-lzma", {}},                   // a properties byte and zeros
    {"application/x-arc", {}},                    // 1A and a method byte
    {"application/x-ibm-dsk", {}},                // 2 bytes
    {"application/x-ibm-rom", {}},                // 55 AA and a size byte
    {"application/vnd.hp-hpgl", {}},              // "NP" / "IN" and a byte
    {"application/x-commodore-basic", {}},        // a load address and a link
    {"application/x-compress-ttcomp", {}},        // 00 and 04-06
    {"application/x-adobe-aco", {}},              // 00 00 and a count
    {"application/marc", {}},                     // five digits' worth of checks
    {"font/x-amiga-font", {}},                    // 0F 00
    {"image/x-award-bioslogo", {}},               // two size bytes
    {"image/x-sony-tim", {}},                     // 10 00 00 00 and a mode byte
    {"text/pgp", {}},                             // a packet tag byte
};

// Whether libmagic's `type` for `head` is only a weak guess (see kWeakTypes); a type the
// protocol declared too stands.
bool IsWeak(absl::string_view type, absl::string_view head, absl::string_view declared) {
  if (type == declared) return false;
  for (const WeakType& w : kWeakTypes) {
    if (w.type != type) continue;
    for (absl::string_view start : w.strong) {
      if (!start.empty() && absl::StartsWith(head, start)) return false;
    }
    return w.confirms == nullptr || !w.confirms(head);
  }
  return false;
}

// Text by libmagic's encoding test only because a short head happens to hold no control
// bytes: random data of 16 bytes passes for 8-bit text one time in eight (libmagic calls
// it "Non-ISO extended-ASCII" or "ISO-8859"; now and then even UTF-8), 64 bytes one in
// 3,000, 128 bytes one in ten million. So a head under 128 bytes that is not ASCII counts
// as text only when 3/4 of its characters are ASCII letters, digits, white space or (in
// UTF-8) other scripts' characters, as short text is. Short text in 8-bit charsets of
// non-Latin scripts (KOI8-R, Shift_JIS, ...) is then application/octet-stream.
bool ShortRandomText(absl::string_view head, absl::string_view charset) {
  constexpr size_t kShort = 128;
  if (head.size() >= kShort || charset == "us-ascii") return false;
  const bool utf8 = charset == "utf-8";
  size_t chars = 0, plain = 0;
  for (char ch : head) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (utf8 && (c & 0xc0) == 0x80) continue;  // inside a character
    ++chars;
    if (absl::ascii_isalnum(c) || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
        (utf8 && c >= 0xc0)) {
      ++plain;
    }
  }
  return plain * 4 < chars * 3;
}

// ---------------------------------------------------------------------------------------
// Text shapes (stage 2).

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

absl::string_view SkipSpace(absl::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

// WHATWG MIME Sniffing's HTML patterns ("identifying a resource with an unknown MIME
// type"), without "<!--" (comments are skipped first, as Zeek's signatures do: an SVG or an
// XML document may start with one), each to be followed by white space or '>'.
constexpr absl::string_view kHtmlTags[] = {"!doctype html", "html",  "head", "script", "iframe",
                                           "h1",            "div",   "font", "table",  "a",
                                           "style",         "title", "b",    "body",   "br",
                                           "p"};

bool TagAt(absl::string_view s, absl::string_view tag) {
  return s.size() > tag.size() + 1 && s[0] == '<' &&
         absl::StartsWithIgnoreCase(s.substr(1), tag) &&
         (IsSpace(s[tag.size() + 1]) || s[tag.size() + 1] == '>');
}

// One JSON object or array, valid up to the end of `s` (where a head may cut it) and
// nothing but white space after it. Deeper than kMaxDepth: valid so far is enough.
bool LooksLikeJson(absl::string_view s) {
  constexpr size_t kMaxDepth = 64;
  char open[kMaxDepth];
  size_t depth = 0;
  enum class Want { kValue, kValueOrClose, kKeyOrClose, kKey, kColon, kCommaOrClose };
  Want want = Want::kValue;
  size_t i = 0;
  auto space = [&] {
    while (i < s.size() && IsSpace(s[i])) ++i;
  };
  // A string from its opening quote; false when invalid. At the end of `s`: valid so far.
  auto string = [&] {
    for (++i; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        ++i;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i >= s.size()) return true;
        if (s[i] == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i >= s.size()) return true;
            if (!absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) return false;
          }
        } else if (absl::string_view("\"\\/bfnrt").find(s[i]) == absl::string_view::npos) {
          return false;
        }
      }
    }
    return true;
  };
  space();
  if (i >= s.size() || (s[i] != '{' && s[i] != '[')) return false;
  while (true) {
    space();
    if (i >= s.size()) return true;  // the head ends inside: valid so far
    const char c = s[i];
    switch (want) {
      case Want::kValueOrClose:
      case Want::kValue:
        if (want == Want::kValueOrClose && c == ']') {
          --depth;
          ++i;
          want = Want::kCommaOrClose;
        } else if (c == '{' || c == '[') {
          if (depth == kMaxDepth) return true;
          open[depth++] = c;
          ++i;
          want = c == '{' ? Want::kKeyOrClose : Want::kValueOrClose;
        } else if (c == '"') {
          if (!string()) return false;
          want = Want::kCommaOrClose;
        } else if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) {
          // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, possibly cut at the end.
          size_t j = i + (c == '-' ? 1 : 0);
          auto digits = [&] {
            const size_t from = j;
            while (j < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[j]))) ++j;
            return j > from || j == s.size();
          };
          if (j < s.size() && s[j] == '0') {
            ++j;
          } else if (!digits()) {
            return false;
          }
          if (j < s.size() && s[j] == '.') {
            ++j;
            if (!digits()) return false;
          }
          if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
            ++j;
            if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
            if (!digits()) return false;
          }
          i = j;
          want = Want::kCommaOrClose;
        } else {
          bool word = false;
          for (absl::string_view w : {"true", "false", "null"}) {
            absl::string_view have = s.substr(i, w.size());
            if (absl::StartsWith(w, have) && !have.empty()) {
              i += have.size();
              word = true;
              break;
            }
          }
          if (!word) return false;
          want = Want::kCommaOrClose;
        }
        break;
      case Want::kKeyOrClose:
      case Want::kKey:
        if (want == Want::kKeyOrClose && c == '}') {
          --depth;
          ++i;
          want = Want::kCommaOrClose;
        } else if (c == '"') {
          if (!string()) return false;
          want = Want::kColon;
        } else {
          return false;
        }
        break;
      case Want::kColon:
        if (c != ':') return false;
        ++i;
        want = Want::kValue;
        break;
      case Want::kCommaOrClose:
        if (c == ',') {
          ++i;
          want = open[depth - 1] == '{' ? Want::kKey : Want::kValue;
        } else if (c == (open[depth - 1] == '{' ? '}' : ']')) {
          --depth;
          ++i;
        } else {
          return false;
        }
        break;
    }
    if (depth == 0 && i > 0) {  // a closing bracket ended the outermost value
      space();
      return i == s.size();
    }
  }
}

bool IsHtmlType(absl::string_view t) { return t == "text/html" || t == "application/xhtml+xml"; }
bool IsXmlType(absl::string_view t) {
  return t == "text/xml" || t == "application/xml" || absl::EndsWith(t, "+xml");
}
bool IsJsonType(absl::string_view t) {
  return t == "application/json" || t == "text/json" || absl::EndsWith(t, "+json");
}
bool IsScriptType(absl::string_view t) {
  return absl::EndsWith(t, "/javascript") || absl::EndsWith(t, "/x-javascript") ||
         absl::EndsWith(t, "/ecmascript");
}

// Whether a declared (textual) type is one a text of `shape` may be served as.
bool Agrees(absl::string_view declared, TextShape shape) {
  switch (shape) {
    case TextShape::kNone: return true;
    case TextShape::kHtml:
    case TextShape::kXml:
    case TextShape::kSvg: return IsHtmlType(declared) || IsXmlType(declared);
    case TextShape::kJson: return IsJsonType(declared) || IsScriptType(declared);
  }
  return true;
}

}  // namespace

TextShape ShapeOfText(absl::string_view s) {
  if (absl::StartsWith(s, "\xef\xbb\xbf")) s.remove_prefix(3);  // UTF-8 BOM
  if (LooksLikeJson(s)) return TextShape::kJson;
  // White space, comments and one XML declaration, then the first tag.
  bool xml = false;
  while (true) {
    s = SkipSpace(s);
    if (absl::StartsWith(s, "<!--")) {
      const size_t end = s.find("-->", 4);
      if (end == absl::string_view::npos) return TextShape::kNone;  // the head ends in it
      s.remove_prefix(end + 3);
    } else if (!xml && TagAt(s, "?xml")) {
      const size_t end = s.find("?>");
      if (end == absl::string_view::npos) return TextShape::kXml;
      xml = true;
      s.remove_prefix(end + 2);
    } else {
      break;
    }
  }
  for (absl::string_view tag : kHtmlTags) {
    if (TagAt(s, tag)) return TextShape::kHtml;
  }
  if (TagAt(s, "svg")) return TextShape::kSvg;
  if (xml) return TextShape::kXml;
  return TextShape::kNone;
}

nlohmann::json MimeSniffStats::ToJson() const {
  return {{"sniffed", sniffed},         {"text_declared", text_declared},
          {"text_shape", text_shape},   {"weak", weak},
          {"failed", failed},           {"nanoseconds", nanoseconds}};
}

bool IsTextualMimeType(absl::string_view t) {
  if (absl::StartsWith(t, "text/") || absl::StartsWith(t, "message/") ||
      absl::EndsWith(t, "+xml") || absl::EndsWith(t, "+json")) {
    return true;
  }
  for (absl::string_view known :
       {"application/json", "application/javascript", "application/x-javascript",
        "application/ecmascript", "application/xml", "application/x-www-form-urlencoded"}) {
    if (t == known) return true;
  }
  return false;
}

std::string SniffMimeType(absl::string_view head, absl::string_view declared,
                          MimeSniffStats* stats) {
  if (head.empty()) return "";
  const auto start = std::chrono::steady_clock::now();
  head = head.substr(0, kMimeSniffBytes);
  ThreadMagic& magic = ForThisThread();
  std::string out;
  uint64_t* counter = nullptr;
  if (!magic.ok()) {
    out = std::string(declared);
    if (stats != nullptr) counter = &stats->failed;
  } else {
    const char* charset = magic_buffer(magic.encoding(), head.data(), head.size());
    const bool textual = IsTextualMimeType(declared);
    // Short 8-bit "text" declared as text is believed; declared otherwise, only when it
    // reads like text.
    const bool text = charset != nullptr && std::strcmp(charset, "binary") != 0 &&
                      (textual || !ShortRandomText(head, charset));
    const TextShape shape = text ? ShapeOfText(head) : TextShape::kNone;
    if (text && textual && Agrees(declared, shape)) {
      out = std::string(declared);
      if (stats != nullptr) counter = &stats->text_declared;
    } else if (shape == TextShape::kHtml || shape == TextShape::kJson ||
               shape == TextShape::kSvg) {
      out = shape == TextShape::kHtml   ? "text/html"
            : shape == TextShape::kJson ? "application/json"
                                        : "image/svg+xml";
      if (stats != nullptr) counter = &stats->text_shape;
    } else {
      const char* type = magic_buffer(magic.type(), head.data(), head.size());
      out = type != nullptr ? NormalizeMimeType(type) : "";
      if (stats != nullptr) counter = &stats->sniffed;
      if (out.empty()) {
        // libmagic in error on these bytes (it fails on some UTF-32-looking heads).
        out = declared.empty() ? "application/octet-stream" : std::string(declared);
        if (stats != nullptr) counter = &stats->failed;
      } else if (shape == TextShape::kXml && out == "text/plain") {
        out = "text/xml";  // libmagic knows no more (a comment before the root, ...)
      } else if (IsWeak(out, head, declared) || (!text && out == "text/plain")) {
        // A weak signature, or text by libmagic's type tests for bytes its encoding test
        // called binary (short random data): nothing says what it is.
        out = text ? "text/plain" : "application/octet-stream";
        if (stats != nullptr) ++stats->weak;
      }
    }
  }
  if (stats != nullptr) {
    ++*counter;
    stats->nanoseconds +=
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count());
  }
  return out;
}

std::string NormalizeMimeType(absl::string_view declared) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(declared);
  absl::string_view type = Token(s);
  if (type.empty() || type.size() >= s.size()) return "";
  s.remove_prefix(type.size());
  if (s.empty() || s.front() != '/') return "";
  absl::string_view subtype = Token(s.substr(1));
  if (subtype.empty()) return "";
  std::string out(type);
  out.push_back('/');
  out.append(subtype.data(), subtype.size());
  absl::AsciiStrToLower(&out);
  return out;
}

std::string MimeSnifferError() { return ForThisThread().error(); }

}  // namespace tcpfollow
