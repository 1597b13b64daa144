// FtpAnalyzer, FtpDataAnalyzer and the FtpSession they share (see ftp_analyzer.h).
#include "protocols/ftp/ftp_analyzer.h"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "protocols/text_util.h"

namespace tcpfollow {
namespace {

std::string Capped(absl::string_view v, size_t cap) { return ToValidUtf8Capped(v, cap); }

bool IsTransfer(const std::string& verb) {
  return verb == "RETR" || verb == "STOR" || verb == "STOU" || verb == "APPE" ||
         verb == "LIST" || verb == "NLST" || verb == "MLSD";
}

bool IsListing(const std::string& verb) {
  return verb == "LIST" || verb == "NLST" || verb == "MLSD";
}

std::optional<std::vector<int>> SixNumbers(absl::string_view text) {
  // The first run of "d,d,d,d,d,d" anywhere in the text.
  for (size_t i = 0; i < text.size(); ++i) {
    if (!absl::ascii_isdigit(text[i]) || (i > 0 && absl::ascii_isdigit(text[i - 1]))) continue;
    size_t j = i;
    while (j < text.size() && (absl::ascii_isdigit(text[j]) || text[j] == ',' ||
                               text[j] == ' ')) {
      ++j;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(text.substr(i, j - i), ',');
    if (fields.size() < 6) continue;
    std::vector<int> n;
    for (size_t k = 0; k < 6; ++k) {
      int v = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(fields[k]), &v) || v < 0 || v > 255) break;
      n.push_back(v);
    }
    if (n.size() == 6) return n;
  }
  return std::nullopt;
}

std::optional<Endpoint> EndpointOf(const std::vector<int>& n) {
  uint8_t addr[4] = {static_cast<uint8_t>(n[0]), static_cast<uint8_t>(n[1]),
                     static_cast<uint8_t>(n[2]), static_cast<uint8_t>(n[3])};
  Endpoint e;
  e.addr = IpAddress::V4(addr);
  e.port = static_cast<uint16_t>(n[4] * 256 + n[5]);
  return e;
}

// A line that starts as an FTP command does: a verb of 3 or 4 letters, then a space or
// the line's end.
bool LooksLikeCommandStart(absl::string_view line) {
  line = StripEol(line);
  size_t n = 0;
  while (n < line.size() && absl::ascii_isalpha(line[n])) ++n;
  return (n == 3 || n == 4) && (n == line.size() || line[n] == ' ');
}

// A line that starts as a reply does: three digits, then a space, a hyphen or the end.
bool LooksLikeReplyStart(absl::string_view line) {
  line = StripEol(line);
  return line.size() >= 3 && absl::ascii_isdigit(line[0]) && absl::ascii_isdigit(line[1]) &&
         absl::ascii_isdigit(line[2]) && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

}  // namespace

std::optional<uint64_t> AnnouncedSize(absl::string_view reply_text) {
  for (size_t open = reply_text.find('('); open != absl::string_view::npos;
       open = reply_text.find('(', open + 1)) {
    absl::string_view rest = reply_text.substr(open + 1);
    size_t n = 0;
    while (n < rest.size() && absl::ascii_isdigit(rest[n])) ++n;
    uint64_t size = 0;
    if (n == 0 || n > 18 || !absl::SimpleAtoi(rest.substr(0, n), &size)) continue;
    absl::string_view after = absl::StripLeadingAsciiWhitespace(rest.substr(n));
    if (absl::StartsWithIgnoreCase(after, "bytes")) return size;
  }
  return std::nullopt;
}

std::optional<Endpoint> ParsePasvReply(absl::string_view text) {
  auto n = SixNumbers(text);
  if (!n) return std::nullopt;
  return EndpointOf(*n);
}

std::optional<Endpoint> ParsePortArg(absl::string_view arg) { return ParsePasvReply(arg); }

std::optional<uint16_t> ParseEpsvReply(absl::string_view text) {
  size_t open = text.find('(');
  if (open == absl::string_view::npos || open + 1 >= text.size()) return std::nullopt;
  size_t close = text.find(')', open);
  if (close == absl::string_view::npos) return std::nullopt;
  absl::string_view inner = text.substr(open + 1, close - open - 1);
  if (inner.empty()) return std::nullopt;
  std::vector<absl::string_view> f = absl::StrSplit(inner, inner[0]);
  uint32_t port = 0;
  if (f.size() != 5 || !absl::SimpleAtoi(f[3], &port) || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

std::optional<Endpoint> ParseEprtArg(absl::string_view arg) {
  arg = absl::StripAsciiWhitespace(arg);
  if (arg.empty()) return std::nullopt;
  std::vector<absl::string_view> f = absl::StrSplit(arg, arg[0]);
  uint32_t port = 0;
  if (f.size() != 5 || !absl::SimpleAtoi(f[3], &port) || port == 0 || port > 65535) {
    return std::nullopt;
  }
  Endpoint e;
  e.addr = IpAddress::FromString(std::string(f[2]));
  if ((f[1] == "1" && !e.addr.is_v4()) || (f[1] == "2" && !e.addr.is_v6()) ||
      e.addr.family == IpAddress::Family::kNone) {
    return std::nullopt;
  }
  e.port = static_cast<uint16_t>(port);
  return e;
}

bool LooksLikeFtp(absl::string_view client_first, absl::string_view server_first) {
  bool greeting = server_first.size() >= 4 &&
                  (absl::StartsWith(server_first, "220") || absl::StartsWith(server_first, "120")) &&
                  (server_first[3] == ' ' || server_first[3] == '-');
  if (!greeting) return false;
  if (client_first.empty()) {
    std::string line = absl::AsciiStrToUpper(server_first.substr(0, server_first.find('\n')));
    return line.find("FTP") != std::string::npos && line.find("SMTP") == std::string::npos;
  }
  for (absl::string_view verb : {"USER ", "AUTH ", "FEAT", "SYST", "OPTS ", "PASS ", "HOST "}) {
    if (absl::StartsWithIgnoreCase(client_first, verb)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- FtpSession

class FtpSession {
 public:
  FtpSession(const ConnectionInfo& control, AnalyzerOutput* out, const FtpLimits& limits)
      : control_(control), out_(out), limits_(limits) {}

  int NewChannel(bool passive, const IpAddress& orig_h, const Endpoint& resp) {
    std::lock_guard<std::mutex> lock(mu_);
    if (channels_.size() >= limits_.max_channels) {
      // Evict the oldest channel that holds nothing in flight.
      for (auto it = channels_.begin(); it != channels_.end(); ++it) {
        if (it->second.writer == nullptr && (it->second.logged || !it->second.replied)) {
          channels_.erase(it);
          ++stats_.channels_evicted;
          break;
        }
      }
    }
    int id = next_id_++;
    Channel& c = channels_[id];
    c.passive = passive;
    c.orig_h = orig_h;
    c.resp = resp;
    ++stats_.channels;
    return id;
  }

  void SetProtected(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    protected_ = on;
  }

  // `expected`: the size a SIZE reply gave for a RETR's file (none: unknown).
  void BindCommand(int id, const std::string& verb, const std::string& arg,
                   std::optional<uint64_t> expected = std::nullopt) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c == nullptr) return;
    c->bound = true;
    c->verb = verb;
    c->arg = arg;
    if (expected) c->expected = expected;
    // Held data becomes the object now if its type can be sniffed (or no more comes).
    if (c->attached &&
        (c->data_done || (!c->held.empty() && c->head.size() >= kMimeSniffBytes))) {
      OpenWriter(*c);
      if (c->data_done) FinishObject(*c, c->data_end);
    }
  }

  // The 150 reply announced the transfer's size ("(8192 bytes)"): what the data connection
  // should carry, whatever an earlier SIZE said.
  void ExpectSize(int id, uint64_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c != nullptr && !c->object_done) c->expected = size;
  }

  void FinalReply(int id, absl::Time ts, nlohmann::json record) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c == nullptr) {
      out_->Record("ftp", control_, ts, std::move(record));
      return;
    }
    c->replied = true;
    c->record = std::move(record);
    c->record_ts = ts;
    MaybeLog(*c, /*force=*/false);
  }

  void AddChannelFields(int id, nlohmann::json* r) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c != nullptr) ChannelFields(*c, r);
  }

  bool Attach(int id, const ConnectionInfo& data) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c == nullptr || (c->attached && c->data_conn.id != data.id)) return false;
    c->attached = true;
    c->data_conn = data;
    c->encrypted = protected_;
    ++stats_.data_connections;
    return true;
  }

  // PROT P was in force when the channel's connection came: its bytes are TLS.
  bool Encrypted(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    return c != nullptr && c->encrypted;
  }

  // `decrypted`: the plaintext of an encrypted channel (kept like cleartext data). `dir`:
  // the data connection's direction that carries the transfer.
  void Data(int id, absl::Time ts, absl::string_view bytes, bool decrypted = false,
            Direction dir = Direction::kServerToClient) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c != nullptr && decrypted) c->decrypted = true;
    if (c != nullptr && !c->sender) c->sender = dir;
    if (c == nullptr || (c->encrypted && !c->decrypted) || c->data_done) {
      stats_.ignored_data_bytes += bytes.size();
      return;
    }
    if (c->head.size() < kMimeSniffBytes) {
      absl::string_view add = bytes.substr(0, kMimeSniffBytes - c->head.size());
      c->head.append(add.data(), add.size());
    }
    // The object is begun once its type can be sniffed: kMimeSniffBytes, or its end.
    if (c->writer == nullptr && c->bound && c->head.size() >= kMimeSniffBytes) OpenWriter(*c);
    if (c->writer != nullptr) {
      Write(*c, bytes);
      return;
    }
    if (c->held.size() + bytes.size() <= limits_.max_unbound_bytes) {
      c->held.append(bytes.data(), bytes.size());
      return;
    }
    ++stats_.unbound_overflow;  // command still unknown: begin the object unnamed
    OpenWriter(*c);
    Write(*c, bytes);
  }

  void Gap(int id, uint64_t length) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.gaps;
    Channel* c = Find(id);
    if (c != nullptr) {
      c->gap = true;
      c->missing += length;
    }
  }

  void DataEnd(int id, absl::Time ts) {
    std::lock_guard<std::mutex> lock(mu_);
    Channel* c = Find(id);
    if (c == nullptr || c->data_done) return;
    c->data_done = true;
    c->data_end = ts;
    if (c->writer == nullptr && c->bound && !c->held.empty()) OpenWriter(*c);
    if (c->writer != nullptr) FinishObject(*c, ts);
    if (c->bound && c->writer == nullptr) c->object_done = true;  // nothing was sent
    MaybeLog(*c, /*force=*/false);
  }

  // Control connection closed: write held orphans and every record still waiting.
  void CloseControl(absl::Time ts) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, c] : channels_) {
      if (c.writer == nullptr && !c.held.empty() && c.attached && c.data_done) {
        OpenWriter(c);
        FinishObject(c, ts);
      }
      MaybeLog(c, /*force=*/true);
    }
  }

  FtpStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  // The data side's counters reach the worker's totals when the last analyzer using this
  // session (control or data) is gone.
  ~FtpSession() {
    if (limits_.totals != nullptr) *limits_.totals += stats_;
  }

 private:
  struct Channel {
    bool passive = false;
    IpAddress orig_h;
    Endpoint resp;
    bool attached = false;
    ConnectionInfo data_conn;
    bool encrypted = false;
    bool decrypted = false;  // plaintext arrived from the TLS stage
    bool bound = false;
    std::string verb, arg;
    std::string held;
    std::string head;
    std::unique_ptr<ObjectWriter> writer;
    std::string mime_type;
    std::optional<Direction> sender;  // of the data connection: who sent the transfer
    uint64_t bytes = 0;
    bool gap = false;
    uint64_t missing = 0;               // bytes lost in gaps of the data connection
    std::optional<uint64_t> expected;   // size announced by the 150 reply or SIZE
    bool short_of_expected = false;     // fewer bytes came than announced
    bool data_done = false;
    absl::Time data_end;
    bool object_done = false;
    ObjectResult result;
    bool replied = false;
    nlohmann::json record;
    absl::Time record_ts;
    bool logged = false;
  };

  Channel* Find(int id) {
    auto it = channels_.find(id);
    return it == channels_.end() ? nullptr : &it->second;
  }

  void OpenWriter(Channel& c) {
    if (c.writer != nullptr) return;
    ObjectMeta meta;
    meta.source = "ftp";
    if (c.bound) meta.name = c.arg.empty() ? c.verb : c.arg;
    absl::string_view head = c.head.empty() ? absl::string_view(c.held) : c.head;
    c.mime_type = IsListing(c.verb) ? "text/plain" : SniffMimeType(head, "", &stats_.sniff);
    meta.mime_type = c.mime_type;
    meta.sender = c.sender;
    c.writer = out_->BeginObject(c.data_conn, meta);
    if (!c.held.empty()) {
      Write(c, c.held);
      std::string().swap(c.held);
    }
  }

  void Write(Channel& c, absl::string_view bytes) {
    c.writer->Write(bytes);
    c.bytes += bytes.size();
    stats_.transfer_bytes += bytes.size();
  }

  void FinishObject(Channel& c, absl::Time ts) {
    nlohmann::json extra = nlohmann::json::object();
    // What the server announced and never came, neither as data nor as a gap (the data
    // connection's end was not captured), is missing too.
    uint64_t missing = c.missing;
    if (c.expected && c.bytes + missing < *c.expected) {
      missing = *c.expected - c.bytes;
      c.short_of_expected = true;
    }
    if (c.gap || c.short_of_expected) extra["partial"] = true;
    if (missing > 0) extra["missing_bytes"] = missing;
    // The command that carried the file, as ftp.jsonl names its fields.
    if (c.bound) {
      extra["command"] = c.verb;
      if (!c.arg.empty()) extra["arg"] = c.arg;
    }
    c.result = c.writer->Finish(ts, extra);
    c.writer.reset();
    c.object_done = true;
    ++stats_.transfers;
  }

  void ChannelFields(const Channel& c, nlohmann::json* r) {
    (*r)["data_channel.passive"] = c.passive;
    (*r)["data_channel.orig_h"] = c.orig_h.ToString();
    (*r)["data_channel.resp_h"] = c.resp.addr.ToString();
    (*r)["data_channel.resp_p"] = c.resp.port;
  }

  void MaybeLog(Channel& c, bool force) {
    if (!c.replied || c.logged) return;
    // An encrypted channel's record waits for its object only once plaintext flows:
    // without keys no object comes.
    if (!force && c.attached && !c.object_done && (!c.encrypted || c.decrypted)) return;
    nlohmann::json r = std::move(c.record);
    ChannelFields(c, &r);
    if (c.object_done && !c.result.fuid.empty()) {
      r["fuid"] = c.result.fuid;
      r["file_size"] = c.bytes;
      if (!c.mime_type.empty()) r["mime_type"] = c.mime_type;
    }
    if (c.gap || c.short_of_expected) r["partial"] = true;
    if (c.encrypted) r["encrypted"] = true;
    if (c.decrypted) r["decrypted"] = true;
    out_->Record("ftp", control_, c.record_ts, std::move(r));
    c.logged = true;
  }

  std::mutex mu_;
  ConnectionInfo control_;
  AnalyzerOutput* out_;
  FtpLimits limits_;
  FtpStats stats_;
  bool protected_ = false;
  int next_id_ = 0;
  std::map<int, Channel> channels_;
};

// ---------------------------------------------------------------- FtpAnalyzer

FtpAnalyzer::FtpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                         const FtpLimits& limits, bool after_tls)
    : conn_(conn), out_(out), limits_(limits), tls_(after_tls),
      session_(std::make_shared<FtpSession>(conn, out, limits)) {
  greeted_ = after_tls;
}

FtpAnalyzer::~FtpAnalyzer() {
  if (limits_.totals != nullptr) *limits_.totals += counts_;
}

FtpStats& operator+=(FtpStats& a, const FtpStats& b) {
  a.commands += b.commands;
  a.replies += b.replies;
  a.long_lines += b.long_lines;
  a.pending_overflow += b.pending_overflow;
  a.unmatched_replies += b.unmatched_replies;
  a.channels += b.channels;
  a.channels_evicted += b.channels_evicted;
  a.data_connections += b.data_connections;
  a.transfers += b.transfers;
  a.transfer_bytes += b.transfer_bytes;
  a.unbound_overflow += b.unbound_overflow;
  a.ignored_data_bytes += b.ignored_data_bytes;
  a.gaps += b.gaps;
  a.sniff += b.sniff;
  return a;
}

FtpStats FtpAnalyzer::stats() const {
  FtpStats s = session_->stats();
  s.commands = counts_.commands;
  s.replies = counts_.replies;
  s.long_lines = counts_.long_lines;
  s.pending_overflow = counts_.pending_overflow;
  s.unmatched_replies = counts_.unmatched_replies;
  s.gaps += counts_.gaps;
  s.lines_dropped_after_gap = counts_.lines_dropped_after_gap;
  s.replies_lost = counts_.replies_lost;
  s.malformed_replies = counts_.malformed_replies;
  return s;
}

size_t FtpAnalyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (handed_off()) return 0;
  bool client = dir == Direction::kClientToServer;
  LineReader& reader = client ? client_lines_ : reply_lines_;
  const size_t total = bytes.size();
  while (!bytes.empty()) {
    LineReader::Status status = reader.Next(&bytes);
    if (status == LineReader::Status::kNeedMore) break;
    if (status == LineReader::Status::kCutLine) ++counts_.long_lines;  // act on what fits
    std::string text = reader.TakeLine();
    bool& after_gap = client ? client_after_gap_ : reply_after_gap_;
    if (after_gap) {
      // The first line after a gap: kept when it starts as a command or reply does (the
      // gap ended on a line boundary), else it is the tail of a line cut by the gap.
      after_gap = false;
      if (!(client ? LooksLikeCommandStart(text) : LooksLikeReplyStart(text))) {
        ++counts_.lines_dropped_after_gap;
        continue;
      }
    }
    if (client) OnClientLine(ts, text); else OnReply(ts, text);
    if (handed_off()) return total - bytes.size();
  }
  return total;
}

void FtpAnalyzer::OnClientLine(absl::Time ts, absl::string_view raw) {
  absl::string_view line = StripEol(raw);
  if (line.empty()) return;
  ++counts_.commands;
  size_t space = line.find(' ');
  Command cmd;
  cmd.verb = Capped(absl::AsciiStrToUpper(line.substr(0, space)), 32);
  cmd.arg = space == absl::string_view::npos ? ""
                                             : Capped(line.substr(space + 1), limits_.max_value_bytes);
  cmd.ts = ts;
  if (IsTransfer(cmd.verb)) cmd.restarted = restarted_;
  if (cmd.verb == "USER") {
    user_ = cmd.arg;
    password_.clear();
  } else if (cmd.verb == "PASS") {
    password_ = cmd.arg;
  } else if (IsTransfer(cmd.verb) && next_channel_ >= 0) {
    cmd.channel = next_channel_;
    next_channel_ = -1;
    session_->BindCommand(cmd.channel, cmd.verb, cmd.arg, ExpectedSize(cmd));
  } else if (cmd.verb == "PORT" || cmd.verb == "EPRT") {
    // Active mode is expected from the command on: servers such as pyftpdlib connect to
    // the client before they send the 200 reply.
    auto target = cmd.verb == "PORT" ? ParsePortArg(cmd.arg) : ParseEprtArg(cmd.arg);
    if (target) cmd.announced = Announce(ts, /*passive=*/false, *target);
  }
  if (IsTransfer(cmd.verb)) {
    restarted_ = false;  // REST applies to the next transfer only
  } else if (cmd.verb == "REST") {
    restarted_ = cmd.arg != "0";
  }
  if (pending_.size() >= limits_.max_pending_commands) {
    ++counts_.pending_overflow;
    pending_.pop_front();
  }
  pending_.push_back(std::move(cmd));
}

// Multi-line replies end at "ddd " with the code of their first line; reply_msg is the
// last line's text, as in Zeek.
void FtpAnalyzer::OnReply(absl::Time ts, const std::string& raw) {
  std::string line(StripEol(raw));
  bool coded = line.size() >= 3 && absl::ascii_isdigit(line[0]) &&
               absl::ascii_isdigit(line[1]) && absl::ascii_isdigit(line[2]) &&
               (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  int code = coded ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
  std::string text = line.size() > 4 ? line.substr(4) : "";
  bool malformed = false;
  if (multiline_code_ != 0) {
    if (!(coded && code == multiline_code_ && (line.size() == 3 || line[3] == ' '))) return;
    multiline_code_ = 0;
  } else if (!coded) {
    if (absl::StripAsciiWhitespace(line).empty()) return;
    // "99 text", "230_no_space", a line with no code: still the server's answer to the
    // command in front (ignoring it would shift every later pairing by one). Its code is
    // its leading digits, if any; it is final whatever they say.
    malformed = true;
    ++counts_.malformed_replies;
    size_t digits = 0;
    while (digits < line.size() && digits < 3 && absl::ascii_isdigit(line[digits])) ++digits;
    code = 0;
    for (size_t i = 0; i < digits; ++i) code = code * 10 + (line[i] - '0');
    text = std::string(absl::StripAsciiWhitespace(absl::string_view(line).substr(digits)));
  } else if (line.size() > 3 && line[3] == '-') {
    multiline_code_ = code;
    return;
  }
  ++counts_.replies;
  if (pending_.empty()) {
    if (!greeted_ && (code == 220 || code == 120)) {
      greeted_ = true;
    } else {
      ++counts_.unmatched_replies;
    }
    return;
  }
  if (code < 200 && !malformed) {
    Command& front = pending_.front();
    front.preliminary = code;
    front.preliminary_msg = text;
    // "150 Opening BINARY mode data connection for f (8192 bytes)": what the data
    // connection will carry (a restarted transfer's count is not known to be the rest).
    if (auto size = AnnouncedSize(text); size && front.channel >= 0 && !front.restarted) {
      session_->ExpectSize(front.channel, *size);
    }
    return;
  }
  if (replies_lost_) {
    // Replies were lost in a gap. FTP clients wait for each reply before the next command,
    // so a command followed by another sent before this reply arrived has had its answer:
    // in the gap. This reply answers the last command sent before it.
    replies_lost_ = false;
    while (pending_.size() > 1 && pending_[1].ts <= ts) {
      Command lost = std::move(pending_.front());
      pending_.pop_front();
      ++counts_.replies_lost;
      LogCommand(std::move(lost), /*code=*/0, "", /*reply_lost=*/true, /*malformed=*/false);
    }
  }
  Command cmd = std::move(pending_.front());
  pending_.pop_front();
  if (cmd.verb == "SIZE" && code == 213) {
    uint64_t size = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &size)) {
      sized_path_ = cmd.arg;
      sized_bytes_ = size;
    }
  }
  int announced = -1;
  if (cmd.verb == "PASV" && code == 227) {
    if (auto target = ParsePasvReply(text)) {
      announced = Announce(ts, /*passive=*/true, *target);
    }
  } else if (cmd.verb == "EPSV" && code == 229) {
    if (auto port = ParseEpsvReply(text)) {
      announced = Announce(ts, /*passive=*/true, Endpoint{conn_.server.addr, *port});
    }
  } else if (cmd.verb == "PORT" || cmd.verb == "EPRT") {
    if (code / 100 == 2) {
      announced = cmd.announced;
    } else if (next_channel_ == cmd.announced) {
      next_channel_ = -1;  // refused: the next transfer does not use it
    }
  } else if (cmd.verb == "PROT" && code / 100 == 2) {
    session_->SetProtected(absl::EqualsIgnoreCase(cmd.arg, "P"));
  }
  bool auth_tls = cmd.verb == "AUTH" && code == 234;
  LogCommand(std::move(cmd), code, text, /*reply_lost=*/false, malformed, announced);
  if (auth_tls) {
    Handoff h;
    h.to = kTlsStage;
    h.inner = "ftp";
    h.facts.continued = true;
    RequestHandoff(std::move(h));
    tls_ = true;
  }
}

void FtpAnalyzer::LogCommand(Command cmd, int code, const std::string& text, bool reply_lost,
                             bool malformed, int announced) {
  nlohmann::json r = nlohmann::json::object();
  if (!user_.empty()) r["user"] = user_;
  if (!password_.empty()) r["password"] = password_;
  r["command"] = cmd.verb;
  if (!cmd.arg.empty()) r["arg"] = cmd.arg;
  if (code != 0) r["reply_code"] = code;
  if (!reply_lost) r["reply_msg"] = Capped(text, limits_.max_reply_msg_bytes);
  if (reply_lost) r["reply_lost"] = true;
  if (malformed) r["malformed_reply"] = true;
  // "150 Opening BINARY mode data connection for f (8192 bytes)": the size the server
  // announced, kept when no data connection gives the real one.
  if (auto size = AnnouncedSize(cmd.preliminary_msg)) r["file_size"] = *size;
  if (tls_) r["tls"] = true;
  if (cmd.channel >= 0) {
    session_->FinalReply(cmd.channel, cmd.ts, std::move(r));
    return;
  }
  if (announced >= 0) session_->AddChannelFields(announced, &r);
  out_->Record("ftp", conn_, cmd.ts, std::move(r));
}

int FtpAnalyzer::Announce(absl::Time ts, bool passive, const Endpoint& target) {
  // Passive: the client connects to the announced address. Active: the server connects from
  // any port to the client's announced address.
  const IpAddress& connector = passive ? conn_.client.addr : conn_.server.addr;
  const IpAddress& observed = passive ? conn_.server.addr : conn_.client.addr;
  int id = session_->NewChannel(passive, connector, target);
  next_channel_ = id;
  // A transfer command sent before this reply (pipelined) uses the new channel.
  for (Command& pending : pending_) {
    if (IsTransfer(pending.verb) && pending.channel < 0) {
      pending.channel = id;
      next_channel_ = -1;
      session_->BindCommand(id, pending.verb, pending.arg, ExpectedSize(pending));
      break;
    }
  }
  std::shared_ptr<FtpSession> session = session_;
  AnalyzerFactory factory = [session, id](const ConnectionInfo& c) -> std::unique_ptr<Analyzer> {
    return std::make_unique<FtpDataAnalyzer>(c, session, id);
  };
  out_->ExpectConnection(connector, target, ts, limits_.data_channel_timeout, factory);
  if (target.addr != observed) {  // NAT: the announced address is not the one we see
    out_->ExpectConnection(connector, Endpoint{observed, target.port}, ts,
                           limits_.data_channel_timeout, factory);
  }
  return id;
}

std::optional<uint64_t> FtpAnalyzer::ExpectedSize(const Command& cmd) const {
  if (cmd.verb != "RETR" || cmd.restarted || !sized_path_ || *sized_path_ != cmd.arg) {
    return std::nullopt;
  }
  return sized_bytes_;
}

void FtpAnalyzer::OnGap(Direction dir, absl::Time, uint64_t) {
  ++counts_.gaps;
  if (dir == Direction::kClientToServer) {
    client_lines_.Reset(/*skip_to_eol=*/false);
    client_after_gap_ = true;
  } else {
    reply_lines_.Reset(/*skip_to_eol=*/false);
    reply_after_gap_ = true;
    multiline_code_ = 0;
    replies_lost_ = true;  // the next final reply decides which commands lost theirs
  }
}

void FtpAnalyzer::OnClose(absl::Time ts) {
  if (handed_off()) return;
  // Commands that never got a final reply are logged without one.
  std::deque<Command> pending = std::move(pending_);
  pending_.clear();
  for (Command& cmd : pending) {
    int code = cmd.preliminary;
    std::string msg = cmd.preliminary_msg;
    LogCommand(std::move(cmd), code, msg, /*reply_lost=*/false, /*malformed=*/false);
  }
  session_->CloseControl(ts);
}

// ---------------------------------------------------------------- FtpDataAnalyzer

FtpDataAnalyzer::FtpDataAnalyzer(const ConnectionInfo& conn, std::shared_ptr<FtpSession> session,
                                 int channel)
    : conn_(conn), session_(std::move(session)), channel_(channel) {
  attached_ = session_->Attach(channel_, conn_);
}

FtpDataAnalyzer::FtpDataAnalyzer(const FtpDataAnalyzer& cleartext, AfterTls)
    : conn_(cleartext.conn_),
      session_(cleartext.session_),
      channel_(cleartext.channel_),
      decrypted_(true),
      attached_(cleartext.attached_) {}

// A successor that never received plaintext (the TLS session could not be decrypted)
// still ends the transfer, so its ftp record is written.
FtpDataAnalyzer::~FtpDataAnalyzer() {
  if (decrypted_) End(absl::InfinitePast());
}

size_t FtpDataAnalyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (handed_off()) return 0;
  if (!decrypted_ && attached_ && session_->Encrypted(channel_)) {
    // PROT P: these bytes are TLS; a successor that knows the transfer gets the plaintext.
    Handoff h;
    h.to = kTlsStage;
    h.successor = std::unique_ptr<Analyzer>(new FtpDataAnalyzer(*this, AfterTls{}));
    RequestHandoff(std::move(h));
    return 0;
  }
  if (!has_direction_) {
    has_direction_ = true;
    direction_ = dir;
  }
  if (attached_ && dir == direction_) {
    session_->Data(channel_, ts, bytes, decrypted_, dir);
  } else {
    session_->Data(-1, ts, bytes);  // counted as ignored
  }
  return bytes.size();
}

void FtpDataAnalyzer::OnGap(Direction dir, absl::Time, uint64_t length) {
  if (handed_off()) return;
  if (attached_ && (!has_direction_ || dir == direction_)) session_->Gap(channel_, length);
}

void FtpDataAnalyzer::OnEnd(Direction dir, absl::Time ts) {
  if (has_direction_ && dir == direction_) End(ts);
}

void FtpDataAnalyzer::OnClose(absl::Time ts) { End(ts); }

void FtpDataAnalyzer::End(absl::Time ts) {
  if (!attached_ || ended_ || handed_off()) return;  // a handed-off channel ends with its successor
  ended_ = true;
  session_->DataEnd(channel_, ts);
}

}  // namespace tcpfollow
