// SPDX-License-Identifier: Apache-2.0
// A saved input (a `census --save` snapshot or a text dump, through import_file) as an input
// (sources/input.h), and open_input(), which opens whichever a front end was given: --from FILE,
// else the live kernel of --netns / --pid.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "import/import.h"
#include "sources/input.h"
#include "sources/live_input.h"

namespace tw {

// The importer starts at once, on a thread of its own, and stops at its first socket (or its end)
// until stream() is called: facts() tells what it read before that socket, the input (a pipe,
// standard input) is read once, and memory stays a batch of sockets. An input closed without
// stream() is read to its end and dropped, as before the first socket was counted.
std::unique_ptr<Input> open_file_input(const ImportOptions& options);

struct InputSpec {
  std::string from;  // --from: a path or "-"; empty: the live kernel
  std::string format;
  bool strict = false;
  // The states asked for: a dump with no state column (`ss -tan state time-wait`) takes its
  // state from a single one.
  StateMask requested = StateMask::all();
  InputTarget target;  // live: --netns, --pid
  SourceKind source = SourceKind::kAuto;
};

// A live target's namespace is entered by the calling thread (sources/live_input.h).
Result<std::unique_ptr<Input>> open_input(const InputSpec& spec);

}  // namespace tw
