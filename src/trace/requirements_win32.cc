// SPDX-License-Identifier: Apache-2.0
// `timewait trace` and `doctor --trace` load eBPF programs into the Linux kernel: nothing to load
// on Windows.
#include "trace/requirements.h"

namespace tw {

namespace {
constexpr const char* kLinuxOnly =
    "tracing uses eBPF in the Linux kernel; the Windows build has no tracer (on Windows, "
    "`timewait census -p` names the processes holding sockets)";
}

Status check_trace_requirements(const TracePaths&) { return fail(kLinuxOnly); }
Status prepare_tracefs(const TracePaths&) { return fail(kLinuxOnly); }

}  // namespace tw
