// Reading a saved input instead of the live kernel: a `census --save` snapshot or a text dump of
// ss, netstat or /proc/net/tcp (src/import). Shared by census and doctor.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

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

// Reads the input: `on_facts` runs once with what the input tells of the host, before the first
// socket reaches `sink`. Sockets outside `states` are dropped. Returns a note for the user (lines
// skipped and why, "" if none).
Result<std::string> read_offline(const OfflineFlags& flags, StateMask states, HostFacts* facts,
                                 const std::function<Status(const HostFacts&)>& on_facts,
                                 const SocketSink& sink);

}  // namespace tw::cli
