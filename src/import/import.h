// SPDX-License-Identifier: Apache-2.0
// Reads text dumps of other tools (ss, netstat of Linux, Windows and BSD, PowerShell, raw
// /proc/net/tcp) and `census --save` snapshots into the socket model, so that every census view
// and the doctor work on a machine where timewait cannot run. Formats: docs/import.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/host_facts.h"
#include "model/result.h"
#include "model/socket.h"
#include "model/tcp_state.h"

namespace tw {

struct ImportOptions {
  std::string path;     // "-" = standard input
  std::string format;   // "" = detect; else a name from import_format_names()
  bool strict = false;  // fail on the first line that fits no format
  std::optional<TcpState>
      implied_state;  // for dumps without a state column (ss ... state time-wait)
};

struct ImportReport {
  std::string format;  // detected or forced format name
  int64_t lines = 0, sockets = 0, skipped = 0;
  std::vector<std::string> skipped_examples;    // "FILE:LINE: reason", first 10
  std::map<std::string, int64_t> skip_reasons;  // reason -> count
  // Lines that are understood but hold no TCP socket (UDP and unix socket lines of netstat,
  // ss -i detail lines): counted so that nothing is dropped silently, but not errors.
  int64_t ignored = 0;
  std::map<std::string, int64_t> ignore_reasons;  // reason -> count
  // Sockets that were read but may be wrong in a way the dump cannot tell (an address netstat may
  // have cut to its column width): reason -> count.
  std::map<std::string, int64_t> warnings;
  // The state spellings of the source ("LISTENING", "TimeWait", "06") -> sockets, so the JSON
  // can show what the dump said beside the state it was mapped to. At most 64 spellings.
  std::map<std::string, int64_t, std::less<>> original_states;
  // Endpoints (two a socket) the dump printed with a host or service name (captured without
  // -n): kept as printed, counted, but left out of port pressure.
  int64_t named_endpoints = 0;
  // Sockets whose owner the dump named on lines of their own (Windows netstat -b).
  int64_t owners = 0;
};

std::vector<std::string> import_format_names();

// Streams sockets to the sink; fills what the dump tells of the host (facts->os, source
// "import:<format>"), always before the first socket reaches the sink. Errors (file missing,
// empty, binary, nothing usable, strict failure) are user sentences.
Result<ImportReport> import_file(const ImportOptions& options, HostFacts* facts,
                                 const SocketSink& sink);

// One sentence for the user about lines skipped (with reasons and the first example) and
// warnings; "" when every line was read.
std::string describe_import(const ImportReport& report);

}  // namespace tw
