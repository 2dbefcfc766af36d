// SPDX-License-Identifier: Apache-2.0
// Where every file timewait writes goes through (`census --save`, `doctor --apply`'s sysctl.d file
// and backup): a regular file or a new path is replaced atomically (a temporary file beside it,
// fsync, rename); a device node, FIFO, socket or directory at the path is refused, so a root user
// can never replace /dev/full or a named pipe by a file. A symlink is followed: its target is
// replaced and the link stays. "-" is standard output.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>

#include "model/result.h"

namespace tw {

// The file a path names once symlinks are followed, checked for replacing. An error says why the
// path cannot be written (the caller's bad input: exit 2).
struct OutputTarget {
  std::string path;              // as given
  std::string resolved;          // the file to replace: the symlink's target for a symlink
  bool exists = false;           // a regular file is there now
  mode_t mode = 0644;            // its permission bits, kept by the replacement
  bool standard_output = false;  // path "-"
};
// `create_dirs`: a missing parent directory is fine (OutputFile::open makes it, for --apply's
// /etc/sysctl.d); else it is an error. Nothing is created here.
Result<OutputTarget> check_output_path(const std::string& path, bool create_dirs = false);

// A file being written. Text goes to stream(); commit() makes it appear at once, complete; an
// OutputFile destroyed without commit() leaves the target as it was and no temporary file.
// Standard output too: the text is spooled to an unnamed temporary file and copied out by
// commit(), so a run that fails or starts over (an interrupted dump) prints nothing half-done.
class OutputFile {
 public:
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Errors here are about the path (bad input); errors of commit() are failed writes.
  static Result<std::unique_ptr<OutputFile>> open(const std::string& path,
                                                  bool create_dirs = false);
  FILE* stream() { return f_; }
  const OutputTarget& target() const { return target_; }
  Status commit();

 private:
  OutputFile() = default;
  // The platform's half (output_file.cc, output_file_win32.cc): make the parent directory if
  // asked and a temporary file beside target_.resolved (tmp_, f_); flush, sync and rename it
  // over the target; or close and remove it.
  Status open_temporary(bool create_dirs);
  Status commit_temporary();
  void discard_temporary();
  OutputTarget target_;
  std::string tmp_;
  FILE* f_ = nullptr;
};

// `text` to `path` through OutputFile: open (path errors) and commit (write errors) in one.
Status write_file_atomically(const std::string& path, const std::string& text,
                             bool create_dirs = false);

}  // namespace tw
