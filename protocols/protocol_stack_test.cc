// ProtocolStack: detection by content on any port, replay of held bytes, giving up, and
// the handoff to a TLS stage (STARTTLS / CONNECT), with fake protocols that log events.
#include "protocols/protocol_stack.h"

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

// Logs every event as "<name> <dir> <bytes>"; hands off to TLS after the server says
// "GO TLS\n" (consuming up to and including it).
class FakeAnalyzer : public Analyzer {
 public:
  FakeAnalyzer(std::string name, Log* log, std::string held = "")
      : name_(std::move(name)), log_(log), held_(std::move(held)) {}
  size_t OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    size_t used = bytes.size();
    if (dir == kS) {
      size_t at = bytes.find("GO TLS\n");
      if (at != absl::string_view::npos) {
        used = at + 7;
        handoff_ = Handoff::kTls;
      }
      if (absl::StartsWith(bytes, "OPAQUE")) handoff_ = Handoff::kOpaque, used = 0;
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
  Handoff handoff() const override { return handoff_; }
  std::string TakeHeldBytes(Direction dir) override {
    std::string out;
    if (dir == kC) out.swap(held_);
    return out;
  }
  const char* service() const override { return name_.c_str(); }

 private:
  std::string name_;
  Log* log_;
  std::string held_;
  Handoff handoff_ = Handoff::kNone;
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

struct Fixture {
  Log log;
  ProtocolSet set;
  ConnectionInfo conn;
  NullOutput out;
  std::string held_for_handoff;

  Fixture() {
    // "PING": client-first, decided on a full line. "HELLO": server-first greeting.
    set.protocols.push_back(
        {"ping",
         [](absl::string_view c, absl::string_view) {
           if (absl::StartsWith(c, "PING ")) return Detection::kYes;
           if (c.size() < 5 && absl::StartsWith("PING ", c)) return Detection::kMaybe;
           return Detection::kNo;
         },
         [this](const ConnectionInfo&, AnalyzerOutput*, bool after_tls) {
           return std::make_unique<FakeAnalyzer>(after_tls ? "ping/tls" : "ping", &log,
                                                 after_tls ? "" : held_for_handoff);
         }});
    set.protocols.push_back(
        {"hello",
         [](absl::string_view c, absl::string_view s) {
           if (absl::StartsWith(s, "HELLO") && absl::StartsWith(c, "HI")) return Detection::kYes;
           if (c.empty() && (s.empty() || absl::StartsWith(s, "HELLO"))) return Detection::kMaybe;
           return Detection::kNo;
         },
         [this](const ConnectionInfo&, AnalyzerOutput*, bool) {
           return std::make_unique<FakeAnalyzer>("hello", &log);
         }});
    set.detect_tls = [](absl::string_view c, absl::string_view) {
      return absl::StartsWith(c, "\x16\x03") ? Detection::kYes : Detection::kNo;
    };
    set.make_tls = [this](const ConnectionInfo&, AnalyzerOutput*,
                          std::function<std::unique_ptr<Analyzer>()> downstream) {
      log.push_back("tls stage");
      // The fake TLS stage is a logger; it builds its downstream to show it is callable.
      std::unique_ptr<Analyzer> inner = downstream();
      log.push_back(std::string("tls downstream ") + (inner ? inner->service() : "none"));
      return std::make_unique<FakeAnalyzer>("tls", &log);
    };
  }
};

TEST_CASE("ProtocolStack: detects on the first line, replaying what it held", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "PI");
  CHECK(f.log.empty());  // still "maybe"
  stack.OnData(kC, kT, "NG 1\n");
  stack.OnData(kS, kT, "PONG\n");
  stack.OnEnd(kC, kT);
  stack.OnClose(kT);
  CHECK(f.log == Log{"ping C PI", "ping C NG 1\n", "ping S PONG\n", "ping C end", "ping close"});
  CHECK(std::string(stack.service()) == "ping");
}

TEST_CASE("ProtocolStack: server-first protocol waits for the client", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kS, kT, "HELLO there\n");
  CHECK(f.log.empty());
  stack.OnData(kC, kT, "HI\n");
  CHECK(f.log == Log{"hello S HELLO there\n", "hello C HI\n"});
}

TEST_CASE("ProtocolStack: unknown content is left unparsed", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "\x01\x02 binary");
  stack.OnData(kC, kT, "PING 1\n");  // too late: no protocol starts mid-stream
  stack.OnClose(kT);
  CHECK(f.log.empty());
  CHECK(std::string(stack.service()).empty());
}

TEST_CASE("ProtocolStack: a gap before detection gives up", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "PI");
  stack.OnGap(kC, kT, 100);
  stack.OnData(kC, kT, "NG 1\n");
  CHECK(f.log.empty());
}

TEST_CASE("ProtocolStack: detection window is bounded", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  // Server-first and silent client: "maybe" until the window fills, then unparsed.
  stack.OnData(kS, kT, "HELLO");
  stack.OnData(kS, kT, std::string(ProtocolStack::kMaxDetectBytes, 'x'));
  stack.OnData(kC, kT, "HI\n");
  CHECK(f.log.empty());
}

TEST_CASE("ProtocolStack: TLS detected on the raw stream", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "\x16\x03\x01 hello");
  CHECK(f.log == Log{"tls stage", "tls downstream ", "tls C \x16\x03\x01 hello"});
  CHECK(std::string(stack.service()) == "tls");
}

TEST_CASE("ProtocolStack: handoff to TLS feeds held bytes, then the rest", "[stack]") {
  Fixture f;
  f.held_for_handoff = "CLIENTHELLO";  // what a CONNECT client sent before the 200
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "PING 1\n");
  stack.OnData(kS, kT, "ok GO TLS\nSERVERHELLO");
  stack.OnData(kC, kT, "FINISHED");
  CHECK(f.log == Log{"ping C PING 1\n", "ping S ok GO TLS\n", "ping close", "tls stage",
                     "tls downstream ping/tls", "tls C CLIENTHELLO", "tls S SERVERHELLO",
                     "tls C FINISHED"});
  CHECK(std::string(stack.service()) == "ping");
}

TEST_CASE("ProtocolStack: opaque handoff stops parsing", "[stack]") {
  Fixture f;
  ProtocolStack stack(&f.conn, &f.out, &f.set, true, nullptr);
  stack.OnData(kC, kT, "PING 1\n");
  stack.OnData(kS, kT, "OPAQUE websocket frames");
  stack.OnData(kC, kT, "more");
  CHECK(f.log == Log{"ping C PING 1\n", "ping S "});
}

}  // namespace
}  // namespace tcpfollow
