// GMime-backed implementation of MimeExtractor. Every GObject is held by a small RAII owner
// so that early returns cannot leak; nothing of glib appears in the header.
#include "protocols/mime/mime_extractor.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

struct GObjectUnref {
  void operator()(void* p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(char* p) const { g_free(p); }
};
using GString = std::unique_ptr<char, GFree>;

void InitGMimeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

class Walker {
 public:
  Walker(const MimeLimits& limits, MimeStats* stats, MimeMessage* out)
      : limits_(limits), stats_(stats), out_(out) {}

  std::string Cut(const char* value) {
    if (value == nullptr) return "";
    absl::string_view v = absl::StripAsciiWhitespace(value);
    std::string out = ToValidUtf8Capped(v, limits_.max_header_value_bytes);
    if (out.size() < v.size() && v.size() > limits_.max_header_value_bytes) {
      ++stats_->values_truncated;
    }
    return out;
  }

  std::vector<std::string> Addresses(InternetAddressList* list) {
    std::vector<std::string> result;
    if (list == nullptr) return result;
    int n = internet_address_list_length(list);
    for (int i = 0; i < n; ++i) {
      if (result.size() >= limits_.max_address_count) {
        ++stats_->values_truncated;
        break;
      }
      GString s(internet_address_to_string(internet_address_list_get_address(list, i),
                                           nullptr, FALSE));
      result.push_back(Cut(s.get()));
    }
    return result;
  }

  void Headers(GMimeMessage* message) {
    MimeHeaders& h = out_->headers;
    InternetAddressList* from = g_mime_message_get_from(message);
    if (from != nullptr && internet_address_list_length(from) > 0) {
      GString s(internet_address_list_to_string(from, nullptr, FALSE));
      h.from = Cut(s.get());
    }
    h.to = Addresses(g_mime_message_get_to(message));
    h.cc = Addresses(g_mime_message_get_cc(message));
    InternetAddressList* reply_to = g_mime_message_get_reply_to(message);
    if (reply_to != nullptr && internet_address_list_length(reply_to) > 0) {
      GString s(internet_address_list_to_string(reply_to, nullptr, FALSE));
      h.reply_to = Cut(s.get());
    }
    h.subject = Cut(g_mime_message_get_subject(message));
    GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
    int n = list == nullptr ? 0 : g_mime_header_list_get_count(list);
    for (int i = 0; i < n; ++i) {
      GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
      const char* name = g_mime_header_get_name(header);
      if (name == nullptr) continue;
      const char* value = g_mime_header_get_value(header);
      if (value == nullptr) value = g_mime_header_get_raw_value(header);
      auto set_first = [&](std::string* field) {
        if (field->empty()) *field = Cut(value);
      };
      if (absl::EqualsIgnoreCase(name, "Date")) {
        set_first(&h.date);
      } else if (absl::EqualsIgnoreCase(name, "Message-ID")) {
        set_first(&h.message_id);
      } else if (absl::EqualsIgnoreCase(name, "In-Reply-To")) {
        set_first(&h.in_reply_to);
      } else if (absl::EqualsIgnoreCase(name, "User-Agent") ||
                 absl::EqualsIgnoreCase(name, "X-Mailer")) {
        set_first(&h.user_agent);
      } else if (absl::EqualsIgnoreCase(name, "X-Originating-IP")) {
        set_first(&h.x_originating_ip);
      } else if (absl::EqualsIgnoreCase(name, "Received")) {
        if (h.received.size() < limits_.max_received) {
          h.received.push_back(Cut(value));
        } else {
          ++stats_->values_truncated;
        }
      }
    }
  }

  void Leaf(GMimePart* part) {
    if (out_->parts.size() >= limits_.max_parts) {
      ++stats_->parts_dropped;
      return;
    }
    MimePart result;
    result.filename = Cut(g_mime_part_get_filename(part));
    GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(part));
    if (type != nullptr) {
      GString s(g_mime_content_type_get_mime_type(type));
      if (s != nullptr) result.mime_type = absl::AsciiStrToLower(Cut(s.get()));
    }
    result.attachment = g_mime_part_is_attachment(part);
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    GPtr<GMimeStream> sink(g_mime_stream_mem_new());
    if (content != nullptr) g_mime_data_wrapper_write_to_stream(content, sink.get());
    Keep(std::move(result), Written(sink.get()));
  }

  // An attached message (message/rfc822) is a part of its own, as GMime writes it back
  // (unmodified, that is the bytes it parsed); its own parts follow it.
  void AttachedMessage(GMimeObject* part, GMimeMessage* inner) {
    if (out_->parts.size() >= limits_.max_parts) {
      ++stats_->parts_dropped;
      return;
    }
    MimePart result;
    result.mime_type = "message/rfc822";
    result.attachment = true;
    const char* name = g_mime_object_get_content_disposition_parameter(part, "filename");
    if (name == nullptr) name = g_mime_object_get_content_type_parameter(part, "name");
    result.filename = Cut(name);
    GPtr<GMimeStream> sink(g_mime_stream_mem_new());
    // Mail travels with CRLF line ends; GMime writes LF unless told.
    GMimeFormatOptions* options = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), options, sink.get());
    g_mime_format_options_free(options);
    absl::string_view written = Written(sink.get());
    // GMime ends a multipart's close delimiter with a line break; in the enclosing
    // message that break belongs to the next delimiter (RFC 2046 5.1.1), not to the part.
    if (absl::EndsWith(written, "--\r\n")) written.remove_suffix(2);
    Keep(std::move(result), written);
  }

  // What GMime wrote into a memory stream (empty if nothing).
  static absl::string_view Written(GMimeStream* sink) {
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink));
    if (bytes == nullptr || bytes->data == nullptr) return {};
    return absl::string_view(reinterpret_cast<const char*>(bytes->data), bytes->len);
  }

  // Keeps a part with its content cut at max_part_bytes (counted when cut).
  void Keep(MimePart result, absl::string_view content) {
    if (content.size() > limits_.max_part_bytes) {
      content = content.substr(0, limits_.max_part_bytes);
      result.truncated = true;
      ++stats_->parts_truncated;
    }
    result.content.assign(content.data(), content.size());
    ++stats_->parts;
    out_->parts.push_back(std::move(result));
  }

  // Depth is bounded by the Content-Type pre-scan; `depth` is a second guard.
  void Walk(GMimeObject* object, size_t depth) {
    if (object == nullptr || depth > limits_.max_content_type_lines) return;
    if (GMIME_IS_MULTIPART(object)) {
      GMimeMultipart* multipart = GMIME_MULTIPART(object);
      int n = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < n; ++i) Walk(g_mime_multipart_get_part(multipart, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      if (inner != nullptr) {
        AttachedMessage(object, inner);
        Walk(g_mime_message_get_mime_part(inner), depth + 1);
      }
    } else if (GMIME_IS_PART(object)) {
      Leaf(GMIME_PART(object));
    }
  }

 private:
  const MimeLimits& limits_;
  MimeStats* stats_;
  MimeMessage* out_;
};

}  // namespace

size_t CountLinesStartingWith(absl::string_view text, absl::string_view prefix) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (absl::StartsWithIgnoreCase(text.substr(pos), prefix)) ++count;
    size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) break;
    pos = nl + 1;
  }
  return count;
}

namespace {

// The boundary parameter of the first Content-Type field in a header block.
std::string TopBoundary(absl::string_view headers) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t nl = headers.find('\n', pos);
    absl::string_view rest = headers.substr(pos);
    if (absl::StartsWithIgnoreCase(rest, "content-type:")) {
      // The field with its folded continuation lines.
      size_t end = nl;
      while (end != absl::string_view::npos && end + 1 < headers.size() &&
             (headers[end + 1] == ' ' || headers[end + 1] == '\t')) {
        end = headers.find('\n', end + 1);
      }
      std::string field = absl::AsciiStrToLower(
          headers.substr(pos, end == absl::string_view::npos ? absl::string_view::npos : end - pos));
      size_t b = field.find("boundary=");
      if (b == std::string::npos) return "";
      // Take the value from the original text: boundaries are case-sensitive.
      absl::string_view v = headers.substr(pos + b + 9);
      if (!v.empty() && v.front() == '"') {
        v.remove_prefix(1);
        return std::string(v.substr(0, v.find('"')));
      }
      size_t stop = v.find_first_of("; \t\r\n");
      return std::string(v.substr(0, stop));
    }
    if (nl == absl::string_view::npos) break;
    pos = nl + 1;
  }
  return "";
}

// Whether a delimiter line ("--boundary", maybe "--boundary--") starts at `at`.
bool DelimiterAt(absl::string_view message, size_t at, absl::string_view delimiter) {
  if (at > 0 && message[at - 1] != '\n') return false;
  if (message.substr(at, delimiter.size()) != delimiter) return false;
  size_t after = at + delimiter.size();
  return after >= message.size() || message[after] == '\r' || message[after] == '\n' ||
         message[after] == '-' || message[after] == ' ' || message[after] == '\t';
}

size_t LastDelimiterBefore(absl::string_view message, size_t from, size_t before,
                           absl::string_view delimiter) {
  size_t at = before;
  while (at > from) {
    at = message.rfind(delimiter, at - 1);
    if (at == absl::string_view::npos || at < from) return absl::string_view::npos;
    if (DelimiterAt(message, at, delimiter)) return at;
  }
  return absl::string_view::npos;
}

size_t FirstDelimiterFrom(absl::string_view message, size_t from, absl::string_view delimiter) {
  for (size_t at = message.find(delimiter, from); at != absl::string_view::npos;
       at = message.find(delimiter, at + 1)) {
    if (DelimiterAt(message, at, delimiter)) return at;
  }
  return absl::string_view::npos;
}

}  // namespace

absl::StatusOr<std::string> StitchAroundGaps(absl::string_view message,
                                             const std::vector<size_t>& gap_offsets) {
  size_t header_end = message.find("\r\n\r\n");
  size_t lf_end = message.find("\n\n");
  if (header_end == absl::string_view::npos || (lf_end != absl::string_view::npos && lf_end < header_end)) {
    header_end = lf_end == absl::string_view::npos ? lf_end : lf_end + 2;
  } else {
    header_end += 4;
  }
  if (header_end == absl::string_view::npos ||
      (!gap_offsets.empty() && header_end > gap_offsets.front())) {
    return absl::FailedPreconditionError("the gap is in the message's header block");
  }
  std::string boundary = TopBoundary(message.substr(0, header_end));
  if (boundary.empty()) return absl::FailedPreconditionError("not a multipart message");
  const std::string delimiter = "--" + boundary;
  std::string out;
  size_t pos = 0;  // next byte of `message` to copy
  for (size_t gap : gap_offsets) {
    if (pos == absl::string_view::npos) break;
    if (gap < pos) continue;  // inside a stretch already cut
    size_t cut = LastDelimiterBefore(message, std::max(pos, header_end), gap, delimiter);
    if (cut == absl::string_view::npos) {
      // No delimiter since the last resume point: if we resumed at one, cut from there;
      // otherwise the gap is in the preamble: keep the headers only.
      cut = pos > header_end ? pos : header_end;
    }
    out.append(message.data() + pos, cut - pos);
    pos = FirstDelimiterFrom(message, gap, delimiter);
  }
  if (pos != absl::string_view::npos) {
    out.append(message.data() + pos, message.size() - pos);
  } else {
    absl::StrAppend(&out, delimiter, "--\r\n");
  }
  return out;
}

absl::StatusOr<MimeMessage> MimeExtractor::Extract(absl::string_view message) {
  ++stats_.messages;
  if (message.size() > limits_.max_message_bytes) {
    ++stats_.too_large;
    return absl::ResourceExhaustedError(
        absl::StrCat("message of ", message.size(), " bytes is over the MIME limit"));
  }
  if (CountLinesStartingWith(message, "content-type:") > limits_.max_content_type_lines) {
    ++stats_.too_nested;
    return absl::ResourceExhaustedError("too many Content-Type headers to parse safely");
  }
  InitGMimeOnce();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  GPtr<GMimeMessage> parsed(g_mime_parser_construct_message(parser.get(), nullptr));
  if (parsed == nullptr) {
    ++stats_.parse_failures;
    return absl::InvalidArgumentError("GMime could not parse the message");
  }
  ++stats_.parsed;
  MimeMessage result;
  Walker walker(limits_, &stats_, &result);
  walker.Headers(parsed.get());
  walker.Walk(g_mime_message_get_mime_part(parsed.get()), 0);
  return result;
}

}  // namespace tcpfollow
