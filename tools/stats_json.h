// stats.json: every counter of a run in the output directory, as one JSON object of
// sections ("capture", "packets", "tcp", "defrag", "streams", "output", ...), each an
// object of counters by snake_case name, so that scripts and monitoring read the drops
// and limits hit without parsing the summary. Written whole (temporary file renamed over
// stats.json), so a reader never sees half of it. Sections are filled by the tool; this
// class does not know where the numbers come from and does not sum them.
#ifndef TCPFOLLOW_TOOLS_STATS_JSON_H_
#define TCPFOLLOW_TOOLS_STATS_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tools/output_dir.h"

namespace tcpfollow {

class StatsJson {
 public:
  // The section `name`, created empty on first use.
  nlohmann::json& Section(absl::string_view name);
  const nlohmann::json& json() const { return root_; }
  // Writes DIR/stats.json (replacing an earlier one).
  absl::Status Write(OutputDir* dir) const;

 private:
  nlohmann::json root_ = nlohmann::json::object();
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_STATS_JSON_H_
