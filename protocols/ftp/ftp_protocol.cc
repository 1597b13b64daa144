#include "protocols/ftp/ftp_protocol.h"

#include "protocols/ftp/ftp_analyzer.h"
#include "protocols/line_detect.h"

namespace tcpfollow {
namespace {

const LineProtocolHints kHints = {
    LooksLikeFtp,
    {"USER", "AUTH", "FEAT", "SYST", "OPTS"},
    {"PASS", "USER", "AUTH", "PBSZ", "PROT", "SYST", "FEAT", "PWD", "CWD", "TYPE", "PASV",
     "EPSV", "PORT", "EPRT", "LIST", "NLST", "RETR", "STOR", "SIZE", "QUIT"},
    // USER/PASS are POP3's too: a session seen from its middle needs transfer verbs.
    {"RETR", "STOR", "PASV", "EPSV", "PORT", "EPRT", "CWD", "PWD", "TYPE", "NLST", "MLSD",
     "SIZE", "MDTM"},
};

class FtpInstance : public ProtocolInstance {
 public:
  Detection Detect(const DetectInput& in) const override {
    return DetectLineProtocol(in, kHints);
  }

  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                                        const StageFacts& facts, NextStage) override {
    FtpLimits limits;
    limits.totals = &stats_;
    return std::make_unique<FtpAnalyzer>(conn, out, limits, facts.continued);
  }

  nlohmann::json Stats() const override {
    const FtpStats& s = stats_;
    return {{"commands", s.commands},
            {"replies", s.replies},
            {"long_lines", s.long_lines},
            {"pending_overflow", s.pending_overflow},
            {"unmatched_replies", s.unmatched_replies},
            {"channels", s.channels},
            {"channels_evicted", s.channels_evicted},
            {"data_connections", s.data_connections},
            {"transfers", s.transfers},
            {"transfer_bytes", s.transfer_bytes},
            {"unbound_overflow", s.unbound_overflow},
            {"ignored_data_bytes", s.ignored_data_bytes},
            {"gaps", s.gaps},
            {"mime_sniff", s.sniff.ToJson()}};
  }

 private:
  FtpStats stats_;
};

}  // namespace

ProtocolSpec FtpProtocol() {
  ProtocolSpec spec;
  spec.name = "ftp";
  spec.description = "FTP commands (ftp.jsonl) and transferred files, AUTH TLS and PROT P";
  spec.logs = {"ftp"};
  spec.ports = {21};
  spec.fuzz_harnesses = {"ftp_fuzz"};
  spec.make = [](const ProtocolConfig&) { return std::make_unique<FtpInstance>(); };
  LogView view;
  view.log = "ftp";
  view.id = "ftp";
  view.title = "FTP";
  view.fields = {{"ts", FieldKind::kTime},  {"uid"},
                 {"user", FieldKind::kIntern}, {"command", FieldKind::kIntern},
                 {"arg"},                   {"reply_code"},
                 {"reply_msg", FieldKind::kIntern}, {"fuid"},
                 {"file_size"},             {"mime_type", FieldKind::kIntern}};
  view.columns = {TimeColumn(),
                  ConnectionColumn(),
                  {"user", {"user"}},
                  {"command", {"command"}},
                  {"arg", {"arg"}},
                  {"reply", {"reply_code"}},
                  {"message", {"reply_msg"}},
                  {"file", {"fuid"}, ColumnShow::kObjects},
                  {"size", {"file_size"}, ColumnShow::kCount}};
  // One row per control connection: its user, how many commands, the files it moved.
  LogGroup sessions;
  sessions.title = "Sessions";
  sessions.noun = "ftp session";
  sessions.key = ConnectionColumn();
  sessions.latest = {{"user", {"user"}}};
  sessions.count_title = "commands";
  sessions.items_title = "transfers";
  sessions.items_if = "fuid";
  sessions.item = {{"", {"command"}},
                   {"", {"fuid"}, ColumnShow::kObjects},
                   {"bytes", {"file_size"}, ColumnShow::kCount},
                   {"", {"arg"}}};
  view.groups = {std::move(sessions)};
  view.records_title = "Commands";
  spec.views = {std::move(view)};
  // FtpDataAnalyzer names the data connections "ftp-data".
  spec.colors = {{"ftp", "#b07aa1"}, {"ftp-data", "#76b7b2"}};
  return spec;
}

}  // namespace tcpfollow
