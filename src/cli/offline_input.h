// SPDX-License-Identifier: Apache-2.0
// Reading a saved input instead of the live kernel: a `census --save` snapshot or a text dump of
// ss, netstat (Linux, Windows, BSD), PowerShell or /proc/net/tcp (src/import). The flags shared
// by the commands that take --from; the reading is import/input_file.h's open_input().
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tw::cli {

struct OfflineFlags {
  std::string from;    // path or "-"
  std::string format;  // "" = detect
  bool strict = false;
};

void add_offline_flags(CLI::App* sub, OfflineFlags* flags);

}  // namespace tw::cli
