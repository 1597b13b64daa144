#include "tools/mime_extensions.h"

#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tcpfollow {
namespace {

struct Entry {
  const char* type;
  const char* ext;
};

// The types objects usually have, with the extension users expect (jpg, not mime.types'
// first choice jpeg). Looked up before the system's file.
constexpr Entry kBuiltIn[] = {
    {"text/plain", "txt"},
    {"text/html", "html"},
    {"text/css", "css"},
    {"text/csv", "csv"},
    {"text/xml", "xml"},
    {"text/javascript", "js"},
    {"text/markdown", "md"},
    {"text/calendar", "ics"},
    {"text/vcard", "vcf"},
    {"text/x-vcard", "vcf"},
    {"text/rtf", "rtf"},
    {"application/javascript", "js"},
    {"application/x-javascript", "js"},
    {"application/json", "json"},
    {"application/xml", "xml"},
    {"application/xhtml+xml", "xhtml"},
    {"application/rss+xml", "rss"},
    {"application/atom+xml", "atom"},
    {"application/pdf", "pdf"},
    {"application/rtf", "rtf"},
    {"application/postscript", "ps"},
    {"application/zip", "zip"},
    {"application/x-zip-compressed", "zip"},
    {"application/gzip", "gz"},
    {"application/x-gzip", "gz"},
    {"application/x-bzip2", "bz2"},
    {"application/x-xz", "xz"},
    {"application/zstd", "zst"},
    {"application/x-7z-compressed", "7z"},
    {"application/x-rar-compressed", "rar"},
    {"application/vnd.rar", "rar"},
    {"application/x-tar", "tar"},
    {"application/octet-stream", "bin"},
    {"application/x-dosexec", "exe"},
    {"application/x-msdownload", "exe"},
    {"application/x-executable", "elf"},
    {"application/x-sharedlib", "so"},
    {"application/x-sh", "sh"},
    {"application/java-archive", "jar"},
    {"application/vnd.android.package-archive", "apk"},
    {"application/wasm", "wasm"},
    {"application/msword", "doc"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"application/pkcs7-signature", "p7s"},
    {"application/pkcs7-mime", "p7m"},
    {"application/x-pkcs7-signature", "p7s"},
    {"application/pgp-signature", "asc"},
    {"application/pgp-encrypted", "pgp"},
    {"application/x-x509-ca-cert", "crt"},
    {"application/pkix-cert", "cer"},
    {"application/ms-tnef", "tnef"},
    {"application/vnd.ms-tnef", "tnef"},
    {"application/ics", "ics"},
    {"application/x-shockwave-flash", "swf"},
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
    {"image/pjpeg", "jpg"},
    {"image/gif", "gif"},
    {"image/webp", "webp"},
    {"image/avif", "avif"},
    {"image/svg+xml", "svg"},
    {"image/bmp", "bmp"},
    {"image/x-ms-bmp", "bmp"},
    {"image/tiff", "tiff"},
    {"image/x-icon", "ico"},
    {"image/vnd.microsoft.icon", "ico"},
    {"audio/mpeg", "mp3"},
    {"audio/ogg", "ogg"},
    {"audio/wav", "wav"},
    {"audio/x-wav", "wav"},
    {"video/mp4", "mp4"},
    {"video/webm", "webm"},
    {"video/mpeg", "mpeg"},
    {"video/quicktime", "mov"},
    {"font/woff", "woff"},
    {"font/woff2", "woff2"},
    {"font/ttf", "ttf"},
    {"font/otf", "otf"},
    {"message/rfc822", "eml"},
    {"message/global", "eml"},
    {"message/delivery-status", "txt"},
    {"message/disposition-notification", "txt"},
};

// "Text/HTML; charset=UTF-8" -> "text/html"
std::string Bare(absl::string_view mime_type) {
  absl::string_view t = mime_type.substr(0, mime_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t));
}

bool SafeExtension(absl::string_view ext) {
  if (ext.empty() || ext.size() > 10) return false;
  for (char c : ext) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '+' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

MimeExtensions::MimeExtensions(const std::string& mime_types_path) {
  std::ifstream in(mime_types_path);
  std::string line;
  constexpr size_t kMaxTypes = 1 << 16;  // /etc/mime.types has ~2,000
  while (from_file_.size() < kMaxTypes && std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l.front() == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() < 2) continue;  // a type with no extension
    std::string type = Bare(words[0]);
    std::string ext = absl::AsciiStrToLower(words[1]);
    if (type.find('/') == std::string::npos || !SafeExtension(ext)) continue;
    if (from_file_.emplace(std::move(type), std::move(ext)).second) ++file_types_;
  }
}

const MimeExtensions& MimeExtensions::System() {
  static const MimeExtensions* system = new MimeExtensions("/etc/mime.types");
  return *system;
}

std::string MimeExtensions::For(absl::string_view mime_type) const {
  const std::string type = Bare(mime_type);
  if (type.empty()) return "";
  for (const Entry& e : kBuiltIn) {
    if (type == e.type) return e.ext;
  }
  auto it = from_file_.find(type);
  if (it != from_file_.end()) return it->second;
  // Families the table does not list by name.
  if (absl::StartsWith(type, "text/")) return "txt";
  if (absl::EndsWith(type, "+xml")) return "xml";
  if (absl::EndsWith(type, "+json")) return "json";
  return "";
}

}  // namespace tcpfollow
