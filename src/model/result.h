// SPDX-License-Identifier: Apache-2.0
// Errors are values: a Result holds either a value or a sentence a user can act on.
// Only front ends turn an error into a message and an exit code.
#pragma once

#include <expected>
#include <string>

namespace tw {

template <class T>
using Result = std::expected<T, std::string>;

// For operations that return nothing but can fail.
using Status = std::expected<void, std::string>;

inline std::unexpected<std::string> fail(std::string message) {
  return std::unexpected(std::move(message));
}

}  // namespace tw
