// SmtpAnalyzer: follows one SMTP conversation (RFC 5321) in both directions and turns it
// into smtp.jsonl records (one per mail transaction, Zeek smtp.log fields) and objects:
// each message as an .eml holding exactly what the server received (DATA after
// dot-unstuffing, without the terminating line; or the BDAT chunks), and every MIME leaf
// part decoded by MimeExtractor with its file name and type.
//
// Commands and replies are matched in order, so pipelining (RFC 2920) works; after DATA
// and STARTTLS the client's following bytes are held (bounded) until the server's reply
// says whether they are message content / TLS or more commands. AUTH PLAIN and LOGIN
// credentials are decoded into the records. STARTTLS: after the server's 220 the analyzer
// returns from OnData having consumed up to the end of that reply and asks for a handoff
// to TLS; the session builds a fresh SmtpAnalyzer(..., /*after_starttls=*/true) for
// the plaintext, whose records say tls=true and whose state starts after the greeting.
// The first reply of a connection whose start was seen is the greeting, even after client
// commands (a client that speaks before the banner: pipelined connect); a stream picked
// up in its middle (`midstream`) has no greeting. A capture holding only the client's side
// (no server byte by the end): DATA is taken as accepted, the message extracted from what
// the client sent, and the records say server_not_seen.
// Gaps: a gap inside a message marks it partial; its MIME parts complete on either side
// of the gap are still extracted (StitchAroundGaps); elsewhere the parser resynchronises at
// the next line. A BDAT refused (4xx/5xx) before its chunk arrived had no chunk: the bytes
// taken for one (held up to max_bdat_hold_bytes) are parsed as commands. The data terminator is "." CRLF at the start of a line
// (a line starts after any LF). Not done: BURL, CHUNKING with BINARYMIME semantics beyond
// passing bytes through, XCLIENT.
#ifndef TCPFOLLOW_PROTOCOLS_SMTP_SMTP_ANALYZER_H_
#define TCPFOLLOW_PROTOCOLS_SMTP_SMTP_ANALYZER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "protocols/line_reader.h"
#include "protocols/mime/mime_extractor.h"
#include "protocols/mime_sniffer.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

// Bytes held for MIME parsing by all SMTP connections together (one budget per worker,
// not thread-safe). MIME parsing needs the whole message, so without a shared cap every
// concurrent session could hold mime.max_message_bytes at once.
struct SmtpMimeBudget {
  size_t limit = 48u << 20;
  size_t used = 0;
};

struct SmtpLimits {
  size_t max_command_line_bytes = 4096;  // longer command lines are cut (counted)
  size_t max_reply_line_bytes = 4096;
  size_t max_reply_text_bytes = 512;     // last_reply kept in the record
  size_t max_pending_commands = 256;     // pipelined commands awaiting their replies
  size_t max_held_bytes = 64u << 10;     // client bytes held while DATA/STARTTLS await a reply
  size_t max_bdat_hold_bytes = 4096;     // first chunk bytes held until BDAT is not refused
  size_t max_recipients = 1000;
  size_t max_value_bytes = 1024;         // helo, mailfrom, each rcptto, credentials
  MimeLimits mime;                       // mime.max_message_bytes: larger messages are
                                         // written as .eml but not MIME-parsed (flagged)
  SmtpMimeBudget* mime_budget = nullptr; // shared cap across connections; null: none
  struct SmtpStats* stats = nullptr;     // counters shared across connections; null: own
};

struct SmtpStats {
  uint64_t commands = 0;
  uint64_t replies = 0;
  uint64_t transactions = 0;      // records written
  uint64_t messages = 0;          // .eml objects finished
  uint64_t message_bytes = 0;
  uint64_t parts = 0;             // MIME part objects written
  uint64_t long_lines = 0;        // command or reply lines over the cap
  uint64_t pending_overflow = 0;  // commands dropped from the reply-matching queue
  uint64_t held_overflow = 0;     // held bytes over the cap (treated as message content)
  uint64_t unmatched_replies = 0;
  uint64_t recipients_dropped = 0;
  uint64_t gaps = 0;
  uint64_t mime_skipped = 0;      // too large, gap, or refused by MimeExtractor
  uint64_t mime_resynced = 0;     // messages with gaps parsed around them at MIME boundaries
  uint64_t bdat_refused = 0;      // BDATs refused before their chunk: no chunk followed
  uint64_t auth_decode_failures = 0;
  MimeStats mime;                 // the MIME extractor's, added when the analyzer ends
  MimeSniffStats sniff;           // MIME types of the parts (the .eml is message/rfc822)
};

// Content detection: a "220" greeting from the server and EHLO/HELO from the client (or,
// with no client bytes yet, a greeting that names SMTP).
bool LooksLikeSmtp(absl::string_view client_first, absl::string_view server_first);

class SmtpAnalyzer : public Analyzer {
 public:
  SmtpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
               const SmtpLimits& limits = SmtpLimits(), bool after_starttls = false,
               bool midstream = false);
  ~SmtpAnalyzer() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "smtp"; }

  const SmtpStats& stats() const { return *stats_; }

 private:
  enum class ClientMode {
    kCommand,        // command lines
    kAwaitData,      // DATA sent, holding bytes until 354 or a refusal
    kData,           // message content up to "." CRLF
    kBdat,           // bdat_remaining_ bytes of chunk
    kAuth,           // AUTH continuation lines until the final reply
    kAwaitTls,       // STARTTLS sent, holding bytes until 220 or a refusal
  };
  enum class DataLine { kLineStart, kMidLine, kDot, kDotCr };
  enum class Verb { kHelo, kEhlo, kMail, kRcpt, kData, kBdat, kBdatLast, kEndOfData, kRset,
                    kQuit, kStartTls, kAuth, kOther };
  struct Pending {
    Verb verb;
    absl::Time ts;
    std::string arg;  // HELO/EHLO: the name, applied when the server accepts it
    // HELO/EHLO: the transaction with an envelope open when the command was sent (0: none);
    // it ends if the server accepts the command. Later (pipelined) transactions do not.
    uint64_t open_txn = 0;
    uint64_t bdat_seq = 0;  // BDAT: which one (the latest is bdat_seq_)
  };
  struct Transaction;

  void OnClientBytes(absl::Time ts, absl::string_view bytes);
  size_t OnServerBytes(absl::Time ts, absl::string_view bytes);
  size_t ConsumeData(absl::Time ts, absl::string_view bytes);
  void OnCommandLine(absl::Time ts, absl::string_view line);
  void OnAuthLine(absl::Time ts, absl::string_view line);
  void OnReply(absl::Time ts, int code, absl::string_view text);
  void ReleaseHeld(absl::Time ts);
  // BDAT chunk bytes: held while the chunk may still turn out refused, else written.
  void TakeChunk(absl::Time ts, absl::string_view bytes);
  void FlushChunk(absl::Time ts);
  void Push(Verb verb, absl::Time ts, std::string arg = std::string(), uint64_t open_txn = 0);

  Transaction& Current(absl::Time ts);
  void StartMessage(absl::Time ts);
  void WriteMessage(absl::string_view bytes);
  void EndMessage(absl::Time ts, bool complete);
  void MessageComplete(absl::Time ts);
  void LogCurrent(absl::Time ts);
  void FlushTransactions(absl::Time ts);
  void LogTransaction(absl::Time ts, std::unique_ptr<Transaction> t);
  void DecodeAuth(absl::string_view base64, bool username_step);

  ConnectionInfo conn_;
  AnalyzerOutput* out_;
  SmtpLimits limits_;
  bool tls_;
  SmtpStats own_stats_;
  SmtpStats* stats_;  // limits.stats (shared by a worker's analyzers) or own_stats_
  MimeExtractor mime_;

  // Client side.
  ClientMode mode_ = ClientMode::kCommand;
  LineReader client_lines_{limits_.max_command_line_bytes};
  std::string held_;
  DataLine data_line_ = DataLine::kLineStart;
  uint64_t bdat_remaining_ = 0;
  bool bdat_last_ = false;
  uint64_t bdat_seq_ = 0;
  bool bdat_holding_ = false;
  std::string bdat_taken_;

  // Server side.
  LineReader reply_lines_{limits_.max_reply_line_bytes};
  bool greeted_ = false;
  bool server_seen_ = false;  // any byte from the server
  std::deque<Pending> pending_;

  // Session state kept across transactions.
  std::string helo_;
  std::string auth_mechanism_;
  std::string auth_user_;
  std::string auth_password_;
  int auth_step_ = 0;
  bool auth_success_ = false;
  bool auth_seen_ = false;
  int trans_depth_ = 0;
  bool logged_any_ = false;

  std::unique_ptr<Transaction> txn_;
  uint64_t next_txn_serial_ = 1;
  // Transactions whose message is complete, waiting for the reply to its end.
  std::deque<std::unique_ptr<Transaction>> done_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_SMTP_SMTP_ANALYZER_H_
