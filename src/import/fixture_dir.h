// SPDX-License-Identifier: Apache-2.0
// Where the import tests find tests/fixtures/import: $FIXTURES/import when CTest sets FIXTURES,
// else in the source tree the build was configured from (TIMEWAIT_SOURCE_DIR, set by CMake for
// every test binary). Not from __FILE__: Debian's build flags (-ffile-prefix-map) make it
// relative, and the fixture suite then found no fixture and vanished from the test list.
#pragma once

#include <cstdlib>
#include <string>

namespace tw::testing {

inline std::string import_fixture_dir() {
  if (const char* f = std::getenv("FIXTURES"); f && *f) return std::string(f) + "/import";
  return std::string(TIMEWAIT_SOURCE_DIR) + "/tests/fixtures/import";
}

}  // namespace tw::testing
