// SPDX-License-Identifier: Apache-2.0
// `ss -D FILE`: iproute2's raw dump of the kernel's inet_diag replies, the very messages the live
// census reads. Read with the live netlink parser (sources/netlink_diag.h), so timers come along
// and the TIME_WAIT creation rate works on such a file as on the live host.
#pragma once

#include <string>

#include "import/import.h"
#include "import/line_reader.h"

namespace tw {

// The name `--format` takes.
inline constexpr std::string_view kSsDiagFormat = "ss-diag";

// Reads the rest of the input (the first block is already in `reader`).
Result<ImportReport> import_ss_diag(const std::string& shown, LineReader* reader, HostFacts* facts,
                                    const SocketSink& sink);

}  // namespace tw
