// SPDX-License-Identifier: Apache-2.0
#include "sources/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tw {

namespace fs = std::filesystem;

namespace {

// The kernel's own limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;

std::string parent_of(const std::string& path) {
  std::string dir = fs::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// What a non-regular file is, for the refusal.
std::string_view kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a named pipe (FIFO)";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

}  // namespace

Result<OutputTarget> check_output_path(const std::string& path, bool create_dirs) {
  OutputTarget t;
  t.path = path;
  if (path == "-") {
    t.standard_output = true;
    return t;
  }
  if (path.empty()) return fail("an empty path was given as the file to write");
  // Follow symlinks by hand: a dangling one names the new file to create, which realpath(3) and
  // std::filesystem::canonical refuse.
  std::string p = path;
  struct stat st;
  bool found = false;
  for (int i = 0;; ++i) {
    if (i == kMaxSymlinks) return fail(fmt::format("{}: too many levels of symbolic links", path));
    if (lstat(p.c_str(), &st) != 0) {
      if (errno != ENOENT) return fail(fmt::format("cannot check {}: {}", p, std::strerror(errno)));
      break;
    }
    if (!S_ISLNK(st.st_mode)) {
      found = true;
      break;
    }
    std::error_code ec;
    fs::path target = fs::read_symlink(p, ec);
    if (ec) return fail(fmt::format("cannot read the symbolic link {}: {}", p, ec.message()));
    p = target.is_absolute() ? target.string() : (fs::path(parent_of(p)) / target).string();
  }
  // /dev/stdout and /proc/self/fd/N are links whose text ("pipe:[123]") names no file: only
  // what the path opens tells that it is a pipe or a terminal.
  struct stat opened;
  if (!found && stat(path.c_str(), &opened) == 0 && !S_ISREG(opened.st_mode))
    return fail(fmt::format(
        "{} is {}; timewait writes only regular files (give a new file's path, or - for "
        "standard output)",
        path, kind_of(opened.st_mode)));
  t.resolved = p;
  const std::string via = p == path ? "" : fmt::format(" (the target of the symlink {})", path);
  if (found) {
    if (!S_ISREG(st.st_mode))
      return fail(fmt::format(
          "{}{} is {}; timewait writes only regular files (give a new file's path, or - for "
          "standard output)",
          p, via, kind_of(st.st_mode)));
    t.exists = true;
    t.mode = st.st_mode & 07777;
    return t;
  }
  const std::string dir = parent_of(p);
  struct stat ds;
  if (stat(dir.c_str(), &ds) != 0) {
    if (errno != ENOENT || !create_dirs)
      return fail(fmt::format("cannot write {}{}: directory {}: {} (create it first)", p, via, dir,
                              std::strerror(errno)));
  } else if (!S_ISDIR(ds.st_mode)) {
    return fail(fmt::format("cannot write {}{}: {} is not a directory", p, via, dir));
  }
  return t;
}

void OutputFile::discard_temporary() {
  fclose(f_);
  f_ = nullptr;
  unlink(tmp_.c_str());
}

Status OutputFile::open_temporary(bool create_dirs) {
  if (create_dirs) {
    std::error_code ec;
    const std::string dir = parent_of(target_.resolved);
    fs::create_directories(dir, ec);
    if (ec) return fail(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  }
  // O_EXCL: the temporary name is never an existing file or a symlink planted there.
  const fs::path target(target_.resolved);
  const std::string stem =
      (target.parent_path() / ("." + target.filename().string() + ".tmp-")).string();
  int fd = -1;
  for (int i = 0; fd < 0 && i < 100; ++i) {
    tmp_ = fmt::format("{}{}-{}", stem, getpid(), i);
    fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    return fail(fmt::format("cannot create a temporary file beside {}: {}", target_.resolved,
                            std::strerror(errno)));
  // The replacement keeps the permissions of the file it replaces (a 0600 file stays private).
  if (target_.exists) (void)fchmod(fd, target_.mode);
  f_ = fdopen(fd, "w");
  if (!f_) {
    int err = errno;
    close(fd);
    unlink(tmp_.c_str());
    return fail(fmt::format("cannot write {}: {}", tmp_, std::strerror(err)));
  }
  return {};
}

Status OutputFile::commit_temporary() {
  int err = 0;
  bool ok = fflush(f_) == 0 && !ferror(f_);
  if (!ok) err = errno ? errno : EIO;
  if (ok && fsync(fileno(f_)) != 0) {
    ok = false;
    err = errno;
  }
  if (fclose(f_) != 0 && ok) {
    ok = false;
    err = errno;
  }
  f_ = nullptr;
  if (ok && rename(tmp_.c_str(), target_.resolved.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    unlink(tmp_.c_str());
    return fail(fmt::format("writing {} failed: {}", target_.resolved, std::strerror(err)));
  }
  // The rename itself is durable once the directory is synced.
  int dir = ::open(parent_of(target_.resolved).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)fsync(dir);
    close(dir);
  }
  return {};
}

}  // namespace tw
