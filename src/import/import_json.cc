// SPDX-License-Identifier: Apache-2.0
#include "import/import_json.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "import/netstat_windows.h"
#include "import/powershell.h"
#include "import/text_fields.h"

namespace tw {

namespace {

// The state a spelling was counted as, by the same rules the format's parser used.
std::optional<TcpState> counted_as(const std::string& format, const std::string& name) {
  unsigned code = 0;
  int base = format == "proc" ? 16 : 10;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), code, base);
  bool number = ec == std::errc() && p == name.data() + name.size();
  if (number && format == "proc") {
    // /proc st codes: kernel state numbers in hex; 0C is a request socket (NEW_SYN_RECV).
    if (code >= 1 && code <= 11) return static_cast<TcpState>(code);
    if (code == 12) return TcpState::kSynRecv;
    return std::nullopt;
  }
  if (number) return windows_state_number(code);  // PowerShell CSV with State as a number
  if (format == "netstat-windows")
    if (auto st = windows_localized_state(name)) return st;
  return import_state(name);
}

}  // namespace

nlohmann::json import_report_to_json(const ImportReport& r) {
  nlohmann::json j = {
      {"format", r.format},
      {"lines", r.lines},
      {"sockets", r.sockets},
      {"skipped", r.skipped},
      {"skip_reasons", r.skip_reasons},
      {"skipped_examples", r.skipped_examples},
      {"ignored", r.ignored},
      {"ignore_reasons", r.ignore_reasons},
      {"warnings", r.warnings},
      {"named_endpoints", r.named_endpoints},
      {"owners", r.owners},
  };
  nlohmann::json states = nlohmann::json::object();
  for (auto& [name, n] : r.original_states) {
    auto st = counted_as(r.format, name);
    states[name] = {{"count", n}, {"state", st ? std::string(ss_name(*st)) : std::string()}};
  }
  j["original_states"] = states;
  return j;
}

}  // namespace tw
