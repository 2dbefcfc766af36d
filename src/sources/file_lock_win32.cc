// SPDX-License-Identifier: Apache-2.0
// Windows has no `doctor --apply` (Linux only): the lock is held by nobody else.
#include "sources/file_lock.h"

namespace tw {

Result<std::unique_ptr<FileLock>> lock_file(const std::string&) {
  return std::unique_ptr<FileLock>(new FileLock);
}

}  // namespace tw
