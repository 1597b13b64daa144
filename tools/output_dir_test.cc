#include "tools/output_dir.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <csignal>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

std::string TempDir() {
  std::string tmpl = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") +
                     "/outXXXXXX";
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("SanitizeFileName: nothing a sender writes leaves the directory", "[output]") {
  CHECK(SanitizeFileName("../../etc/passwd") == "passwd");
  CHECK(SanitizeFileName("/etc/shadow") == "shadow");
  CHECK(SanitizeFileName("..\\..\\boot.ini") == "boot.ini");
  CHECK(SanitizeFileName("..") == "object");
  CHECK(SanitizeFileName(".") == "object");
  CHECK(SanitizeFileName("") == "object");
  CHECK(SanitizeFileName("dir/") == "object");
  CHECK(SanitizeFileName(std::string("a\0b", 3)) == "a_b");
  CHECK(SanitizeFileName(".hidden") == "hidden");
  CHECK(SanitizeFileName("r\xc3\xa9sum\xc3\xa9 v2.pdf") == "r__sum___v2.pdf");
  CHECK(SanitizeFileName(std::string(500, 'x')).size() == 80);
  CHECK(SanitizeFileName("index.html?a=1&b=2") == "index.html_a_1_b_2");
}

TEST_CASE("OutputDir: creates the layout and refuses names with a slash", "[output]") {
  std::string root = TempDir() + "/new/nested";
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  CHECK(std::filesystem::is_directory(root + "/streams"));
  CHECK(std::filesystem::is_directory(root + "/objects"));
  CHECK_FALSE((*dir)->Create(OutputDir::Sub::kObjects, "../escape").ok());
  CHECK_FALSE((*dir)->Create(OutputDir::Sub::kObjects, "..").ok());
  CHECK_FALSE(std::filesystem::exists(root + "/escape"));
}

TEST_CASE("OutputDir: a symlink planted inside the directory is not followed", "[output]") {
  std::string root = TempDir();
  std::string victim = TempDir() + "/victim";
  { std::ofstream(victim) << "precious"; }
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  REQUIRE(symlink(victim.c_str(), (root + "/objects/F1-x").c_str()) == 0);
  auto fd = (*dir)->Create(OutputDir::Sub::kObjects, "F1-x");
  CHECK_FALSE(fd.ok());
  CHECK(Slurp(victim) == "precious");
  CHECK((*dir)->write_errors() == 1);
  // A symlinked subdirectory is refused too.
  std::string root2 = TempDir();
  REQUIRE(symlink(TempDir().c_str(), (root2 + "/streams").c_str()) == 0);
  CHECK_FALSE(OutputDir::Open(root2).ok());
}

TEST_CASE("JsonlFile: whole lines, and an empty log still exists", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  {
    JsonlFile empty(dir->get(), "empty.jsonl");
    empty.Flush();
    JsonlFile log(dir->get(), "log.jsonl");
    log.Append({{"a", 1}});
    log.Append({{"b", "two"}});
  }
  CHECK(std::filesystem::exists(root + "/empty.jsonl"));
  CHECK(Slurp(root + "/log.jsonl") == "{\"a\":1}\n{\"b\":\"two\"}\n");
}

TEST_CASE("JsonlFile: Rotate renames a log with records and starts it anew", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  JsonlFile log(dir->get(), "flows.jsonl");
  log.Append({{"n", 1}});
  // Records written so far are on disk before the rename: a reader following the old
  // file by descriptor (tail -F, Filebeat) gets all of them.
  CHECK(log.Rotate("flows.2026-12-01-10-00-00.jsonl") == "flows.2026-12-01-10-00-00.jsonl");
  CHECK(Slurp(root + "/flows.2026-12-01-10-00-00.jsonl") == "{\"n\":1}\n");
  CHECK_FALSE(std::filesystem::exists(root + "/flows.jsonl"));
  // Nothing new: no rotation, no empty rotated file.
  log.Flush();
  CHECK(std::filesystem::exists(root + "/flows.jsonl"));
  CHECK(log.Rotate("flows.2026-12-01-10-00-02.jsonl").empty());
  CHECK_FALSE(std::filesystem::exists(root + "/flows.2026-12-01-10-00-02.jsonl"));
  // A record appended before the new file's first flush belongs to the new file; a
  // rotated name already taken gets a suffix, never overwrites.
  log.Append({{"n", 2}});
  CHECK(log.Rotate("flows.2026-12-01-10-00-00.jsonl") == "flows.2026-12-01-10-00-00-1.jsonl");
  CHECK(Slurp(root + "/flows.2026-12-01-10-00-00.jsonl") == "{\"n\":1}\n");
  CHECK(Slurp(root + "/flows.2026-12-01-10-00-00-1.jsonl") == "{\"n\":2}\n");
  CHECK(log.records() == 2);
}

TEST_CASE("OutputDir: WriteWhole replaces a file at once", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  REQUIRE((*dir)->WriteWhole(OutputDir::Sub::kTop, "stats.json", "{\"a\":1}\n").ok());
  REQUIRE((*dir)->WriteWhole(OutputDir::Sub::kTop, "stats.json", "{}\n").ok());
  CHECK(Slurp(root + "/stats.json") == "{}\n");
  CHECK_FALSE(std::filesystem::exists(root + "/.stats.json.tmp"));
  CHECK_FALSE((*dir)->Rename(OutputDir::Sub::kTop, "stats.json", "../x").ok());
}

TEST_CASE("JsonlFile: a full disk leaves only complete lines", "[output]") {
  // A full disk is simulated with RLIMIT_FSIZE: writes past 100 bytes fail (EFBIG), as
  // writes on a full file system fail with ENOSPC.
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  struct rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = {100, old.rlim_max};
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  {
    JsonlFile log(dir->get(), "log.jsonl");
    log.Append({{"first", "ok"}});
    log.Flush();
    log.Append({{"second", std::string(200, 'x')}});
    log.Flush();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::string content = Slurp(root + "/log.jsonl");
  CHECK(content == "{\"first\":\"ok\"}\n");
  CHECK((*dir)->write_errors() >= 1);
  CHECK((*dir)->first_error().find("log.jsonl") != std::string::npos);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

TEST_CASE("BackgroundWriter: each file's bytes stay in order, with a small cap", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  std::string want[3];
  {
    // A 1 KiB cap makes the producer wait for the writer again and again.
    BackgroundWriter w(dir->get(), 1024);
    for (int i = 0; i < 2000; ++i) {
      int f = i % 3;
      std::string chunk = std::to_string(i) + (i % 7 == 0 ? std::string(900, 'x') : "") + ";";
      want[f] += chunk;
      w.Write(OutputDir::Sub::kStreams, "f" + std::to_string(f), chunk, /*create=*/i < 3);
    }
    w.Drain();
    for (int f = 0; f < 3; ++f) {
      CHECK(Slurp(root + "/streams/f" + std::to_string(f)) == want[f]);
    }
    w.Write(OutputDir::Sub::kObjects, "late", "written by the destructor", true);
  }
  CHECK(Slurp(root + "/objects/late") == "written by the destructor");
  CHECK((*dir)->write_errors() == 0);
}

TEST_CASE("BackgroundWriter: errors are counted, not fatal", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  REQUIRE(symlink("/etc/passwd", (root + "/streams/trap").c_str()) == 0);
  BackgroundWriter w(dir->get());
  w.Write(OutputDir::Sub::kStreams, "trap", "must not reach /etc/passwd", true);
  w.Write(OutputDir::Sub::kStreams, "missing", "append to a file never created", false);
  w.Write(OutputDir::Sub::kStreams, "ok", "fine", true);
  w.Drain();
  CHECK((*dir)->write_errors() == 2);
  CHECK(Slurp(root + "/streams/ok") == "fine");
  CHECK(Slurp("/etc/passwd").find("must not reach") == std::string::npos);
}

TEST_CASE("OutputDir: a failure names the file and the reason, and is counted", "[output]") {
  std::string root = TempDir();
  auto dir = OutputDir::Open(root);
  REQUIRE(dir.ok());
  OutputDir& d = **dir;
  using Sub = OutputDir::Sub;
  REQUIRE(std::filesystem::create_directory(root + "/objects/sub"));
  REQUIRE(std::filesystem::create_directory(root + "/adir"));
  const std::string longname(300, 'n');
  struct Case {
    absl::Status status;
    std::string message;
  } cases[] = {
      {d.Create(Sub::kObjects, "sub").status(),
       "cannot create " + root + "/objects/sub: Is a directory"},
      {d.CreateExclusive(Sub::kStreams, longname).status(),
       "cannot create " + root + "/streams/" + longname + ": File name too long"},
      {d.OpenAppend(Sub::kTop, "missing.jsonl").status(),
       "cannot open " + root + "/missing.jsonl: No such file or directory"},
      {d.OpenReadWrite(Sub::kObjects, "missing").status(),
       "cannot open " + root + "/objects/missing: No such file or directory"},
      {d.Rename(Sub::kObjects, "missing", "b.bin").status(),
       "cannot rename " + root + "/objects/missing to b.bin: No such file or directory"},
      {d.WriteWhole(Sub::kTop, "adir", "{}"),
       "cannot rename " + root + "/.adir.tmp: Is a directory"},
  };
  for (const Case& c : cases) {
    CHECK(c.status.code() == absl::StatusCode::kPermissionDenied);
    CHECK(std::string(c.status.message()) == c.message);
  }
  CHECK(d.first_error() == cases[0].message);
  CHECK_FALSE(d.WriteAll(-1, "x", "streams/bad"));
  CHECK_FALSE(d.WriteAllAt(-1, 10, "x", "objects/bad"));
  CHECK(d.write_errors() == 8);
  CHECK(d.CreateExclusive(Sub::kObjects, "sub").status().code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(d.Create(Sub::kTop, "a/b").status().message() == "refusing file name 'a/b'");
  CHECK(d.CreateExclusive(Sub::kTop, "..").status().message() == "refusing file name '..'");
  CHECK(d.OpenReadWrite(Sub::kObjects, "").status().message() == "refusing file name ''");
  CHECK(d.write_errors() == 8);  // none of them counts
}

}  // namespace
}  // namespace tcpfollow
