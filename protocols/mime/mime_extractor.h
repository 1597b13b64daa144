// MimeExtractor: parses one complete mail message (RFC 5322 + MIME) with GMime and returns
// the header fields mail logs need (From, To, Cc, Subject, Date, Message-ID, ...) and every
// leaf part (attachments and inline bodies) decoded from its transfer encoding (base64,
// quoted-printable, uuencode). GMime and glib stay inside the .cc: callers see only
// std::string values, all of them valid UTF-8 except part contents.
//
// Bounded: messages above MimeLimits::max_message_bytes are refused (the caller still keeps
// the raw .eml), messages with more Content-Type lines than
// max_content_type_lines are refused before GMime sees them (its parser recurses once per level),
// parts beyond max_parts are dropped, part contents beyond max_part_bytes are truncated,
// header values are cut at max_header_value_bytes. Each cut is counted in MimeStats.
// Not done: S/MIME, TNEF, charset conversion of part contents (bytes are as decoded).
#ifndef TCPFOLLOW_PROTOCOLS_MIME_MIME_EXTRACTOR_H_
#define TCPFOLLOW_PROTOCOLS_MIME_MIME_EXTRACTOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "protocols/text_util.h"

namespace tcpfollow {

struct MimeLimits {
  size_t max_message_bytes = 32u << 20;
  // Lines starting "Content-Type:" allowed in a message: every nesting level needs one,
  // and GMime's parser recurses once per level, so this bounds its stack depth.
  size_t max_content_type_lines = 1000;
  size_t max_parts = 1000;
  size_t max_part_bytes = 32u << 20;
  size_t max_header_value_bytes = 8192;
  size_t max_address_count = 500;  // To/Cc entries kept
  size_t max_received = 50;        // Received headers kept
};

struct MimeStats {
  uint64_t messages = 0;            // Extract() calls
  uint64_t parsed = 0;              // messages GMime parsed
  uint64_t too_large = 0;
  uint64_t too_nested = 0;
  uint64_t parse_failures = 0;
  uint64_t parts = 0;               // parts returned
  uint64_t parts_dropped = 0;       // over max_parts
  uint64_t parts_truncated = 0;     // over max_part_bytes
  uint64_t values_truncated = 0;    // header values or address lists cut
};

struct MimeHeaders {
  std::string from;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string reply_to;
  std::string subject;  // RFC 2047 encoded words decoded
  std::string date;     // as written
  std::string message_id;
  std::string in_reply_to;
  std::string user_agent;  // User-Agent or X-Mailer
  std::string x_originating_ip;
  std::vector<std::string> received;  // in header order (newest first)
};

struct MimePart {
  std::string filename;     // Content-Disposition / Content-Type name (RFC 2231 decoded)
  std::string mime_type;    // "type/subtype", lower case
  bool attachment = false;  // Content-Disposition: attachment
  bool truncated = false;
  std::string content;      // decoded bytes
};

struct MimeMessage {
  MimeHeaders headers;
  std::vector<MimePart> parts;
};

class MimeExtractor {
 public:
  explicit MimeExtractor(const MimeLimits& limits = MimeLimits()) : limits_(limits) {}

  // kResourceExhausted: over max_message_bytes or max_content_type_lines; kInvalidArgument:
  // GMime could not build a message. Never throws, never aborts on hostile input.
  absl::StatusOr<MimeMessage> Extract(absl::string_view message);

  const MimeStats& stats() const { return stats_; }
  const MimeLimits& limits() const { return limits_; }

 private:
  MimeLimits limits_;
  MimeStats stats_;
};


// A message with bytes lost at `gap_offsets` (positions in `message` where the bytes
// after the gap start), made parseable: each gap is cut out from the last boundary
// delimiter line of the top-level multipart before it to the first one after it, so the
// parts complete on either side survive and the part the gap hit is dropped. Fails when
// the header block does not end before the first gap or the message is not multipart.
absl::StatusOr<std::string> StitchAroundGaps(absl::string_view message,
                                             const std::vector<size_t>& gap_offsets);

// Counts lines that start with `prefix` (ASCII case-insensitive): the nesting pre-scan.
size_t CountLinesStartingWith(absl::string_view text, absl::string_view prefix);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_MIME_MIME_EXTRACTOR_H_
