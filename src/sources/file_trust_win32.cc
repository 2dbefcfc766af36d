// SPDX-License-Identifier: Apache-2.0
// Windows: `doctor --apply` is Linux's (its options are refused before anything runs), so its
// backups are never read there.
#include <filesystem>
#include <system_error>

#include "sources/file_trust.h"

namespace tw {

Status check_root_only(const std::string&, const std::string&) { return {}; }

Status make_private_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create directory " + dir + ": " + ec.message());
  return {};
}

}  // namespace tw
