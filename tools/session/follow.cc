#include "tools/session/follow.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace tcpfollow {
namespace {

constexpr char kRule[] =
    "===================================================================\n";

bool IsServer(Direction dir) { return dir == Direction::kServerToClient; }

std::string GapLine(uint64_t n) { return absl::StrCat("[", n, " bytes missing from the capture]"); }

std::string Ascii(const FollowHeader& h, const FollowTranscript& t) {
  std::string out = absl::StrCat(kRule, "Follow: ", h.layer, " ", h.uid, "  ",
                                 h.client.ToString(), " -> ", h.server.ToString(), "  (",
                                 h.close_reason, ")\n", kRule);
  for (const FollowTranscript::Turn& turn : t.turns()) {
    const std::string indent = IsServer(turn.dir) ? "\t" : "";
    if (turn.missing > 0) {
      absl::StrAppend(&out, indent, GapLine(turn.missing), "\n");
      continue;
    }
    std::string line = indent;
    for (unsigned char ch : turn.bytes) {
      if (ch == '\n') {
        out += line + "\n";
        line = indent;
      } else if (ch != '\r') {
        line.push_back(ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : '.');
      }
    }
    if (line.size() > indent.size()) out += line + "\n";
  }
  return out;
}

// Wireshark's Hex Dump: offsets count each direction's bytes; server turns indented.
std::string HexDump(const FollowHeader& h, const FollowTranscript& t) {
  std::string out = absl::StrCat(kRule, "Follow: ", h.layer, " ", h.uid, "  ",
                                 h.client.ToString(), " -> ", h.server.ToString(), "  (",
                                 h.close_reason, ")\n", kRule);
  uint64_t offset[2] = {0, 0};
  for (const FollowTranscript::Turn& turn : t.turns()) {
    const std::string indent = IsServer(turn.dir) ? "    " : "";
    uint64_t& off = offset[Index(turn.dir)];
    if (turn.missing > 0) {
      absl::StrAppend(&out, indent, GapLine(turn.missing), "\n");
      off += turn.missing;
      continue;
    }
    for (size_t i = 0; i < turn.bytes.size(); i += 16) {
      absl::string_view row = absl::string_view(turn.bytes).substr(i, 16);
      std::string hex, text;
      for (size_t j = 0; j < 16; ++j) {
        if (j < row.size()) {
          unsigned char c = row[j];
          absl::StrAppendFormat(&hex, "%02x ", c);
          text.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
        } else {
          hex += "   ";
        }
        if (j == 7) hex += " ";
      }
      absl::StrAppendFormat(&out, "%s%08x  %s %s\n", indent, off + i, hex, text);
    }
    off += turn.bytes.size();
  }
  return out;
}

// Raw: each turn as one line of hex, server turns indented (tshark -z follow,tcp,raw).
std::string Raw(const FollowTranscript& t) {
  std::string out;
  for (const FollowTranscript::Turn& turn : t.turns()) {
    const std::string indent = IsServer(turn.dir) ? "\t" : "";
    if (turn.missing > 0) {
      absl::StrAppend(&out, indent, GapLine(turn.missing), "\n");
    } else {
      absl::StrAppend(&out, indent, absl::BytesToHexString(turn.bytes), "\n");
    }
  }
  return out;
}

// YAML as Wireshark's Follow Stream saves it: peers, then packets with base64 data.
std::string Yaml(const FollowHeader& h, const FollowTranscript& t) {
  std::string out = "# Follow: " + h.layer + " " + h.uid + "\npeers:\n";
  for (int p = 0; p < 2; ++p) {
    const Endpoint& e = p == 0 ? h.client : h.server;
    absl::StrAppend(&out, "  - peer: ", p, "\n    host: ", e.addr.ToString(),
                    "\n    port: ", e.port, "\n");
  }
  out += "packets:\n";
  int index = 0;
  for (const FollowTranscript::Turn& turn : t.turns()) {
    absl::StrAppendFormat(&out, "  - packet: %d\n    peer: %d\n    index: %d\n", index,
                          Index(turn.dir), index);
    absl::StrAppendFormat(&out, "    timestamp: %.6f\n", absl::ToDoubleSeconds(turn.ts - absl::UnixEpoch()));
    if (turn.missing > 0) {
      absl::StrAppend(&out, "    missing: ", turn.missing, "\n");
    } else {
      absl::StrAppend(&out, "    data: !!binary |\n      ", absl::Base64Escape(turn.bytes), "\n");
    }
    ++index;
  }
  return out;
}

std::string Json(const FollowHeader& h, const FollowTranscript& t) {
  nlohmann::json turns = nlohmann::json::array();
  for (const FollowTranscript::Turn& turn : t.turns()) {
    nlohmann::json j = {{"peer", IsServer(turn.dir) ? "server" : "client"},
                        {"ts", absl::ToDoubleSeconds(turn.ts - absl::UnixEpoch())}};
    if (turn.missing > 0) {
      j["missing"] = turn.missing;
    } else {
      j["data"] = absl::Base64Escape(turn.bytes);  // exact bytes; base64 keeps JSON valid
    }
    turns.push_back(std::move(j));
  }
  nlohmann::json rec = {{"follow", h.layer},
                        {"uid", h.uid},
                        {"client", h.client.ToString()},
                        {"server", h.server.ToString()},
                        {"close_reason", h.close_reason},
                        {"client_bytes", h.sent[0]},
                        {"server_bytes", h.sent[1]},
                        {"client_missing", h.missing[0]},
                        {"server_missing", h.missing[1]},
                        {"truncated", t.truncated()},
                        {"turns", std::move(turns)}};
  return rec.dump() + "\n";
}

}  // namespace

absl::StatusOr<FollowFormat> ParseFollowFormat(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  if (n == "ascii") return FollowFormat::kAscii;
  if (n == "hex" || n == "hexdump") return FollowFormat::kHex;
  if (n == "raw") return FollowFormat::kRaw;
  if (n == "yaml") return FollowFormat::kYaml;
  if (n == "json") return FollowFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--follow-format ", name, ": expected ascii, hex, raw, yaml or json"));
}

bool FollowSelects(absl::string_view selector, const ConnectionInfo& info,
                   absl::string_view uid) {
  if (selector.empty()) return true;
  if (selector == uid) return true;
  uint64_t index;
  if (absl::SimpleAtoi(selector, &index)) return info.id == index + 1;
  std::vector<absl::string_view> ends = absl::StrSplit(selector, ',');
  if (ends.size() != 2) return false;
  const std::string c = info.client.ToString(), s = info.server.ToString();
  return (ends[0] == c && ends[1] == s) || (ends[0] == s && ends[1] == c);
}

void FollowTranscript::Data(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (kept_ >= cap_) {
    truncated_ = true;
    return;
  }
  if (turns_.empty() || turns_.back().dir != dir || turns_.back().missing > 0) {
    turns_.push_back({dir, ts, std::string(), 0});
  }
  size_t take = std::min(bytes.size(), cap_ - kept_);
  turns_.back().bytes.append(bytes.data(), take);
  kept_ += take;
  if (take < bytes.size()) truncated_ = true;
}

void FollowTranscript::Gap(Direction dir, absl::Time ts, uint64_t length) {
  if (kept_ >= cap_) return;
  turns_.push_back({dir, ts, std::string(), length});
}

std::string RenderFollow(FollowFormat format, const FollowHeader& h,
                         const FollowTranscript& t) {
  std::string body;
  switch (format) {
    case FollowFormat::kJson: return Json(h, t);
    case FollowFormat::kYaml: return Yaml(h, t);
    case FollowFormat::kRaw: body = Raw(t); break;
    case FollowFormat::kHex: body = HexDump(h, t); break;
    case FollowFormat::kAscii: body = Ascii(h, t); break;
  }
  if (t.truncated()) body += "[transcript truncated]\n";
  absl::StrAppendFormat(&body,
                        "%sclient sent %d bytes (%d missing), server sent %d bytes (%d missing)\n\n",
                        kRule, h.sent[0], h.missing[0], h.sent[1], h.missing[1]);
  return body;
}

}  // namespace tcpfollow
