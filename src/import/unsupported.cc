// SPDX-License-Identifier: Apache-2.0
#include "import/unsupported.h"

#include <fmt/format.h>

#include <string_view>

#include "import/text_fields.h"

namespace tw {

namespace {

bool has(std::string_view line, std::string_view word) {
  return line.find(word) != std::string_view::npos;
}

std::string quote(std::string_view line) {
  line = trim(line);
  if (line.size() > 60) return std::string(line.substr(0, 60)) + "...";
  return std::string(line);
}

}  // namespace

std::string recognise_unsupported(const std::vector<std::string>& head) {
  for (size_t i = 0; i < head.size(); ++i) {
    std::string_view l = head[i];
    std::string at = fmt::format("line {}: \"{}\"", i + 1, quote(l));
    std::string_view t = trim(l);
    if (t.starts_with("COMMAND") && has(l, "PID") && has(l, "NODE") && has(l, "NAME"))
      return fmt::format(
          "it is lsof output ({}), which lists only sockets a process holds open and so never a "
          "TIME_WAIT socket: capture `ss -tan` (Linux) or `netstat -an` (macOS, Windows) instead",
          at);
    if ((t.starts_with("TCP:") && has(l, "timewait")) || t.starts_with("Transport Total"))
      return fmt::format(
          "it is the `ss -s` summary ({}): totals per protocol, no sockets; capture `ss -tan` for "
          "a census",
          at);
    if (has(l, "active connection openings") || has(l, "active connections openings") ||
        has(l, "connection requests") || has(l, "passive connection openings"))
      return fmt::format(
          "it is `netstat -s` protocol statistics ({}): counters, no sockets; capture `ss -tan` "
          "or `netstat -an` for a census",
          at);
    if (t.starts_with("LocalAddress") && has(t, ":") && !has(t, "LocalPort"))
      return fmt::format(
          "it is `Get-NetTCPConnection | Format-List` output ({}); export it as a table instead: "
          "`Get-NetTCPConnection | Export-Csv FILE -NoTypeInformation`",
          at);
    if (t.starts_with("\"LocalAddress\":")) return powershell_json_refusal(at);
  }
  return {};
}

std::string powershell_json_refusal(std::string_view where) {
  return fmt::format(
      "it is `Get-NetTCPConnection | ConvertTo-Json` output{}{}{}; export it as CSV instead: "
      "`Get-NetTCPConnection | Export-Csv FILE -NoTypeInformation`",
      where.empty() ? "" : " (", where, where.empty() ? "" : ")");
}

}  // namespace tw
