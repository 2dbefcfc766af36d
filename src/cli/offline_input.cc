// SPDX-License-Identifier: Apache-2.0
#include "cli/offline_input.h"

#include <fmt/format.h>

#include "import/import.h"

namespace tw::cli {

void add_offline_flags(CLI::App* sub, OfflineFlags* fl) {
  std::string names;
  for (auto& n : import_format_names()) names += (names.empty() ? "" : ", ") + n;
  sub->add_option("--from", fl->from,
                  "Read a saved dump instead of the live kernel: output of ss -tan (or -a), "
                  "ss -D (binary), netstat with or without -n (Linux, Windows incl. -anob, "
                  "macOS/FreeBSD incl. -A), Get-NetTCPConnection, /proc/net/tcp, or a "
                  "`census --save` snapshot (- for standard input; see \"Importing dumps\" in the "
                  "timewait docs)");
  sub->add_option("--format", fl->format, "Format of --from (default: detected): " + names);
  sub->add_flag("--strict", fl->strict, "Fail on the first line of --from that fits no format");
}

}  // namespace tw::cli
