// SPDX-License-Identifier: Apache-2.0
// An exclusive lock on a file, held while a read-modify-write of timewait's own state runs (the
// --apply backup): two runs at once take turns instead of mixing their values.
#pragma once

#include <memory>
#include <string>

#include "model/result.h"

namespace tw {

class FileLock {
 public:
  virtual ~FileLock() = default;  // releases the lock
};

// Creates `path` (and its directory) if needed and waits for the lock. Errors say why the file
// could not be made or locked.
Result<std::unique_ptr<FileLock>> lock_file(const std::string& path);

}  // namespace tw
