#include "tools/stats_json.h"

namespace tcpfollow {

nlohmann::json& StatsJson::Section(absl::string_view name) {
  nlohmann::json& s = root_[std::string(name)];
  if (!s.is_object()) s = nlohmann::json::object();
  return s;
}

absl::Status StatsJson::Write(OutputDir* dir) const {
  std::string text = root_.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  return dir->WriteWhole(OutputDir::Sub::kTop, "stats.json", text);
}

}  // namespace tcpfollow
