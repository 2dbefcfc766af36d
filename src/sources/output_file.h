// SPDX-License-Identifier: Apache-2.0
// Where every file timewait writes goes through (`census --save`, `doctor --apply`'s sysctl.d file
// and backup): a regular file or a new path is replaced atomically (an unnamed O_TMPFILE in the
// target's directory, held open, written and synced, then linked to a temporary name and renamed;
// a named temporary file, created exclusively, where the filesystem has no O_TMPFILE); a device
// node, FIFO, socket or directory at the path is refused, so a root user can never replace
// /dev/full or a named pipe by a file. A symlink is followed (its target is replaced and the link
// stays) only where the kernel's fs.protected_symlinks would follow it: not a link in a sticky
// world-writable directory (/tmp) owned by another user than the caller and the directory's
// owner, which is how an attacker plants /tmp/x -> /etc/shadow. "-" is standard output; a
// descriptor of this process named by path (/dev/stdout, /dev/fd/N, /proc/self/fd/N) is written
// as that stream, never by replacing the file behind it.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>

#include "model/result.h"
#include "os/unique_fd.h"

namespace tw {

// The file a path names once symlinks are followed, checked for replacing. An error says why the
// path cannot be written (the caller's bad input: exit 2).
struct OutputTarget {
  std::string path;              // as given
  std::string resolved;          // the file to replace: the symlink's target for a symlink
  bool exists = false;           // a regular file is there now
  mode_t mode = 0644;            // its permission bits, kept by a replacement the caller owns
  bool standard_output = false;  // path "-" or /dev/stdout: stream_fd is 1
  int stream_fd = -1;            // a descriptor of this process to write to, or -1 for a file
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
  // `new_mode`: the permissions of a file made new (0600 for snapshots, which name processes).
  static Result<std::unique_ptr<OutputFile>> open(const std::string& path, bool create_dirs = false,
                                                  mode_t new_mode = 0644);
  FILE* stream() { return f_; }
  const OutputTarget& target() const { return target_; }
  Status commit();

 private:
  OutputFile() = default;
  // The platform's half (output_file.cc, output_file_win32.cc): make the parent directory if
  // asked and a temporary file beside target_.resolved (tmp_, f_); flush, sync and rename it
  // over the target; or close and remove it.
  Status open_temporary(bool create_dirs, mode_t new_mode);
  Status commit_temporary();
  void discard_temporary();
  OutputTarget target_;
  std::string tmp_;  // the temporary name ("" while it is an unnamed O_TMPFILE)
  FILE* f_ = nullptr;
  os::UniqueFd
      dir_fd_;  // Linux: the target's directory, held from the temporary file to the rename
};

// Removes the temporary files OutputFile left beside `path` when a run writing it was killed
// (SIGKILL between linking the finished file and renaming it, or on a filesystem without
// O_TMPFILE): only regular files owned by this user that match its exact name,
// `.NAME.tmp-PID-N`, of a process that no longer runs. The caller holds the lock that writers of
// `path` take, so none of them is half-way.
void remove_stale_temporaries(const std::string& path);

// `text` to `path` through OutputFile: open (path errors) and commit (write errors) in one.
// `new_mode` as in OutputFile::open.
Status write_file_atomically(const std::string& path, const std::string& text,
                             bool create_dirs = false, mode_t new_mode = 0644);

}  // namespace tw
