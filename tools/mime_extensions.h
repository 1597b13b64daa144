// The file-name extension an extracted object gets from its MIME type when its name has
// none (a body fetched from "/", a MIME text part without a filename): text/plain ->
// "txt", text/html -> "html", application/pdf -> "pdf", message/rfc822 -> "eml", ...
//
// A built-in table of the common types comes first, so that the names of everyday objects
// are the same on every machine; types it does not know are looked up in the system's
// /etc/mime.types (Debian's media-types package: the first extension listed for a type)
// when that file exists. Parameters ("; charset=...") and case are ignored. An extension
// is only ever [a-z0-9+-], at most 10 bytes: a hostile mime.types line cannot put a '/'
// or a dot into a file name. Does not sniff content: the type is the caller's.
#ifndef TCPFOLLOW_TOOLS_MIME_EXTENSIONS_H_
#define TCPFOLLOW_TOOLS_MIME_EXTENSIONS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace tcpfollow {

class MimeExtensions {
 public:
  // The built-in table plus `mime_types_path` (a mime.types file; missing or unreadable:
  // the built-in table alone).
  explicit MimeExtensions(const std::string& mime_types_path);

  // The built-in table plus /etc/mime.types, read once per process.
  static const MimeExtensions& System();

  // The extension without its dot, "" when the type is unknown or empty.
  std::string For(absl::string_view mime_type) const;
  // Types read from the mime.types file (for tests and the curious).
  size_t file_types() const { return file_types_; }

 private:
  absl::flat_hash_map<std::string, std::string> from_file_;
  size_t file_types_ = 0;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_MIME_EXTENSIONS_H_
