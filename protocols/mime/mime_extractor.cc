// GMime-backed implementation of MimeExtractor. Every GObject is held by a small RAII owner
// so that early returns cannot leak; nothing of glib appears in the header.
#include "protocols/mime/mime_extractor.h"

#include <gmime/gmime.h>

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
    if (content != nullptr) {
      GPtr<GMimeStream> sink(g_mime_stream_mem_new());
      g_mime_data_wrapper_write_to_stream(content, sink.get());
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
      if (bytes != nullptr && bytes->data != nullptr) {
        size_t size = bytes->len;
        if (size > limits_.max_part_bytes) {
          size = limits_.max_part_bytes;
          result.truncated = true;
          ++stats_->parts_truncated;
        }
        result.content.assign(reinterpret_cast<const char*>(bytes->data), size);
      }
    }
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
      if (inner != nullptr) Walk(g_mime_message_get_mime_part(inner), depth + 1);
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
