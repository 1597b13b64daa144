#include "tools/session/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "protocols/ftp/ftp_protocol.h"
#include "protocols/http/http_protocol.h"
#include "protocols/http2/http2_protocol.h"
#include "protocols/smtp/smtp_protocol.h"
#include "tls/tls_protocol.h"

namespace tcpfollow {

std::vector<ProtocolSpec> RegisteredProtocols(tls::TlsDecryptorConfig tls) {
  // Detection order: TLS, then the cleartext protocols. Adding a protocol: one line here.
  return {
      tls::TlsProtocol(tls),
      HttpProtocol(),
      SmtpProtocol(),
      FtpProtocol(),
      Http2Protocol(),
  };
}

std::vector<std::string> RegisteredLogs() {
  std::vector<std::string> logs = {"flows"};
  for (const ProtocolSpec& spec : RegisteredProtocols()) {
    for (const std::string& log : spec.logs) {
      if (std::find(logs.begin(), logs.end(), log) == logs.end()) logs.push_back(log);
    }
  }
  logs.push_back("files");
  return logs;
}

std::string ProtocolHelp() {
  std::string out = "Protocols (detected by content on any port):\n";
  for (const ProtocolSpec& spec : RegisteredProtocols()) {
    absl::StrAppend(&out, "  ", spec.name, std::string(8 - std::min<size_t>(7, spec.name.size()), ' '),
                    spec.description, "\n");
  }
  return out;
}

void SumJson(nlohmann::json* into, const nlohmann::json& from) {
  if (into->is_null()) {
    *into = from;
    return;
  }
  if (into->is_number_unsigned() && from.is_number_unsigned()) {
    *into = into->get<uint64_t>() + from.get<uint64_t>();
  } else if (into->is_number() && from.is_number()) {
    *into = into->get<double>() + from.get<double>();
  } else if (into->is_object() && from.is_object()) {
    for (const auto& [k, v] : from.items()) SumJson(&(*into)[k], v);
  }
}

absl::StatusOr<std::unique_ptr<ProtocolRuntime>> ProtocolRuntime::Load(const Options& o,
                                                                       int shards) {
  auto r = std::make_unique<ProtocolRuntime>();
  auto keys = LoadKeyMaterial(o);
  if (!keys.ok()) return keys.status();
  r->keys_ = std::move(*keys);
  if (o.analyze) r->specs_ = RegisteredProtocols(r->keys_->Config());
  for (int i = 0; i < std::max(1, shards); ++i) {
    ProtocolConfig config;
    config.shard = i;
    r->sets_.emplace_back(r->specs_, config);
  }
  return r;
}

nlohmann::json ProtocolRuntime::Stats() const {
  nlohmann::json out = nlohmann::json::object();
  for (const ProtocolSet& set : sets_) {
    for (const ProtocolSet::Entry& e : set.entries()) {
      SumJson(&out[e.spec->name], e.instance->Stats());
    }
  }
  out["keys"] = KeyMaterialStats(*keys_);
  return out;
}

std::vector<std::string> ProtocolRuntime::SummaryLines() const {
  std::vector<std::string> lines;
  nlohmann::json stats = Stats();
  for (const ProtocolSpec& spec : specs_) {
    if (!spec.summary) continue;
    for (std::string& l : spec.summary(stats[spec.name])) lines.push_back(std::move(l));
  }
  if (!keys_->empty() || !lines.empty()) lines.push_back(keys_->Summary());
  return lines;
}

}  // namespace tcpfollow
