// SPDX-License-Identifier: Apache-2.0
// Reading a saved input instead of the live kernel: a `census --save` snapshot or a text dump of
// ss, netstat (Linux, Windows, BSD), PowerShell or /proc/net/tcp (src/import). Shared by the
// commands that take --from.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "model/host_facts.h"
#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw::cli {

struct OfflineFlags {
  std::string from;    // path or "-"
  std::string format;  // "" = detect
  bool strict = false;
};

void add_offline_flags(CLI::App* sub, OfflineFlags* flags);

struct OfflineResult {
  std::string note;     // lines skipped and why, for the user ("" if none)
  nlohmann::json json;  // the import report (docs/import.md)
};

// Reads the input: `on_facts` runs once with what the input tells of the host, before the first
// socket reaches `sink`. `requested` are the states the user asked for: a dump with no state
// column (`ss -tan state time-wait`) takes its state from a single requested state. Sockets
// outside `pass` are dropped.
Result<OfflineResult> read_offline(const OfflineFlags& flags, StateMask requested, StateMask pass,
                                   HostFacts* facts,
                                   const std::function<Status(const HostFacts&)>& on_facts,
                                   const SocketSink& sink);

}  // namespace tw::cli
