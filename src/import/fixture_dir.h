// SPDX-License-Identifier: Apache-2.0
// Where the import tests find tests/fixtures/import: $FIXTURES/import when CTest sets FIXTURES,
// else beside this source tree.
#pragma once

#include <cstdlib>
#include <string>

namespace tw::testing {

inline std::string import_fixture_dir() {
  if (const char* f = std::getenv("FIXTURES"); f && *f) return std::string(f) + "/import";
  std::string here = __FILE__;  // .../src/import/fixture_dir.h
  return here.substr(0, here.rfind("/src/import/")) + "/tests/fixtures/import";
}

}  // namespace tw::testing
