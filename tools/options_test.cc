#include "tools/options.h"

#include <cstdlib>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reassembly/ip_defrag.h"
#include "reassembly/tcp_stream.h"

namespace tcpfollow {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tcpfollow");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseOptions(static_cast<int>(args.size()), argv.data());
}

TEST_CASE("Options: file input, output dir and trailing BPF expression", "[options]") {
  unsetenv("SSLKEYLOGFILE");
  auto o = Parse({"-r", "x.pcap", "-o", "out", "--json", "tcp", "and", "not", "port", "22"});
  REQUIRE(o.ok());
  CHECK(o->read_file == "x.pcap");
  CHECK(o->out_dir == "out");
  CHECK(o->json);
  CHECK(o->bpf == "tcp and not port 22");
  CHECK(o->tcp_policy == "first");
  CHECK(o->frag_policy == "first");
}

TEST_CASE("Options: exactly one input is required", "[options]") {
  CHECK_FALSE(Parse({}).ok());
  CHECK_FALSE(Parse({"-r", "a", "-i", "lo"}).ok());
  CHECK(Parse({"-i", "lo", "-s", "1500", "-p", "-B", "4096", "-Z", "nobody"}).ok());
}

TEST_CASE("Options: policies are checked by name", "[options]") {
  for (const char* p : {"first", "last", "bsd", "linux", "old-linux", "windows", "solaris"}) {
    CHECK(Parse({"-r", "a", "--tcp-policy", p}).ok());
  }
  for (const char* p : {"first", "last", "bsd", "bsd-right", "linux", "windows", "solaris"}) {
    CHECK(Parse({"-r", "a", "--frag-policy", p}).ok());
  }
  auto bad = Parse({"-r", "a", "--tcp-policy", "bsd-right"});
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()).find("bsd-right") != std::string::npos);
  CHECK_FALSE(Parse({"-r", "a", "--frag-policy", "old-linux"}).ok());
  // One list serves parsing, the message and --help.
  CHECK(std::string(bad.status().message()).find(TcpPolicyNames()) != std::string::npos);
  CHECK(TcpPolicyNames() == "first, last, bsd, linux, old-linux, windows, solaris");
  CHECK(FragPolicyNames() == "first, last, bsd, bsd-right, linux, windows, solaris");
  CHECK(HelpText().find(TcpPolicyNames()) != std::string::npos);
  CHECK(HelpText().find(FragPolicyNames()) != std::string::npos);
}

TEST_CASE("Options: limits take size suffixes and reject nonsense", "[options]") {
  auto o = Parse({"-r", "a", "--max-flow-buffer", "2m", "--max-total-buffer", "1g",
                  "--max-flows", "10", "--tcp-timeout", "1.5", "--frag-timeout", "30"});
  REQUIRE(o.ok());
  CHECK(o->max_flow_buffer == 2u << 20);
  CHECK(o->max_total_buffer == 1ull << 30);
  CHECK(o->max_flows == 10);
  CHECK(o->tcp_timeout == absl::Milliseconds(1500));
  CHECK(o->frag_timeout == absl::Seconds(30));
  CHECK_FALSE(Parse({"-r", "a", "--max-flows", "0"}).ok());
  CHECK_FALSE(Parse({"-r", "a", "--max-flows", "-3"}).ok());
  CHECK_FALSE(Parse({"-r", "a", "--max-flow-buffer", "lots"}).ok());
  CHECK_FALSE(Parse({"-r", "a", "--tcp-timeout", "0"}).ok());
  CHECK_FALSE(Parse({"-r", "a", "-s", "10"}).ok());
}

TEST_CASE("Options: keys and key logs, SSLKEYLOGFILE included", "[options]") {
  setenv("SSLKEYLOGFILE", "/tmp/env.keylog", 1);
  auto o = Parse({"-r", "a", "--keylog", "k1", "--keylog", "k2", "--rsa-key",
                  "10.0.0.1:443:server.pem", "--rsa-key", "other.der", "--psk", "id:0a0b",
                  "--psk", "ffee"});
  unsetenv("SSLKEYLOGFILE");
  REQUIRE(o.ok());
  CHECK(o->keylogs == std::vector<std::string>{"k1", "k2", "/tmp/env.keylog"});
  CHECK(o->rsa_keys == std::vector<std::string>{"10.0.0.1:443:server.pem", "other.der"});
  CHECK(o->psks == std::vector<std::string>{"id:0a0b", "ffee"});
}

TEST_CASE("Options: unknown options and missing arguments are named", "[options]") {
  auto o = Parse({"-r", "a", "--frobnicate"});
  REQUIRE_FALSE(o.ok());
  CHECK(std::string(o.status().message()).find("--frobnicate") != std::string::npos);
  CHECK_FALSE(Parse({"-r"}).ok());
  CHECK(Parse({"--help"})->help);
  CHECK(Parse({"--version"})->version);
}

TEST_CASE("Options: help names every limit flag", "[options]") {
  std::string help = HelpText();
  for (const char* flag : {"--max-flows", "--max-flow-buffer", "--max-total-buffer", "--tcp-timeout",
                           "--max-frag-datagrams", "--max-frags-per-datagram", "--max-frag-bytes",
                           "--frag-timeout", "--tcp-policy", "--frag-policy", "--keylog",
                           "--rsa-key", "--follow", "--json", "--no-streams"}) {
    CHECK(help.find(flag) != std::string::npos);
  }
}

TEST_CASE("Options: live capture knobs and --rotate", "[options]") {
  auto o = Parse({"-i", "eth0", "--threads", "4", "--fanout-id", "4242", "--immediate-mode",
                  "--rotate", "3600"});
  REQUIRE(o.ok());
  CHECK(o->buffer_kib == 0);  // the default (capture_source.h) is chosen by the tool
  CHECK(o->threads == 4);
  CHECK(o->fanout_id == 4242);
  CHECK(o->immediate);
  CHECK(o->rotate == absl::Seconds(3600));
  auto d = Parse({"-i", "eth0"});
  REQUIRE(d.ok());
  CHECK(d->fanout_id == -1);
  CHECK_FALSE(d->immediate);
  CHECK(d->rotate == absl::ZeroDuration());
  CHECK(Parse({"-i", "eth0", "--fanout-id", "65535"}).ok());
  CHECK_FALSE(Parse({"-i", "eth0", "--fanout-id", "65536"}).ok());
  CHECK_FALSE(Parse({"-i", "eth0", "--fanout-id", "-1"}).ok());
  CHECK_FALSE(Parse({"-i", "eth0", "--rotate", "0.5"}).ok());
  CHECK_FALSE(Parse({"-i", "eth0", "--rotate", "soon"}).ok());
  CHECK(Parse({"-r", "x.pcap", "--rotate", "60"}).ok());  // by packet time
}

}  // namespace
}  // namespace tcpfollow
