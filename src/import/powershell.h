// SPDX-License-Identifier: Apache-2.0
// PowerShell's Get-NetTCPConnection, as a table (its default view or `| Format-Table`: columns
// LocalAddress LocalPort RemoteAddress RemotePort State AppliedSetting OwningProcess, in any
// order or subset that keeps the first five) and as CSV (`| ConvertTo-Csv` / `Export-Csv`, with or
// without the "#TYPE" line; columns found by name, State as a name or its MIB number).
#pragma once

#include <string>
#include <vector>

#include "import/line_parser.h"

namespace tw {

// The warning on a socket whose address Format-Table cut ("2a01:cb19:18c:c700:ec96:8a3e:723...").
inline constexpr const char* kPowerShellCut =
    "address cut by Format-Table, kept as printed and left out of port pressure (capture with "
    "`Get-NetTCPConnection | Export-Csv FILE -NoTypeInformation`)";

enum class PsColumn {
  kLocalAddress,
  kLocalPort,
  kRemoteAddress,
  kRemotePort,
  kState,
  kAppliedSetting,
  kOwningProcess,
  kOther
};

class PowerShellTableParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  std::vector<PsColumn> columns_;  // from the header line
  std::string_view wrapped_rest_;  // the end of a wrapped last header, due on the next line
};

class PowerShellCsvParser : public LineParser {
 public:
  LineResult parse(std::string_view line, Socket* socket) override;

 private:
  std::vector<PsColumn> columns_;   // from the header row
  std::vector<std::string> cells_;  // reused per row
  std::string state_;               // the State cell, kept for original_state
};

// MSFT_NetTCPConnection.State numbers (the MIB_TCP_STATE values, and 100 for Bound).
std::optional<TcpState> windows_state_number(uint64_t n);

}  // namespace tw
