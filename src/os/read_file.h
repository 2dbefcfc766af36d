// SPDX-License-Identifier: Apache-2.0
// Reading a whole file into memory, with a bound: the one home for "slurp" (ninja's ReadFile).
#pragma once

#include <cstddef>
#include <string>

#include "model/result.h"

namespace tw::os {

// Enough for any /proc or /sys file, sysctl.d file or backup timewait reads whole.
inline constexpr size_t kReadFileDefaultMax = 16 << 20;

// The whole content of `path`, or one sentence: "cannot read PATH: <strerror>" (errno is left
// set, for callers that tell ENOENT apart), or "PATH is larger than N bytes" (errno EFBIG).
// Works on /proc files, whose size stat() reports as 0.
Result<std::string> read_file(const std::string& path, size_t max_bytes = kReadFileDefaultMax);

}  // namespace tw::os
