// SPDX-License-Identifier: Apache-2.0
// What `timewait --version` prints: the release (from `git describe`), the commit and what this
// build can do. The values are baked into one small generated file (cmake/version.cmake), so a new
// commit recompiles that file alone.
#pragma once

#include <string>

namespace tw::cli {

struct BuildInfo {
  std::string version;   // "0.1.0+3.g1a2b3c4": git describe, else VERSION / the CMake version
  std::string commit;    // full hash, "unknown" outside a git checkout
  std::string branch;    // the checkout's branch, "unknown" outside one or on a detached HEAD
  std::string date;      // the commit's date (YYYY-MM-DD), else the build's
  std::string platform;  // "linux", "windows"
  bool bpf = false;      // the eBPF tracer is built in (timewait trace, doctor --trace)
};

const BuildInfo& build_info();  // defined in the generated version_info.cc

std::string version_text();
// The compiler that built this binary ("gcc 12.2.0", "clang 16.0.6"), as Go's goversion.
std::string compiler_text();

}  // namespace tw::cli
