// SmtpAnalyzer implementation: two line parsers (client commands, server replies), a FIFO of
// commands awaiting replies, a dot-unstuffing state machine for DATA and a byte counter for
// BDAT. Each transaction's message is streamed to an ObjectWriter and kept (up to the MIME
// limit) for MimeExtractor once it is complete.
#include "protocols/smtp/smtp_analyzer.h"

#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tcpfollow {
namespace {

std::string Capped(absl::string_view v, size_t cap) { return ToValidUtf8Capped(v, cap); }

// "FROM:<a@b> SIZE=10" -> "a@b"; "TO: c@d" -> "c@d".
std::string MailboxArg(absl::string_view arg) {
  size_t colon = arg.find(':');
  absl::string_view rest = colon == absl::string_view::npos ? arg : arg.substr(colon + 1);
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (!rest.empty() && rest[0] == '<') {
    size_t close = rest.find('>');
    return std::string(rest.substr(1, close == absl::string_view::npos ? rest.npos : close - 1));
  }
  return std::string(rest.substr(0, rest.find(' ')));
}

// The IP a Received header names: the first bracketed address, else the last dotted quad.
std::string ReceivedIp(absl::string_view value) {
  for (size_t open = value.find('['); open != absl::string_view::npos;
       open = value.find('[', open + 1)) {
    size_t close = value.find(']', open);
    if (close == absl::string_view::npos) break;
    std::string inner(value.substr(open + 1, close - open - 1));
    if (absl::StartsWithIgnoreCase(inner, "ipv6:")) inner = inner.substr(5);
    if (IpAddress::FromString(inner).family != IpAddress::Family::kNone) return inner;
  }
  std::string last;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!absl::ascii_isdigit(value[i]) || (i > 0 && (absl::ascii_isdigit(value[i - 1]) ||
                                                     value[i - 1] == '.'))) {
      continue;
    }
    size_t j = i;
    while (j < value.size() && (absl::ascii_isdigit(value[j]) || value[j] == '.')) ++j;
    std::string candidate(value.substr(i, j - i));
    if (IpAddress::FromString(candidate).is_v4()) last = candidate;
    i = j;
  }
  return last;
}

}  // namespace

struct SmtpAnalyzer::Transaction {
  ~Transaction() { ReleaseMime(); }
  // Frees the MIME copy of the message and gives its bytes back to the shared budget.
  void ReleaseMime() {
    if (budget != nullptr) budget->used -= mime_buffer.size();
    std::string().swap(mime_buffer);
  }

  SmtpMimeBudget* budget = nullptr;
  uint64_t serial = 0;  // identifies the transaction across pipelined replies
  absl::Time ts;
  std::string mailfrom;
  std::vector<std::string> rcptto;
  bool activity = false;
  std::unique_ptr<ObjectWriter> message;
  std::string mime_buffer;
  bool mime_overflow = false;
  bool mime_over_budget = false;  // other connections' messages held the shared budget
  bool message_gap = false;
  std::vector<size_t> gap_offsets;  // where in mime_buffer bytes were lost
  void MarkGap() {
    message_gap = true;
    if (!mime_overflow && gap_offsets.size() < 64) gap_offsets.push_back(mime_buffer.size());
  }
  uint64_t message_bytes = 0;
  bool message_done = false;
  bool partial = false;
  std::string mime_error;
  MimeHeaders headers;
  bool have_headers = false;
  std::vector<std::string> fuids;
  std::string last_reply;
};

bool LooksLikeSmtp(absl::string_view client_first, absl::string_view server_first) {
  bool greeting = server_first.size() >= 4 && absl::StartsWith(server_first, "220") &&
                  (server_first[3] == ' ' || server_first[3] == '-');
  if (!greeting) return false;
  if (client_first.empty()) {
    absl::string_view first_line = server_first.substr(0, server_first.find('\n'));
    return absl::AsciiStrToUpper(first_line).find("SMTP") != std::string::npos;
  }
  return absl::StartsWithIgnoreCase(client_first, "EHLO") ||
         absl::StartsWithIgnoreCase(client_first, "HELO");
}

SmtpAnalyzer::SmtpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                           const SmtpLimits& limits, bool after_starttls, bool midstream)
    : conn_(conn), out_(out), limits_(limits), tls_(after_starttls),
      stats_(limits.stats != nullptr ? limits.stats : &own_stats_), mime_(limits.mime) {
  greeted_ = after_starttls || midstream;
}

SmtpAnalyzer::~SmtpAnalyzer() {
  const MimeStats& m = mime_.stats();
  MimeStats& t = stats_->mime;
  t.messages += m.messages;
  t.parsed += m.parsed;
  t.too_large += m.too_large;
  t.too_nested += m.too_nested;
  t.parse_failures += m.parse_failures;
  t.parts += m.parts;
  t.parts_dropped += m.parts_dropped;
  t.parts_truncated += m.parts_truncated;
  t.values_truncated += m.values_truncated;
}

size_t SmtpAnalyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (handed_off()) return 0;
  if (dir == Direction::kClientToServer) {
    OnClientBytes(ts, bytes);
    return bytes.size();
  }
  server_seen_ = true;
  return OnServerBytes(ts, bytes);
}

// ---------------------------------------------------------------- client side

void SmtpAnalyzer::OnClientBytes(absl::Time ts, absl::string_view bytes) {
  while (!bytes.empty() && !handed_off()) {
    switch (mode_) {
      case ClientMode::kAwaitData:
      case ClientMode::kAwaitTls: {
        size_t room = limits_.max_held_bytes - std::min(held_.size(), limits_.max_held_bytes);
        held_.append(bytes.data(), std::min(room, bytes.size()));
        if (bytes.size() <= room) return;
        // No reply in sight: a one-sided capture or a client that did not wait. Assume the
        // server said yes (354) and take the bytes as message content.
        ++stats_->held_overflow;
        bytes.remove_prefix(room);
        if (mode_ == ClientMode::kAwaitTls) {
          held_.clear();
          return;  // TLS bytes we cannot parse; the reply will decide.
        }
        StartMessage(ts);
        mode_ = ClientMode::kData;
        std::string held = std::move(held_);
        held_.clear();
        size_t used = ConsumeData(ts, held);
        if (used < held.size()) OnClientBytes(ts, absl::string_view(held).substr(used));
        continue;
      }
      case ClientMode::kData:
        bytes.remove_prefix(ConsumeData(ts, bytes));
        continue;
      case ClientMode::kBdat: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(bdat_remaining_, bytes.size()));
        TakeChunk(ts, bytes.substr(0, n));
        bdat_remaining_ -= n;
        bytes.remove_prefix(n);
        if (bdat_remaining_ == 0) {
          FlushChunk(ts);
          mode_ = ClientMode::kCommand;
          if (bdat_last_) MessageComplete(ts);
        }
        continue;
      }
      case ClientMode::kCommand:
      case ClientMode::kAuth: {
        LineReader::Status status = client_lines_.Next(&bytes);
        if (status == LineReader::Status::kNeedMore) continue;
        // Endless line: act on what fits; the reader drops the rest up to the next LF.
        if (status == LineReader::Status::kCutLine) ++stats_->long_lines;
        std::string line = client_lines_.TakeLine();
        if (mode_ == ClientMode::kAuth) OnAuthLine(ts, line); else OnCommandLine(ts, line);
        continue;
      }
    }
  }
}

size_t SmtpAnalyzer::ConsumeData(absl::Time ts, absl::string_view bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    char c = bytes[i];
    switch (data_line_) {
      case DataLine::kLineStart:
        ++i;
        if (c == '.') {
          data_line_ = DataLine::kDot;
        } else {
          out.push_back(c);
          data_line_ = c == '\n' ? DataLine::kLineStart : DataLine::kMidLine;
        }
        break;
      case DataLine::kMidLine: {
        size_t nl = bytes.find('\n', i);
        size_t end = nl == absl::string_view::npos ? bytes.size() : nl + 1;
        out.append(bytes.data() + i, end - i);
        i = end;
        if (nl != absl::string_view::npos) data_line_ = DataLine::kLineStart;
        break;
      }
      case DataLine::kDot:
        if (c == '\r') {
          ++i;
          data_line_ = DataLine::kDotCr;
        } else {
          data_line_ = DataLine::kMidLine;  // stuffed dot dropped; c is content
          if (c == '\n') {
            out.push_back(c);
            ++i;
            data_line_ = DataLine::kLineStart;
          }
        }
        break;
      case DataLine::kDotCr:
        if (c == '\n') {
          ++i;
          WriteMessage(out);
          data_line_ = DataLine::kLineStart;
          mode_ = ClientMode::kCommand;
          Push(Verb::kEndOfData, ts);
          MessageComplete(ts);
          return i;
        }
        out.push_back('\r');  // ".\r" + other: the dot was stuffing, CR is content
        data_line_ = DataLine::kMidLine;
        break;
    }
  }
  WriteMessage(out);
  return i;
}

void SmtpAnalyzer::Push(Verb verb, absl::Time ts, std::string arg, uint64_t open_txn) {
  if (pending_.size() >= limits_.max_pending_commands) {
    ++stats_->pending_overflow;
    pending_.pop_front();
  }
  pending_.push_back({verb, ts, std::move(arg), open_txn});
}

void SmtpAnalyzer::OnCommandLine(absl::Time ts, absl::string_view raw) {
  absl::string_view line = StripEol(raw);
  if (line.empty()) return;
  ++stats_->commands;
  size_t space = line.find(' ');
  std::string verb = absl::AsciiStrToUpper(line.substr(0, space));
  absl::string_view arg =
      space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(line.substr(space + 1));
  if (verb == "HELO" || verb == "EHLO") {
    // Only an accepted HELO/EHLO resets the session (RFC 5321 4.1.4): the name and the
    // reset wait for the reply.
    const uint64_t open_txn =
        txn_ != nullptr && !txn_->mailfrom.empty() ? txn_->serial : 0;
    // The first name is kept at once (one-sided captures never see a reply); later ones
    // replace it only when accepted.
    if (helo_.empty()) helo_ = Capped(arg, limits_.max_value_bytes);
    Current(ts).activity = true;
    Push(verb == "HELO" ? Verb::kHelo : Verb::kEhlo, ts, Capped(arg, limits_.max_value_bytes),
         open_txn);
  } else if (verb == "MAIL") {
    if (txn_ != nullptr && (!txn_->mailfrom.empty() || txn_->message != nullptr)) {
      LogCurrent(ts);
    }
    Transaction& t = Current(ts);
    t.mailfrom = Capped(MailboxArg(arg), limits_.max_value_bytes);
    t.activity = true;
    Push(Verb::kMail, ts);
  } else if (verb == "RCPT") {
    Transaction& t = Current(ts);
    if (t.rcptto.size() < limits_.max_recipients) {
      t.rcptto.push_back(Capped(MailboxArg(arg), limits_.max_value_bytes));
    } else {
      ++stats_->recipients_dropped;
    }
    t.activity = true;
    Push(Verb::kRcpt, ts);
  } else if (verb == "DATA") {
    Current(ts).activity = true;
    Push(Verb::kData, ts);
    mode_ = ClientMode::kAwaitData;
  } else if (verb == "BDAT") {
    std::vector<absl::string_view> words =
        absl::StrSplit(arg, ' ', absl::SkipEmpty());
    uint64_t size = 0;
    // RFC 3030: "BDAT" SP chunk-size [SP end-marker]; anything else is refused by the
    // server and carries no chunk, so it must not swallow the bytes that follow.
    const bool well_formed = !words.empty() && words.size() <= 2 &&
                             absl::SimpleAtoi(words[0], &size) &&
                             (words.size() == 1 || absl::EqualsIgnoreCase(words[1], "LAST"));
    if (!well_formed) {
      Push(Verb::kOther, ts);
      return;
    }
    bdat_last_ = words.size() > 1;
    Current(ts).activity = true;
    Push(bdat_last_ ? Verb::kBdatLast : Verb::kBdat, ts);
    pending_.back().bdat_seq = ++bdat_seq_;
    bdat_remaining_ = size;
    if (size > 0) {
      // The chunk's first bytes wait (bdat_taken_) until the chunk is complete, past
      // max_bdat_hold_bytes, or refused before it came (then they are commands).
      mode_ = ClientMode::kBdat;
      bdat_holding_ = true;
      bdat_taken_.clear();
    } else {
      StartMessage(ts);
      if (bdat_last_) MessageComplete(ts);
    }
  } else if (verb == "RSET") {
    if (txn_ != nullptr && (!txn_->mailfrom.empty() || txn_->message != nullptr)) {
      LogCurrent(ts);
    }
    if (txn_ != nullptr) {
      txn_->mailfrom.clear();
      txn_->rcptto.clear();
    }
    Push(Verb::kRset, ts);
  } else if (verb == "STARTTLS") {
    Push(Verb::kStartTls, ts);
    mode_ = ClientMode::kAwaitTls;
  } else if (verb == "AUTH") {
    std::vector<absl::string_view> words = absl::StrSplit(arg, ' ', absl::SkipEmpty());
    auth_seen_ = true;
    auth_success_ = false;
    auth_user_.clear();
    auth_password_.clear();
    auth_mechanism_ =
        words.empty() ? "" : Capped(absl::AsciiStrToUpper(words[0]), limits_.max_value_bytes);
    auth_step_ = 0;
    Current(ts).activity = true;
    Push(Verb::kAuth, ts);
    mode_ = ClientMode::kAuth;
    if (words.size() > 1 && words[1] != "=") {
      DecodeAuth(words[1], /*username_step=*/true);
      auth_step_ = 1;
    }
  } else if (verb == "QUIT") {
    Push(Verb::kQuit, ts);
  } else {
    Push(Verb::kOther, ts);
  }
}

void SmtpAnalyzer::OnAuthLine(absl::Time ts, absl::string_view raw) {
  absl::string_view line = StripEol(raw);
  if (line == "*") return;  // cancelled; the server's 501 ends the exchange
  DecodeAuth(line, auth_step_ == 0);
  ++auth_step_;
}

// PLAIN: base64("authzid\0user\0password"). LOGIN: base64(user), then base64(password).
void SmtpAnalyzer::DecodeAuth(absl::string_view base64, bool username_step) {
  std::string decoded;
  if (!absl::Base64Unescape(base64, &decoded)) {
    ++stats_->auth_decode_failures;
    return;
  }
  if (auth_mechanism_ == "PLAIN") {
    std::vector<std::string> fields = absl::StrSplit(decoded, absl::ByChar('\0'));
    if (fields.size() == 3) {
      auth_user_ = Capped(fields[1], limits_.max_value_bytes);
      auth_password_ = Capped(fields[2], limits_.max_value_bytes);
    } else {
      ++stats_->auth_decode_failures;
    }
  } else if (auth_mechanism_ == "LOGIN") {
    (username_step ? auth_user_ : auth_password_) = Capped(decoded, limits_.max_value_bytes);
  }
}

// ---------------------------------------------------------------- server side

size_t SmtpAnalyzer::OnServerBytes(absl::Time ts, absl::string_view bytes) {
  const size_t total = bytes.size();
  while (!bytes.empty()) {
    LineReader::Status status = reply_lines_.Next(&bytes);
    if (status == LineReader::Status::kNeedMore) break;
    // A cut line keeps the code and the start of the text.
    if (status == LineReader::Status::kCutLine) ++stats_->long_lines;
    std::string line(StripEol(reply_lines_.TakeLine()));
    int code = 0;
    bool coded = line.size() >= 3 && absl::ascii_isdigit(line[0]) &&
                 absl::ascii_isdigit(line[1]) && absl::ascii_isdigit(line[2]) &&
                 (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (!coded) continue;  // garbage or a continuation line without a code
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (line.size() > 3 && line[3] == '-') continue;  // more lines follow
    OnReply(ts, code, line);
    if (handed_off()) return total - bytes.size();
  }
  return total;
}

void SmtpAnalyzer::ReleaseHeld(absl::Time ts) {
  std::string held = std::move(held_);
  held_.clear();
  OnClientBytes(ts, held);
}

void SmtpAnalyzer::TakeChunk(absl::Time ts, absl::string_view bytes) {
  if (!bdat_holding_) {
    StartMessage(ts);
    WriteMessage(bytes);
    return;
  }
  bdat_taken_.append(bytes.data(), bytes.size());
  if (bdat_taken_.size() > limits_.max_bdat_hold_bytes) FlushChunk(ts);
}

void SmtpAnalyzer::FlushChunk(absl::Time ts) {
  if (!bdat_holding_) return;
  bdat_holding_ = false;
  StartMessage(ts);
  WriteMessage(bdat_taken_);
  std::string().swap(bdat_taken_);
}

void SmtpAnalyzer::OnReply(absl::Time ts, int code, absl::string_view line) {
  ++stats_->replies;
  if (!greeted_) {
    // The greeting (220, or 554: no service) comes first even when the client spoke
    // before it (pipelined connect): its commands wait for the replies after it.
    greeted_ = true;
    if (code == 220 || code == 554) return;
  }
  if (pending_.empty()) {
    ++stats_->unmatched_replies;
    return;
  }
  Pending front = pending_.front();
  if (front.verb == Verb::kAuth && code == 334) return;  // continuation: AUTH stays
  pending_.pop_front();
  std::string reply = Capped(line, limits_.max_reply_text_bytes);
  if ((front.verb == Verb::kBdat || front.verb == Verb::kBdatLast) && code >= 400 &&
      mode_ == ClientMode::kBdat && bdat_holding_ && front.bdat_seq == bdat_seq_) {
    // Refused before its chunk had come (a size the server could not take, 501/552):
    // the client sent no chunk, and what we took for one are its next commands.
    ++stats_->bdat_refused;
    if (txn_ != nullptr) txn_->last_reply = reply;
    mode_ = ClientMode::kCommand;
    bdat_remaining_ = 0;
    bdat_holding_ = false;
    std::string replay = std::move(bdat_taken_);
    bdat_taken_.clear();
    OnClientBytes(ts, replay);
    return;
  }
  bool ends_message = front.verb == Verb::kEndOfData || front.verb == Verb::kBdatLast;
  if (txn_ != nullptr && !ends_message) txn_->last_reply = reply;
  switch (front.verb) {
    case Verb::kData:
      if (mode_ != ClientMode::kAwaitData) break;
      if (code == 354) {
        StartMessage(ts);
        mode_ = ClientMode::kData;
        data_line_ = DataLine::kLineStart;
      } else {
        mode_ = ClientMode::kCommand;
      }
      ReleaseHeld(ts);
      break;
    case Verb::kEndOfData:
    case Verb::kBdatLast:
      if (!done_.empty()) {
        std::unique_ptr<Transaction> t = std::move(done_.front());
        done_.pop_front();
        t->last_reply = reply;
        LogTransaction(ts, std::move(t));
      }
      break;
    case Verb::kStartTls:
      if (mode_ != ClientMode::kAwaitTls) break;
      if (code == 220) {
        held_.clear();
        tls_ = true;
        FlushTransactions(ts);
        Handoff h;
        h.to = kTlsStage;
        h.inner = "smtp";
        h.facts.continued = true;
        RequestHandoff(std::move(h));
      } else {
        mode_ = ClientMode::kCommand;
        ReleaseHeld(ts);
      }
      break;
    case Verb::kHelo:
    case Verb::kEhlo:
      if (code / 100 == 2) {
        if (front.open_txn != 0 && txn_ != nullptr && txn_->serial == front.open_txn) {
          LogCurrent(ts);
        }
        helo_ = front.arg;
      }
      break;
    case Verb::kAuth:
      auth_success_ = code == 235;
      if (mode_ == ClientMode::kAuth) mode_ = ClientMode::kCommand;
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- transactions

SmtpAnalyzer::Transaction& SmtpAnalyzer::Current(absl::Time ts) {
  if (txn_ == nullptr) {
    txn_ = std::make_unique<Transaction>();
    txn_->ts = ts;
    txn_->serial = next_txn_serial_++;
  }
  return *txn_;
}

void SmtpAnalyzer::StartMessage(absl::Time ts) {
  Transaction& t = Current(ts);
  if (t.message != nullptr) return;
  ObjectMeta meta{"smtp", "", "message/rfc822", "eml"};
  meta.sender = Direction::kClientToServer;
  txn_->message = out_->BeginObject(conn_, meta);
}

void SmtpAnalyzer::WriteMessage(absl::string_view bytes) {
  if (bytes.empty() || txn_ == nullptr || txn_->message == nullptr) return;
  Transaction& t = *txn_;
  t.message->Write(bytes);
  t.message_bytes += bytes.size();
  stats_->message_bytes += bytes.size();
  if (t.mime_overflow) return;
  t.budget = limits_.mime_budget;
  const bool over_budget =
      t.budget != nullptr && t.budget->used + bytes.size() > t.budget->limit;
  if (t.mime_buffer.size() + bytes.size() > limits_.mime.max_message_bytes || over_budget) {
    t.mime_overflow = true;
    t.mime_over_budget = over_budget;
    t.ReleaseMime();
    return;
  }
  t.mime_buffer.append(bytes.data(), bytes.size());
  if (t.budget != nullptr) t.budget->used += bytes.size();
}

void SmtpAnalyzer::EndMessage(absl::Time ts, bool complete) {
  if (txn_ == nullptr || txn_->message == nullptr) return;
  Transaction& t = *txn_;
  t.partial = !complete || t.message_gap;
  std::string stitched;
  if (t.message_gap && !t.mime_overflow) {
    // Parts complete on either side of the gaps are still worth having: cut each gap out
    // from the last boundary before it to the first one after it.
    absl::StatusOr<std::string> s = StitchAroundGaps(t.mime_buffer, t.gap_offsets);
    if (s.ok()) {
      stitched = *std::move(s);
      t.mime_error = "gap in message: parts around it resynchronised at MIME boundaries";
    }
  }
  if (t.message_gap && stitched.empty()) {
    if (t.mime_error.empty()) t.mime_error = "gap in message";
  } else if (t.mime_over_budget) {
    t.mime_error = "MIME parsing skipped: the memory budget was held by other messages";
  } else if (t.mime_overflow) {
    t.mime_error = "message over the MIME size limit";
  }
  // Parsed before the message's own files.jsonl record is written, so that the record
  // can name the mail's subject.
  std::optional<MimeMessage> parsed;
  if (!t.mime_error.empty() && stitched.empty()) {
    ++stats_->mime_skipped;
  } else {
    if (!stitched.empty()) ++stats_->mime_resynced;
    absl::StatusOr<MimeMessage> p = mime_.Extract(stitched.empty() ? t.mime_buffer : stitched);
    if (p.ok()) {
      parsed = *std::move(p);
    } else {
      ++stats_->mime_skipped;
      t.mime_error = ToValidUtf8(p.status().message());
    }
  }
  t.ReleaseMime();
  // The mail transaction that carried the objects, as smtp.jsonl names its fields.
  nlohmann::json carried = nlohmann::json::object();
  if (!t.mailfrom.empty()) carried["mailfrom"] = t.mailfrom;
  if (!t.rcptto.empty()) carried["rcptto"] = t.rcptto;
  if (parsed && !parsed->headers.subject.empty()) carried["subject"] = parsed->headers.subject;
  nlohmann::json extra = carried;
  if (t.partial) extra["partial"] = true;
  ObjectResult result = t.message->Finish(ts, extra);
  t.message.reset();
  t.message_done = true;
  ++stats_->messages;
  t.fuids.push_back(result.fuid);
  if (!parsed) return;
  t.headers = std::move(parsed->headers);
  t.have_headers = true;
  for (const MimePart& part : parsed->parts) {
    ObjectMeta meta;
    meta.source = "smtp";
    meta.name = part.filename;
    meta.declared_mime_type = NormalizeMimeType(part.mime_type);
    meta.mime_type = SniffMimeType(part.content, meta.declared_mime_type, &stats_->sniff);
    meta.extension = part.mime_type == "message/rfc822" ? "eml" : "";
    meta.sender = Direction::kClientToServer;
    std::unique_ptr<ObjectWriter> writer = out_->BeginObject(conn_, meta);
    writer->Write(part.content);
    nlohmann::json part_extra = carried;
    if (part.truncated) part_extra["partial"] = true;
    t.fuids.push_back(writer->Finish(ts, part_extra).fuid);
    ++stats_->parts;
  }
}

void SmtpAnalyzer::MessageComplete(absl::Time ts) {
  EndMessage(ts, /*complete=*/true);
  if (txn_ == nullptr) return;
  if (done_.size() >= limits_.max_pending_commands) {  // replies never came: log unanswered
    std::unique_ptr<Transaction> oldest = std::move(done_.front());
    done_.pop_front();
    LogTransaction(ts, std::move(oldest));
  }
  done_.push_back(std::move(txn_));
}

void SmtpAnalyzer::LogCurrent(absl::Time ts) { LogTransaction(ts, std::move(txn_)); }

// Logs transactions still waiting for a reply, then the current one if it did anything.
void SmtpAnalyzer::FlushTransactions(absl::Time ts) {
  while (!done_.empty()) {
    std::unique_ptr<Transaction> t = std::move(done_.front());
    done_.pop_front();
    LogTransaction(ts, std::move(t));
  }
  if (txn_ == nullptr) return;
  if (txn_->message != nullptr) EndMessage(ts, /*complete=*/false);
  bool only_helo = txn_->mailfrom.empty() && !txn_->message_done && !auth_seen_;
  if (txn_->activity && !(only_helo && logged_any_)) LogCurrent(ts);
  txn_.reset();
}

void SmtpAnalyzer::LogTransaction(absl::Time ts, std::unique_ptr<Transaction> txn) {
  if (txn == nullptr) return;
  Transaction& t = *txn;
  if (t.message != nullptr) {
    std::swap(txn, txn_);  // EndMessage works on txn_
    EndMessage(ts, /*complete=*/false);
    std::swap(txn, txn_);
  }
  nlohmann::json r = nlohmann::json::object();
  r["trans_depth"] = ++trans_depth_;
  if (!helo_.empty()) r["helo"] = helo_;
  if (!t.mailfrom.empty()) r["mailfrom"] = t.mailfrom;
  if (!t.rcptto.empty()) r["rcptto"] = t.rcptto;
  if (t.have_headers) {
    const MimeHeaders& h = t.headers;
    auto set = [&r](const char* key, const std::string& v) {
      if (!v.empty()) r[key] = v;
    };
    set("date", h.date);
    set("from", h.from);
    if (!h.to.empty()) r["to"] = h.to;
    if (!h.cc.empty()) r["cc"] = h.cc;
    set("reply_to", h.reply_to);
    set("msg_id", h.message_id);
    set("in_reply_to", h.in_reply_to);
    set("subject", h.subject);
    set("x_originating_ip", h.x_originating_ip);
    if (!h.received.empty()) r["first_received"] = h.received[0];
    if (h.received.size() > 1) r["second_received"] = h.received[1];
    set("user_agent", h.user_agent);
    std::vector<std::string> path = {conn_.server.addr.ToString(), conn_.client.addr.ToString()};
    for (const std::string& received : h.received) {
      std::string ip = ReceivedIp(received);
      if (!ip.empty()) path.push_back(ip);
    }
    r["path"] = path;
  }
  if (!t.last_reply.empty()) r["last_reply"] = t.last_reply;
  r["tls"] = tls_;
  if (!t.fuids.empty()) r["fuids"] = t.fuids;
  if (t.message_done) r["message_bytes"] = t.message_bytes;
  if (t.partial) r["partial"] = true;
  if (!t.mime_error.empty()) r["mime_error"] = t.mime_error;
  if (!server_seen_) r["server_not_seen"] = true;
  if (auth_seen_) {
    r["auth_mechanism"] = auth_mechanism_;
    if (!auth_user_.empty()) r["user"] = auth_user_;
    if (!auth_password_.empty()) r["password"] = auth_password_;
    r["auth_success"] = auth_success_;
  }
  out_->Record("smtp", conn_, t.ts, std::move(r));
  ++stats_->transactions;
  logged_any_ = true;
}

// ---------------------------------------------------------------- gaps and end

void SmtpAnalyzer::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  ++stats_->gaps;
  if (handed_off()) return;
  if (dir == Direction::kServerToClient) {
    reply_lines_.Reset(/*skip_to_eol=*/true);
    return;
  }
  switch (mode_) {
    case ClientMode::kData:
      if (txn_ != nullptr) txn_->MarkGap();
      data_line_ = DataLine::kMidLine;
      break;
    case ClientMode::kBdat:
      FlushChunk(ts);
      if (txn_ != nullptr) txn_->MarkGap();
      if (length < bdat_remaining_) {
        bdat_remaining_ -= length;
      } else {
        bdat_remaining_ = 0;
        mode_ = ClientMode::kCommand;
        client_lines_.Reset(/*skip_to_eol=*/length > bdat_remaining_);
        if (bdat_last_) MessageComplete(ts);
      }
      break;
    default:
      client_lines_.Reset(/*skip_to_eol=*/true);
      break;
  }
}

void SmtpAnalyzer::OnEnd(Direction, absl::Time) {}

void SmtpAnalyzer::OnClose(absl::Time ts) {
  if (handed_off()) return;
  while (mode_ == ClientMode::kAwaitData && !server_seen_) {
    // Only the client's side was captured: what it sent after DATA is the message (a
    // client waits for 354 before sending it), then its next commands (another DATA).
    StartMessage(ts);
    mode_ = ClientMode::kData;
    data_line_ = DataLine::kLineStart;
    ReleaseHeld(ts);
    client_lines_.ClearLine();  // an unfinished command line ends with the connection
  }
  FlushChunk(ts);
  FlushTransactions(ts);
}

}  // namespace tcpfollow
