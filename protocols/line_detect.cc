#include "protocols/line_detect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace tcpfollow {
namespace {

constexpr int kMaxLinesLooked = 8;

// The `n`th complete line of `s` (0-based), or false.
bool NthLine(absl::string_view s, int n, absl::string_view* line) {
  size_t pos = 0;
  for (int i = 0;; ++i) {
    size_t eol = s.find('\n', pos);
    if (eol == absl::string_view::npos) return false;
    if (i == n) {
      *line = s.substr(pos, eol - pos);
      return true;
    }
    pos = eol + 1;
  }
}

bool StartsWithVerb(absl::string_view line, std::initializer_list<absl::string_view> verbs) {
  for (absl::string_view v : verbs) {
    if (!absl::StartsWithIgnoreCase(line, v)) continue;
    // The verb is the whole first word.
    if (line.size() == v.size() || line[v.size()] == ' ' || line[v.size()] == '\r' ||
        line[v.size()] == ':' || v.back() == ' ' || v.back() == ':') {
      return true;
    }
  }
  return false;
}

// "NNN " / "NNN-" / "NNN\r": a numeric reply line.
bool IsReplyLine(absl::string_view line) {
  return line.size() >= 4 && absl::ascii_isdigit(line[0]) && absl::ascii_isdigit(line[1]) &&
         absl::ascii_isdigit(line[2]) && (line[3] == ' ' || line[3] == '-' || line[3] == '\r');
}

}  // namespace

Detection DetectLineProtocol(const DetectInput& in, const LineProtocolHints& hints) {
  if (hints.looks_like(in.client, in.server)) return Detection::kYes;
  absl::string_view line;

  if (in.midstream) {
    // Replies from the server, if any, must be replies.
    if (NthLine(in.server, 0, &line) && !IsReplyLine(line)) return Detection::kNo;
    for (int i = 0; i < kMaxLinesLooked && NthLine(in.client, i, &line); ++i) {
      if (StartsWithVerb(line, hints.midstream_verbs)) return Detection::kYes;
    }
    bool more = !(in.client_ended && in.server_ended);
    return more ? Detection::kMaybe : Detection::kNo;
  }

  // The client spoke first (or alone).
  if (NthLine(in.client, 0, &line) && StartsWithVerb(line, hints.opening_verbs)) {
    if (!in.server.empty()) {
      // The server's greeting decides; looks_like said no unless it is still incomplete.
      return NthLine(in.server, 0, &line) ? Detection::kNo : Detection::kMaybe;
    }
    if (NthLine(in.client, 1, &line) && StartsWithVerb(line, hints.verbs)) {
      return Detection::kYes;
    }
    return in.server_ended ? Detection::kYes : Detection::kMaybe;
  }

  // The usual order: a greeting, then the client's first command.
  if (in.server.empty()) {
    if (in.client.empty()) return Detection::kMaybe;
    return NthLine(in.client, 0, &line) ? Detection::kNo : Detection::kMaybe;
  }
  if (in.server[0] != '2' && in.server[0] != '1') return Detection::kNo;
  bool incomplete = !NthLine(in.server, 0, &line) || !NthLine(in.client, 0, &line);
  return incomplete && !(in.client_ended && in.server_ended) ? Detection::kMaybe
                                                             : Detection::kNo;
}

}  // namespace tcpfollow
