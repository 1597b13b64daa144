// An object's MIME type from its bytes, by libmagic (Debian's libmagic1: the database file(1)
// uses), for every extracted object: HTTP/1.x and HTTP/2 bodies and form-data parts, SMTP
// attachments, FTP files. What a protocol declared (Content-Type) is kept apart by the
// callers (`declared_mime_type`, `*_declared_mime_types`).
//
// Cheap by construction (figures in bench/RESULTS.md, `bazel run --config=opt
// //protocols:mime_sniffer_benchmark`). A full libmagic call walks its whole database:
// about 1.7 M instructions for data that matches nothing and 3-8 M for text (hundreds of
// text tests scan the buffer), 0.5-2 ms an object. So, per object, once:
//   1. libmagic's encoding analysis alone (no database walk; ~26 k instructions for 1 KiB)
//      says whether the first kMimeSniffBytes are text or binary (a head under 128 bytes
//      in an 8-bit charset, not declared textual, must also read like text: short random
//      data passes libmagic's test one time in eight);
//   2. text is looked at for the shape of a structured document, as Zeek's file signatures
//      and browsers' MIME sniffing do (our own scan, a microsecond): HTML (after white
//      space, comments and an XML declaration, a tag of WHATWG's list: <!DOCTYPE html>,
//      <html, <head, <body, <script, <div, <p, ...) is text/html; JSON (one object or array,
//      strictly valid up to where the head ends) is application/json; <svg is image/svg+xml;
//      other XML (<?xml) is typed by libmagic (text/xml when it says text/plain). A declared
//      textual type that agrees
//      with the shape is kept (XHTML served as XML, JSON as JavaScript), one that does not is
//      replaced (HTML or JSON served as text/plain);
//   3. other text declared with a textual type (text/*, JSON, JavaScript, XML, message/*)
//      keeps that type: the bytes agree with it, and libmagic's text guesses (CSS as
//      assembler, JSON cut at 1 KiB as text/plain) are worse than the declaration; browsers
//      do the same (WHATWG MIME Sniffing: a declared text type is only checked for binary
//      bytes);
//   4. anything else (binary bytes, or text declared as binary or not at all) gets
//      libmagic's full MIME-type analysis of the first kMimeSniffBytes: a PNG declared
//      text/plain is image/png, a GIF named .png image/gif, HTML declared image/png
//      text/html. Weak signatures are not believed: types libmagic gives on a few bits that
//      random or structured binary data often has (a TGA header, which has no magic
//      number; a DOS .COM's first instruction; MPEG audio frame sync bits; a zlib header;
//      ...; see kWeakTypes in the .cc, found by running libmagic over random and patterned
//      bytes) are application/octet-stream unless the bytes also carry the type's strong
//      form (MZ for an executable, ID3 for MP3, ...) or the declared type is the same. So
//      is text/plain for bytes stage 1 called binary.
// One set of libmagic handles per thread (magic_t is not thread-safe), opened on the
// thread's first sniff over one read-only mapping of the compiled database shared by all
// threads. Tests switched off: looking inside compressed data (a gzip body is
// application/gzip), JSON and CSV parsing (they need the whole object), ELF details (they
// read a file descriptor), OS/2 application types, text tokens.
//
// Not done: /etc/magic (local additions) is not read, only the compiled database; when it
// cannot be loaded every call returns the declared type and counts a failure. When
// libmagic fails on an object's bytes, the declared type (application/octet-stream when
// none) is given and the failure counted. Text in
// UTF-16/32 is not looked at for a shape.
#ifndef TCPFOLLOW_PROTOCOLS_MIME_SNIFFER_H_
#define TCPFOLLOW_PROTOCOLS_MIME_SNIFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tcpfollow {

// Bytes of an object's start that decide its type: enough for the signatures of web and
// mail types (and for PDF's binary-marker comment on its second line), few enough that
// libmagic's text tests stay affordable when they run.
inline constexpr size_t kMimeSniffBytes = 1024;

struct MimeSniffStats {
  uint64_t sniffed = 0;        // objects typed by libmagic's full analysis
  uint64_t text_declared = 0;  // text declared textual: the declared type kept
  uint64_t text_shape = 0;     // text typed by its shape (HTML, JSON) without libmagic
  uint64_t weak = 0;           // of `sniffed`: a weak signature, application/octet-stream given
  uint64_t failed = 0;         // libmagic unavailable or in error: the declared type kept
  uint64_t nanoseconds = 0;    // spent sniffing (steady clock), thread start-up included

  MimeSniffStats& operator+=(const MimeSniffStats& o) {
    sniffed += o.sniffed;
    text_declared += o.text_declared;
    text_shape += o.text_shape;
    weak += o.weak;
    failed += o.failed;
    nanoseconds += o.nanoseconds;
    return *this;
  }
  nlohmann::json ToJson() const;
};

// The MIME type of an object that starts with `head` (only its first kMimeSniffBytes are
// looked at) and was declared `declared` (NormalizeMimeType'd, may be empty): see above.
// "" for an empty head. `stats` may be null.
std::string SniffMimeType(absl::string_view head, absl::string_view declared,
                          MimeSniffStats* stats);

// The type of `declared` for records: "type/subtype" in lower case, without parameters,
// whitespace, or anything past the subtype's token characters ("Text/HTML.; charset=x" ->
// "text/html"); "" when `declared` holds no type/subtype.
std::string NormalizeMimeType(absl::string_view declared);

// Whether a (normalised) type names text: text/*, message/*, JSON, JavaScript, XML, forms.
bool IsTextualMimeType(absl::string_view type);

// The structure text starts with (stage 2 above), from its first bytes; exposed for tests.
enum class TextShape { kNone, kHtml, kXml, kSvg, kJson };
TextShape ShapeOfText(absl::string_view head);

// What the sniffer of this thread could not do, for messages ("" when it works): libmagic's
// own error on opening its database.
std::string MimeSnifferError();

// An object's start, held until its first kMimeSniffBytes are known so that the type sniffed
// from them does not depend on how its bytes were split (the callers begin the object then,
// or at its end or first hole with what there is).
class SniffHead {
 public:
  // Takes the object's next bytes: false while they are all held; true once the head is
  // complete, `*bytes` then cut to what follows it. The object's bytes are held() then those.
  bool Take(absl::string_view* bytes) {
    absl::string_view more = bytes->substr(0, kMimeSniffBytes - held_.size());
    held_.append(more.data(), more.size());
    bytes->remove_prefix(more.size());
    return held_.size() >= kMimeSniffBytes;
  }
  const std::string& held() const { return held_; }
  void Clear() { std::string().swap(held_); }

 private:
  std::string held_;  // never more than kMimeSniffBytes
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_MIME_SNIFFER_H_
