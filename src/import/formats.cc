// SPDX-License-Identifier: Apache-2.0
#include "import/formats.h"

#include "import/netstat_bsd.h"
#include "import/netstat_linux.h"
#include "import/netstat_windows.h"
#include "import/powershell.h"
#include "import/proc_text.h"
#include "import/ss_text.h"

namespace tw {

const std::vector<TextFormat>& text_formats() {
  // BSD netstat cannot tell macOS from FreeBSD: "bsd" gives no port pool rather than a wrong one.
  static const std::vector<TextFormat> kFormats = {
      {"proc", "linux", "/proc/net/tcp and /proc/net/tcp6 text"},
      {"ss", "linux", "ss -tan (also -a, -p, -i, -o, -e, -H, `state FILTER`)"},
      {"netstat-linux", "linux", "Linux net-tools netstat -ant, -antp, -antW, -n, and without -n"},
      {"netstat-windows", "windows", "Windows netstat, -an, -ano, -anob"},
      {"powershell-table", "windows", "PowerShell Get-NetTCPConnection (| Format-Table)"},
      {"powershell-csv", "windows", "PowerShell Get-NetTCPConnection | ConvertTo-Csv"},
      {"netstat-bsd", "bsd", "macOS / FreeBSD netstat -an -p tcp (also -A, -b, without -n)"},
  };
  return kFormats;
}

const TextFormat* find_text_format(std::string_view name) {
  for (auto& f : text_formats())
    if (f.name == name) return &f;
  return nullptr;
}

std::unique_ptr<LineParser> make_parser(std::string_view name,
                                        std::optional<TcpState> implied_state) {
  if (name == "proc") return std::make_unique<ProcTextParser>();
  if (name == "ss") return std::make_unique<SsTextParser>(implied_state);
  if (name == "netstat-linux") return std::make_unique<NetstatLinuxParser>();
  if (name == "netstat-windows") return std::make_unique<NetstatWindowsParser>();
  if (name == "powershell-table") return std::make_unique<PowerShellTableParser>();
  if (name == "powershell-csv") return std::make_unique<PowerShellCsvParser>();
  if (name == "netstat-bsd") return std::make_unique<NetstatBsdParser>();
  return nullptr;
}

}  // namespace tw
