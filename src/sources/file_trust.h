// SPDX-License-Identifier: Apache-2.0
// Files timewait reads back as its own state (the `doctor --apply` backups) are trusted only where
// no one but root could have written them: a backup another user forged would make `--revert`
// write that user's values into the kernel and /etc/sysctl.d.
#pragma once

#include <string>

#include "model/result.h"

namespace tw {

// Refuses (one sentence: the path, its owner and mode, what to do) a file at `path` that is not
// a regular file owned by root and writable by root alone, or a directory above it (up to /)
// that is not owned by root or is group/world-writable. A root-owned sticky directory (/tmp) is
// allowed above the file's own directory: there no one else can rename or remove root's entries.
// A missing file is fine (its existing directories are still checked). `what` names the file
// ("the backup").
Status check_root_only(const std::string& path, const std::string& what);

// Makes the missing directories of `dir` (mode 0755, the last one 0700) so that what timewait
// writes there is readable by root alone, whatever the umask.
Status make_private_dir(const std::string& dir);

}  // namespace tw
