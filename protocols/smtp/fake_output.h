// FakeOutput: an in-memory AnalyzerOutput for analyzer tests. Records, objects (with their
// bytes and Finish extras) and expected connections are kept in vectors for assertions.
// Test-only; replace with //testing:memory_output once that exists.
#ifndef TCPFOLLOW_PROTOCOLS_SMTP_FAKE_OUTPUT_H_
#define TCPFOLLOW_PROTOCOLS_SMTP_FAKE_OUTPUT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

class FakeOutput : public AnalyzerOutput {
 public:
  struct RecordEntry {
    std::string log;
    uint64_t conn_id;
    absl::Time ts;
    nlohmann::json fields;
  };
  struct ObjectEntry {
    uint64_t conn_id;
    ObjectMeta meta;
    std::string fuid;
    std::string data;
    bool finished = false;
    nlohmann::json extra;
  };
  struct Expectation {
    IpAddress client;
    Endpoint server;
    absl::Time now;
    absl::Duration timeout;
    AnalyzerFactory factory;
  };

  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields) override {
    fields.dump();  // throws (failing the test) on invalid UTF-8, as the real writer would
    records.push_back({std::string(log), conn.id, ts, std::move(fields)});
  }

  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta) override {
    objects.push_back(std::make_unique<ObjectEntry>());
    ObjectEntry* entry = objects.back().get();
    entry->conn_id = conn.id;
    entry->meta = meta;
    entry->fuid = absl::StrCat("F", objects.size());
    return std::make_unique<Writer>(entry);
  }

  void ExpectConnection(const IpAddress& client, const Endpoint& server, absl::Time now,
                        absl::Duration timeout, AnalyzerFactory factory) override {
    expectations.push_back({client, server, now, timeout, std::move(factory)});
  }

  std::vector<nlohmann::json> Logged(const std::string& log) const {
    std::vector<nlohmann::json> out;
    for (const RecordEntry& r : records) {
      if (r.log == log) out.push_back(r.fields);
    }
    return out;
  }
  const ObjectEntry* Object(const std::string& fuid) const {
    for (const auto& o : objects) {
      if (o->fuid == fuid) return o.get();
    }
    return nullptr;
  }

  std::vector<RecordEntry> records;
  std::vector<std::unique_ptr<ObjectEntry>> objects;
  std::vector<Expectation> expectations;

 private:
  class Writer : public ObjectWriter {
   public:
    explicit Writer(ObjectEntry* entry) : entry_(entry) {}
    const std::string& fuid() const override { return entry_->fuid; }
    void Write(absl::string_view bytes) override { entry_->data.append(bytes.data(), bytes.size()); }
    ObjectResult Finish(absl::Time, const nlohmann::json& extra) override {
      entry_->finished = true;
      entry_->extra = extra;
      ObjectResult r;
      r.fuid = entry_->fuid;
      r.path = "objects/" + entry_->fuid;
      r.size = entry_->data.size();
      return r;
    }

   private:
    ObjectEntry* entry_;
  };
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_SMTP_FAKE_OUTPUT_H_
