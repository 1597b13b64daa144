#include "protocols/smtp/smtp_protocol.h"

#include "protocols/line_detect.h"
#include "protocols/smtp/smtp_analyzer.h"

namespace tcpfollow {
namespace {

const LineProtocolHints kHints = {
    LooksLikeSmtp,
    {"EHLO", "HELO"},
    {"MAIL FROM:", "RCPT TO:", "DATA", "BDAT", "STARTTLS", "AUTH", "RSET", "NOOP", "QUIT",
     "VRFY"},
    {"MAIL FROM:", "RCPT TO:", "EHLO", "HELO", "STARTTLS"},
};

class SmtpInstance : public ProtocolInstance {
 public:
  Detection Detect(const DetectInput& in) const override {
    return DetectLineProtocol(in, kHints);
  }

  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                                        const StageFacts& facts, NextStage) override {
    SmtpLimits limits;
    // GMime needs several times a message's size while parsing it: 16 MiB per message and
    // 48 MiB across a worker's connections keep a mail flood near 100 MB.
    limits.mime.max_message_bytes = 16u << 20;
    limits.mime_budget = &budget_;
    limits.stats = &stats_;
    return std::make_unique<SmtpAnalyzer>(conn, out, limits, facts.continued, facts.midstream);
  }

  nlohmann::json Stats() const override {
    const SmtpStats& s = stats_;
    return {{"commands", s.commands},
            {"replies", s.replies},
            {"transactions", s.transactions},
            {"messages", s.messages},
            {"message_bytes", s.message_bytes},
            {"parts", s.parts},
            {"long_lines", s.long_lines},
            {"pending_overflow", s.pending_overflow},
            {"held_overflow", s.held_overflow},
            {"unmatched_replies", s.unmatched_replies},
            {"recipients_dropped", s.recipients_dropped},
            {"gaps", s.gaps},
            {"mime_skipped", s.mime_skipped},
            {"mime_resynced", s.mime_resynced},
            {"bdat_refused", s.bdat_refused},
            {"auth_decode_failures", s.auth_decode_failures},
            {"mime_sniff", s.sniff.ToJson()},
            {"mime", {{"messages", s.mime.messages},
                      {"parsed", s.mime.parsed},
                      {"too_large", s.mime.too_large},
                      {"too_nested", s.mime.too_nested},
                      {"parse_failures", s.mime.parse_failures},
                      {"parts", s.mime.parts},
                      {"parts_dropped", s.mime.parts_dropped},
                      {"parts_truncated", s.mime.parts_truncated},
                      {"values_truncated", s.mime.values_truncated}}}};
  }

 private:
  SmtpMimeBudget budget_;
  SmtpStats stats_;
};

}  // namespace

ProtocolSpec SmtpProtocol() {
  ProtocolSpec spec;
  spec.name = "smtp";
  spec.description = "SMTP mail transactions (smtp.jsonl), messages (.eml) and attachments";
  spec.logs = {"smtp"};
  spec.ports = {25, 587, 2525};
  spec.fuzz_harnesses = {"smtp_fuzz", "mime_fuzz"};
  spec.make = [](const ProtocolConfig&) { return std::make_unique<SmtpInstance>(); };
  LogView view;
  view.log = "smtp";
  view.id = "mail";
  view.title = "Mail";
  view.fields = {{"ts", FieldKind::kTime}, {"uid"},     {"mailfrom", FieldKind::kIntern},
                 {"rcptto"},               {"from", FieldKind::kIntern},
                 {"to"},                   {"subject"}, {"date"},
                 {"msg_id"},               {"fuids"},   {"tls"}};
  view.columns = {TimeColumn(),
                  ConnectionColumn(),
                  {"from", {"from", "mailfrom"}},
                  {"to", {"to", "rcptto"}},
                  {"subject", {"subject"}},
                  {"date", {"date"}},
                  {"attachments", {"fuids"}, ColumnShow::kObjects},
                  {"tls", {"tls"}, ColumnShow::kYes}};
  spec.views = {std::move(view)};
  spec.colors = {{"smtp", "#59a14f"}};
  return spec;
}

}  // namespace tcpfollow
