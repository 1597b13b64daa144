// FTP (RFC 959, 2428, 4217): FtpAnalyzer follows the control channel, FtpDataAnalyzer the
// data connections it announces, and an FtpSession shared between them ties each data
// connection to the command that used it.
//
// Control: commands and replies (multi-line replies included) are matched in order; every
// command gives one ftp.jsonl record at its final reply (Zeek ftp.log fields: user,
// password, command, arg, reply_code, reply_msg, data_channel.*, fuid, file_size,
// mime_type). After a gap the first line is kept when it starts as a command or reply
// does (the gap ended on a line boundary), and the next final reply answers the last
// command sent before it: commands before that one lost their reply in the gap
// (reply_lost). A reply line without a proper code ("99 x", "230_no_space", no code) is
// still the final answer to the command in front (malformed_reply). file_size comes from
// the data connection, else from the 150 reply's "(N bytes)". A 227/229 reply (passive: client -> announced ip:port) or a 200 reply to
// PORT/EPRT (active: server -> client ip:port, any source port) registers an expected
// connection through AnalyzerOutput::ExpectConnection; when the announced address differs
// from the control connection's (NAT) a second expectation uses the control address.
// AUTH TLS/SSL: after the 234 reply OnData returns having consumed up to the end of that
// reply and asks for a handoff to TLS; the session builds FtpAnalyzer(..., /*after_tls=*/true).
//
// Data: the bytes of a data connection become one object named after the command's argument
// (the command itself, e.g. "LIST", when there is none). A data connection may start, and
// with a sharded pipeline even deliver bytes, before its RETR/STOR/LIST is seen: the bytes
// are then held in the session (FtpLimits::max_unbound_bytes) and the object is begun once
// the command is known; over the cap the object is begun unnamed (counted). A transfer's
// record is written when both its final reply and the end of its data are seen (or at
// control close). FtpSession is locked, so control and data may run on different threads.
// The object's files.jsonl record names the command and argument that carried it, and its
// missing_bytes count gaps and, when the 150 reply said "(N bytes)" or (for a RETR) SIZE
// answered 213 N for that file, whatever of N the data connection never delivered (not
// after REST; a size that arrives after the data connection ended is not used).
// PROT P data channels are TLS: their records say "encrypted", and when the TLS stage can
// decrypt them (key log, RSA key) also "decrypted", with the transfer stored as an object.
#ifndef TCPFOLLOW_PROTOCOLS_FTP_FTP_ANALYZER_H_
#define TCPFOLLOW_PROTOCOLS_FTP_FTP_ANALYZER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "protocols/line_reader.h"
#include "protocols/mime_sniffer.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

struct FtpLimits {
  size_t max_command_line_bytes = 8192;
  size_t max_reply_line_bytes = 8192;
  size_t max_reply_msg_bytes = 512;
  size_t max_value_bytes = 1024;          // user, password, arg in records
  size_t max_pending_commands = 64;
  size_t max_channels = 64;               // announced data channels remembered per session
  size_t max_unbound_bytes = 1u << 20;    // data held before its command is known
  absl::Duration data_channel_timeout = absl::Minutes(2);
  // A worker's totals: each analyzer adds its counters when it is destroyed; null: none.
  struct FtpStats* totals = nullptr;
};

struct FtpStats {
  uint64_t commands = 0;
  uint64_t replies = 0;
  uint64_t long_lines = 0;
  uint64_t pending_overflow = 0;
  uint64_t unmatched_replies = 0;
  uint64_t channels = 0;            // data channels announced
  uint64_t channels_evicted = 0;    // over max_channels
  uint64_t data_connections = 0;    // data analyzers attached
  uint64_t transfers = 0;           // objects finished
  uint64_t transfer_bytes = 0;
  uint64_t unbound_overflow = 0;    // objects begun before their command was known
  uint64_t ignored_data_bytes = 0;  // reverse direction, unattached, encrypted
  uint64_t gaps = 0;
  uint64_t lines_dropped_after_gap = 0;  // tails of lines a gap cut
  uint64_t replies_lost = 0;             // commands whose reply was in a gap
  uint64_t malformed_replies = 0;        // reply lines without a proper code, still paired
  MimeSniffStats sniff;                  // transferred files' MIME types
};
FtpStats& operator+=(FtpStats& a, const FtpStats& b);

// Content detection: a 220 greeting and FTP commands from the client (or, with no client
// bytes yet, a greeting naming FTP).
bool LooksLikeFtp(absl::string_view client_first, absl::string_view server_first);

// The size a 150 reply announces: "... (8192 bytes)". Exposed for tests.
std::optional<uint64_t> AnnouncedSize(absl::string_view reply_text);

// Parsers for the address forms, exposed for tests.
std::optional<Endpoint> ParsePasvReply(absl::string_view text);  // "(h1,h2,h3,h4,p1,p2)"
std::optional<uint16_t> ParseEpsvReply(absl::string_view text);  // "(|||port|)"
std::optional<Endpoint> ParsePortArg(absl::string_view arg);     // "h1,h2,h3,h4,p1,p2"
std::optional<Endpoint> ParseEprtArg(absl::string_view arg);     // "|2|::1|2121|"

class FtpSession;

class FtpAnalyzer : public Analyzer {
 public:
  FtpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
              const FtpLimits& limits = FtpLimits(), bool after_tls = false);
  ~FtpAnalyzer() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override {}
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "ftp"; }

  FtpStats stats() const;

 private:
  struct Command {
    std::string verb;
    std::string arg;
    absl::Time ts;
    int channel = -1;     // data channel used (transfer commands)
    int preliminary = 0;  // 1xx code seen
    std::string preliminary_msg;
    int announced = -1;   // PORT/EPRT: the channel announced when the command was sent
    bool restarted = false;  // a REST offset applies to this transfer
  };
  // The size a SIZE reply gave for a RETR's file; none for other commands, other files,
  // or a transfer restarted at an offset.
  std::optional<uint64_t> ExpectedSize(const Command& cmd) const;

  void OnClientLine(absl::Time ts, absl::string_view line);
  void OnReply(absl::Time ts, const std::string& line);
  // Writes the command's record (code 0: none came); transfers wait in the session for
  // their data.
  void LogCommand(Command cmd, int code, const std::string& text, bool reply_lost,
                  bool malformed, int announced = -1);
  // Registers the expected data connection; returns the session's channel id.
  int Announce(absl::Time ts, bool passive, const Endpoint& target);

  ConnectionInfo conn_;
  AnalyzerOutput* out_;
  FtpLimits limits_;
  bool tls_;
  std::shared_ptr<FtpSession> session_;

  LineReader client_lines_{limits_.max_command_line_bytes};
  LineReader reply_lines_{limits_.max_reply_line_bytes};
  bool client_after_gap_ = false;  // the next complete line is the first after a gap
  bool reply_after_gap_ = false;
  bool replies_lost_ = false;      // a gap in the replies since the last final reply
  int multiline_code_ = 0;      // code of the multi-line reply in progress
  bool greeted_ = false;
  std::deque<Command> pending_;
  int next_channel_ = -1;       // announced, not yet used by a transfer command

  std::string user_;
  std::string password_;
  bool restarted_ = false;                 // REST seen; the next transfer starts there
  std::optional<std::string> sized_path_;  // the last SIZE answered (213) ...
  uint64_t sized_bytes_ = 0;               // ... and its size
  FtpStats counts_;  // control-side counters; data-side ones live in the session
};

// The data side: bytes from either direction (the first that sends) go to the session.
// After PROT P the channel carries TLS: this analyzer asks for a handoff to TLS whose
// successor receives the plaintext and stores the transfer as a cleartext one would be.
class FtpDataAnalyzer : public Analyzer {
 public:
  FtpDataAnalyzer(const ConnectionInfo& conn, std::shared_ptr<FtpSession> session,
                  int channel);
  ~FtpDataAnalyzer() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "ftp-data"; }

 private:
  struct AfterTls {};
  FtpDataAnalyzer(const FtpDataAnalyzer& cleartext, AfterTls);
  void End(absl::Time ts);

  ConnectionInfo conn_;
  std::shared_ptr<FtpSession> session_;
  int channel_;
  bool decrypted_ = false;   // this analyzer receives the TLS plaintext
  bool attached_ = false;
  bool has_direction_ = false;
  Direction direction_ = Direction::kServerToClient;
  bool ended_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_FTP_FTP_ANALYZER_H_
