// StageChain: detection by content on any port, replay of held bytes, giving up, detection
// after a gap, and the switches a stage asks for (to TLS with held bytes, to a named
// protocol, back to detection, to a protocol nobody parses), with fake protocols that log.
#include "tools/session/stage_chain.h"

#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;
const absl::Time kT = absl::FromUnixSeconds(1700000000);

using Log = std::vector<std::string>;

// Logs every event as "<name> <dir> <bytes>". Asks for a switch when the server says
// "GO <to>\n" (consuming up to and including it), handing over `held` client bytes.
class FakeAnalyzer : public Analyzer {
 public:
  FakeAnalyzer(std::string name, Log* log, std::string held = "")
      : name_(std::move(name)), log_(log), held_(std::move(held)) {}
  size_t OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    if (handed_off()) return 0;
    size_t used = bytes.size();
    if (dir == kS) {
      size_t at = bytes.find("GO ");
      size_t eol = bytes.find('\n', at);
      if (at != absl::string_view::npos && eol != absl::string_view::npos) {
        used = eol + 1;
        Handoff h;
        h.to = std::string(bytes.substr(at + 3, eol - at - 3));
        if (h.to == "detect") h.to = kDetectByContent;
        if (h.to == "tls") h.inner = "ping";
        h.held[0] = held_;
        RequestHandoff(std::move(h));
      }
    }
    log_->push_back(absl::StrCat(name_, dir == kC ? " C " : " S ", bytes.substr(0, used)));
    return used;
  }
  void OnGap(Direction dir, absl::Time, uint64_t n) override {
    log_->push_back(absl::StrCat(name_, dir == kC ? " C gap " : " S gap ", n));
  }
  void OnEnd(Direction dir, absl::Time) override {
    log_->push_back(absl::StrCat(name_, dir == kC ? " C end" : " S end"));
  }
  void OnClose(absl::Time) override { log_->push_back(name_ + " close"); }
  const char* service() const override { return name_.c_str(); }

 private:
  std::string name_;
  Log* log_;
  std::string held_;
};

class NullOutput : public AnalyzerOutput {
 public:
  void Record(absl::string_view, const ConnectionInfo&, absl::Time, nlohmann::json) override {}
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo&, const ObjectMeta&) override {
    return nullptr;
  }
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}
};

struct Fixture;

// A fake protocol: a detector and a factory that logs what it was told.
class FakeInstance : public ProtocolInstance {
 public:
  FakeInstance(std::string name, Fixture* f) : name_(std::move(name)), f_(f) {}
  Detection Detect(const DetectInput& in) const override;
  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo&, AnalyzerOutput*,
                                        const StageFacts& facts, NextStage next) override;
  nlohmann::json Stats() const override { return nlohmann::json::object(); }

 private:
  std::string name_;
  Fixture* f_;
};

struct Fixture {
  Log log;
  std::vector<ProtocolSpec> specs;
  std::unique_ptr<ProtocolSet> set;
  ConnectionInfo conn;
  NullOutput out;
  std::string held_for_handoff;
  StageFacts last_facts;

  Fixture() {
    conn.saw_handshake = true;
    for (std::string name : {"tls", "ping", "hello", "named"}) {
      ProtocolSpec spec;
      spec.name = name;
      spec.alpn = {name + "-alpn"};
      spec.detect_by_content = name != "named";
      spec.make = [this, name](const ProtocolConfig&) {
        return std::make_unique<FakeInstance>(name, this);
      };
      specs.push_back(spec);
    }
    set = std::make_unique<ProtocolSet>(specs, ProtocolConfig());
  }
  StageChain Chain(StageFacts facts = {}) {
    return StageChain(&conn, &out, set.get(), std::move(facts), nullptr, nullptr);
  }
};

Detection FakeInstance::Detect(const DetectInput& in) const {
  absl::string_view c = in.client, s = in.server;
  if (name_ == "tls") {
    return absl::StartsWith(c, "\x16\x03") ? Detection::kYes : Detection::kNo;
  }
  if (name_ == "ping") {  // client-first, decided on a full line
    if (absl::StartsWith(c, "PING ")) return Detection::kYes;
    if (c.size() < 5 && absl::StartsWith("PING ", c)) return Detection::kMaybe;
    return Detection::kNo;
  }
  // hello: server-first greeting, then "HI"; alone at the end, the greeting is enough.
  if (absl::StartsWith(s, "HELLO") && absl::StartsWith(c, "HI")) return Detection::kYes;
  if (c.empty() && absl::StartsWith(s, "HELLO") && in.client_ended) return Detection::kYes;
  if (c.empty() && (s.empty() || absl::StartsWith(s, "HELLO"))) return Detection::kMaybe;
  return Detection::kNo;
}

std::unique_ptr<Analyzer> FakeInstance::NewAnalyzer(const ConnectionInfo&, AnalyzerOutput*,
                                                    const StageFacts& facts,
                                                    NextStage next) {
  f_->last_facts = facts;
  std::string label = name_ + (facts.tls ? "/tls" : "") + (facts.midstream ? "/mid" : "");
  if (name_ == "tls") {
    // The fake TLS stage makes its plaintext stage at once, telling it an ALPN.
    StageFacts learned;
    learned.alpn = "hello-alpn";
    std::unique_ptr<Analyzer> inner = next(learned);
    f_->log.push_back(std::string("tls downstream ") + (inner ? inner->service() : "none"));
    return std::make_unique<FakeAnalyzer>(label, &f_->log);
  }
  return std::make_unique<FakeAnalyzer>(label, &f_->log, facts.tls ? "" : f_->held_for_handoff);
}

TEST_CASE("StageChain: detects on the first line, replaying what it held", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PI");
  CHECK(f.log.empty());  // still "maybe"
  chain.OnData(kC, kT, "NG 1\n");
  chain.OnData(kS, kT, "PONG\n");
  chain.OnEnd(kC, kT);
  chain.OnClose(kT);
  CHECK(f.log == Log{"ping C PI", "ping C NG 1\n", "ping S PONG\n", "ping C end", "ping close"});
  CHECK(std::string(chain.service()) == "ping");
}

TEST_CASE("StageChain: server-first protocol waits for the client", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kS, kT, "HELLO there\n");
  CHECK(f.log.empty());
  chain.OnData(kC, kT, "HI\n");
  CHECK(f.log == Log{"hello S HELLO there\n", "hello C HI\n"});
}

TEST_CASE("StageChain: a one-sided connection is decided when it closes", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kS, kT, "HELLO there\n");
  CHECK(f.log.empty());
  chain.OnClose(kT);
  CHECK(f.log == Log{"hello S HELLO there\n", "hello close"});
}

TEST_CASE("StageChain: unknown content is left unparsed", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "\x01\x02 binary");
  chain.OnData(kC, kT, "PING 1\n");  // too late: the connection was given up
  chain.OnClose(kT);
  CHECK(f.log.empty());
  CHECK(std::string(chain.service()).empty());
}

TEST_CASE("StageChain: after a gap, detection goes on with what follows it", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PI");
  chain.OnGap(kC, kT, 100);
  chain.OnData(kC, kT, "PING 2\n");
  CHECK(f.log == Log{"ping/mid C PI", "ping/mid C gap 100", "ping/mid C PING 2\n"});
  CHECK(f.last_facts.midstream);
}

TEST_CASE("StageChain: midstream, unplaceable bytes are skipped as a gap, not held",
          "[session]") {
  // A capture that starts inside a download: the server's bytes fill the window while the
  // client has said nothing; they go to the analyzer as a gap once the client speaks.
  Fixture f;
  f.conn.saw_handshake = false;
  StageChain chain = f.Chain();
  const std::string chunk(1000, 'x');
  for (int i = 0; i < 24; ++i) chain.OnData(kS, kT, chunk);
  CHECK(f.log.empty());
  chain.OnData(kC, kT, "PING 1\n");
  // 9000 bytes filled the window twice (18000 skipped, one gap); 6000 were still held.
  REQUIRE(f.log.size() == 8);
  CHECK(f.log[0] == "ping/mid S gap 18000");
  for (int i = 1; i <= 6; ++i) CHECK(f.log[i] == "ping/mid S " + chunk);
  CHECK(f.log[7] == "ping/mid C PING 1\n");
}

TEST_CASE("StageChain: midstream skipping is bounded", "[session]") {
  Fixture f;
  f.conn.saw_handshake = false;
  StageChain chain = f.Chain();
  const std::string chunk(4096, 'x');
  for (uint64_t n = 0; n <= StageChain::kMaxMidstreamSkipBytes + 2 * StageChain::kMaxDetectBytes;
       n += chunk.size()) {
    chain.OnData(kS, kT, chunk);
  }
  chain.OnData(kC, kT, "PING 1\n");  // too late: the connection was given up
  chain.OnClose(kT);
  CHECK(f.log.empty());
}

TEST_CASE("StageChain: detection window is bounded", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  // Server-first and silent client: "maybe" until the window fills, then unparsed.
  chain.OnData(kS, kT, "HELLO");
  chain.OnData(kS, kT, std::string(StageChain::kMaxDetectBytes, 'x'));
  chain.OnData(kC, kT, "HI\n");
  CHECK(f.log.empty());
}

TEST_CASE("StageChain: TLS detected on the raw stream; ALPN picks the plaintext stage",
          "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "\x16\x03\x01 hello");
  CHECK(f.log == Log{"tls downstream hello", "tls C \x16\x03\x01 hello"});
  CHECK(std::string(chain.service()) == "tls");
  CHECK(f.last_facts.tls);
  CHECK(f.last_facts.alpn == "hello-alpn");
}

TEST_CASE("StageChain: a switch to TLS feeds held bytes, then the rest", "[session]") {
  Fixture f;
  f.held_for_handoff = "CLIENTHELLO";  // what a CONNECT client sent before the 200
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PING 1\n");
  chain.OnData(kS, kT, "ok GO tls\nSERVERHELLO");
  chain.OnData(kC, kT, "FINISHED");
  // The handoff named the plaintext's protocol ("ping"): ALPN does not override it.
  CHECK(f.log == Log{"ping C PING 1\n", "ping S ok GO tls\n", "ping close",
                     "tls downstream ping", "tls C CLIENTHELLO", "tls S SERVERHELLO",
                     "tls C FINISHED"});
  CHECK(std::string(chain.service()) == "ping");
}

TEST_CASE("StageChain: a switch to a named protocol, and back to detection", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PING 1\n");
  chain.OnData(kS, kT, "GO named\nnamed bytes");
  CHECK(f.log == Log{"ping C PING 1\n", "ping S GO named\n", "ping close", "named S named bytes"});
  f.log.clear();
  chain.OnData(kS, kT, "GO detect\n");
  chain.OnData(kC, kT, "\x16\x03\x01 tunnel");
  CHECK(f.log == Log{"named S GO detect\n", "named close", "tls downstream hello",
                     "tls C \x16\x03\x01 tunnel"});
}

TEST_CASE("StageChain: a switch to a protocol nobody parses stops parsing", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PING 1\n");
  chain.OnData(kS, kT, "GO websocket\nframes");
  chain.OnData(kC, kT, "more");
  CHECK(f.log == Log{"ping C PING 1\n", "ping S GO websocket\n", "ping close"});
}

TEST_CASE("StageChain: switches are capped", "[session]") {
  Fixture f;
  StageChain chain = f.Chain();
  chain.OnData(kC, kT, "PING 1\n");
  for (int i = 0; i < StageChain::kMaxSwitches + 2; ++i) chain.OnData(kS, kT, "GO ping\n");
  int closes = 0;
  for (const std::string& l : f.log) closes += l == "ping close";
  CHECK(closes == StageChain::kMaxSwitches + 1);
}

TEST_CASE("StageChain: decrypted plaintext nobody parses is counted by reason", "[session]") {
  Fixture f;
  StageChainStats stats;
  auto plaintext = [&](const std::string& alpn, const std::string& bytes) {
    StageFacts facts;
    facts.tls = true;
    facts.alpn = alpn;
    StageChain chain(&f.conn, &f.out, f.set.get(), facts, nullptr, &stats, "", /*depth=*/1);
    if (!bytes.empty()) chain.OnData(kC, kT, bytes);
    chain.OnClose(kT);
    chain.OnClose(kT);  // counted once
  };
  plaintext("spdy/3", "\x80\x03\x00\x01 frames");
  plaintext("spdy/3", "\x80\x03\x00\x01 more");
  plaintext("", "* OK IMAP4rev1 ready\r\n");
  plaintext("odd\x01" "alpn", "\x01\x02");
  plaintext("hello-alpn", "HI\n");      // parsed: ALPN names a protocol
  plaintext("", "PING 1\n");             // parsed: detected by content
  plaintext("spdy/3", "");               // no plaintext: nothing to parse
  CHECK(stats.decrypted_not_parsed ==
        std::map<std::string, uint64_t>{{"ALPN spdy/3", 2},
                                        {"ALPN odd\\x01alpn", 1},
                                        {"no protocol detected in the plaintext", 1}});
  // A cleartext connection nobody parses is undetected, not "decrypted but not parsed".
  StageChain clear(&f.conn, &f.out, f.set.get(), StageFacts(), nullptr, &stats);
  clear.OnData(kC, kT, "\x01\x02 binary");
  clear.OnClose(kT);
  CHECK(stats.decrypted_not_parsed.size() == 3);
}

TEST_CASE("StageChain: reasons for unparsed plaintext are bounded", "[session][limits]") {
  Fixture f;
  StageChainStats stats;
  for (size_t i = 0; i < StageChain::kMaxNotParsedReasons + 4; ++i) {
    StageFacts facts;
    facts.tls = true;
    facts.alpn = absl::StrCat("x", i);
    StageChain chain(&f.conn, &f.out, f.set.get(), facts, nullptr, &stats, "", 1);
    chain.OnData(kC, kT, "\x01\x02");
    chain.OnClose(kT);
  }
  CHECK(stats.decrypted_not_parsed.size() == StageChain::kMaxNotParsedReasons + 1);
  CHECK(stats.decrypted_not_parsed["ALPN (other)"] == 4);
}

}  // namespace
}  // namespace tcpfollow
