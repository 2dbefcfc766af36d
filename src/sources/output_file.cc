// SPDX-License-Identifier: Apache-2.0
#include "sources/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

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

// The start of the temporary names beside `target`: `.NAME.tmp-` (PID-N follows).
std::string temporary_stem(const std::string& target) {
  const fs::path t(target);
  return (t.parent_path() / ("." + t.filename().string() + ".tmp-")).string();
}

constexpr std::string_view kOnlyRegular =
    "timewait writes only regular files (give a new file's path, or - for standard output)";

// The descriptor a link under /proc/PID/fd (or /proc/PID/task/TID/fd) names, when `link` is one
// (/dev/stdout -> /proc/self/fd/1, /dev/fd/N): its "target" is no path to replace but a stream
// already open. `pid` is the process it belongs to.
std::optional<int> descriptor_link(const std::string& link, pid_t* pid) {
  char* dir = realpath(parent_of(link).c_str(), nullptr);
  if (!dir) return std::nullopt;
  const std::string d = dir;
  free(dir);
  unsigned p = 0, tid = 0;
  int n = 0;
  const bool fd_dir =
      (sscanf(d.c_str(), "/proc/%u/fd%n", &p, &n) == 1 && static_cast<size_t>(n) == d.size()) ||
      (sscanf(d.c_str(), "/proc/%u/task/%u/fd%n", &p, &tid, &n) == 2 &&
       static_cast<size_t>(n) == d.size());
  if (!fd_dir) return std::nullopt;
  const std::string name = fs::path(link).filename().string();
  int fd = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  *pid = static_cast<pid_t>(p);
  return fd;
}

// fs.protected_symlinks (Documentation/admin-guide/sysctl/fs.rst): in a sticky world-writable
// directory a symlink is followed only when its owner is the follower or the directory's owner.
// Checked here because timewait follows links itself (to replace the target, not the link); an
// error names the link, its owner and what to give instead.
Status may_follow(const std::string& link, const struct stat& st) {
  struct stat ds;
  if (stat(parent_of(link).c_str(), &ds) != 0) return {};
  const bool shared_sticky = (ds.st_mode & S_ISVTX) && (ds.st_mode & S_IWOTH);
  if (!shared_sticky || st.st_uid == geteuid() || st.st_uid == ds.st_uid) return {};
  return fail(fmt::format(
      "{} is a symbolic link owned by uid {} in the shared sticky directory {}; following it "
      "could replace another user's file, which the kernel's fs.protected_symlinks forbids too: "
      "give the target's own path, or remove the link",
      link, st.st_uid, parent_of(link)));
}

}  // namespace

Result<OutputTarget> check_output_path(const std::string& path, bool create_dirs) {
  OutputTarget t;
  t.path = path;
  if (path == "-") {
    t.standard_output = true;
    t.stream_fd = 1;
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
    // /dev/stdout, /dev/fd/N, /proc/self/fd/N: the stream itself. Replacing what its link
    // text names would swap the file behind a shell's `> out.json` (or a file that name now
    // means) instead of writing into the open descriptor.
    pid_t owner = 0;
    if (auto fd = descriptor_link(p, &owner)) {
      if (owner != getpid())
        return fail(fmt::format("{} is a file descriptor of another process (pid {}); {}", path,
                                owner, kOnlyRegular));
      const int flags = fcntl(*fd, F_GETFD);
      if (flags < 0) return fail(fmt::format("{}: descriptor {} is not open", path, *fd));
      // Inherited descriptors (a shell's 3>file) are not close-on-exec; timewait's own (a
      // netlink socket, a namespace) all are, and are no place for a snapshot.
      if (flags & FD_CLOEXEC)
        return fail(fmt::format("{}: descriptor {} is timewait's own, not one it was given; {}",
                                path, *fd, kOnlyRegular));
      t.stream_fd = *fd;
      t.standard_output = *fd == 1;
      return t;
    }
    if (lstat(p.c_str(), &st) != 0) {
      if (errno != ENOENT) return fail(fmt::format("cannot check {}: {}", p, std::strerror(errno)));
      break;
    }
    if (!S_ISLNK(st.st_mode)) {
      found = true;
      break;
    }
    if (auto st_follow = may_follow(p, st); !st_follow) return fail(st_follow.error());
    std::error_code ec;
    fs::path target = fs::read_symlink(p, ec);
    if (ec) return fail(fmt::format("cannot read the symbolic link {}: {}", p, ec.message()));
    p = target.is_absolute() ? target.string() : (fs::path(parent_of(p)) / target).string();
  }
  // Other magic links (/proc/self/ns/net) have link text that names no file: only what the
  // path opens tells what it is.
  struct stat opened;
  if (!found && stat(path.c_str(), &opened) == 0 && !S_ISREG(opened.st_mode))
    return fail(fmt::format("{} is {}; {}", path, kind_of(opened.st_mode), kOnlyRegular));
  t.resolved = p;
  const std::string via = p == path ? "" : fmt::format(" (the target of the symlink {})", path);
  if (found) {
    if (!S_ISREG(st.st_mode))
      return fail(fmt::format("{}{} is {}; {}", p, via, kind_of(st.st_mode), kOnlyRegular));
    t.exists = true;
    // Another user's file (one planted in /tmp, 0666) lends the replacement no permissions.
    t.mode = st.st_uid == geteuid() ? st.st_mode & 07777 : 0;
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

namespace {
std::string name_of(const std::string& path) { return fs::path(path).filename().string(); }
}  // namespace

void OutputFile::discard_temporary() {
  fclose(f_);
  f_ = nullptr;
  // An unnamed O_TMPFILE is gone with its last descriptor.
  if (!tmp_.empty()) unlinkat(dir_fd_.get(), name_of(tmp_).c_str(), 0);
  dir_fd_.reset();
}

Status OutputFile::open_temporary(bool create_dirs, mode_t new_mode) {
  if (create_dirs) {
    std::error_code ec;
    const std::string dir = parent_of(target_.resolved);
    fs::create_directories(dir, ec);
    if (ec) return fail(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  }
  // The directory checked is the one written: held open, so renaming a directory of the path
  // meanwhile (one in /tmp another user owns) cannot send the file elsewhere.
  const std::string dir = parent_of(target_.resolved);
  dir_fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd_) return fail(fmt::format("cannot open directory {}: {}", dir, std::strerror(errno)));
  const std::string stem = temporary_stem(target_.resolved);
  const bool replacing = target_.exists && target_.mode != 0;
  const mode_t mode = replacing ? 0600 : new_mode;
  // An unnamed file first: a run killed while writing it leaves nothing behind. Its name comes
  // at commit, for the moment before the rename.
  tmp_.clear();
  os::UniqueFd fd(::openat(dir_fd_.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode));
  // Else a named one. O_EXCL: the temporary name is never an existing file or a planted symlink.
  for (int i = 0; !fd && i < 100; ++i) {
    tmp_ = fmt::format("{}{}-{}", stem, getpid(), i);
    fd.reset(::openat(dir_fd_.get(), name_of(tmp_).c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd && errno != EEXIST) break;
  }
  if (!fd) {
    const int err = errno;
    dir_fd_.reset();
    return fail(fmt::format("cannot create a temporary file beside {}: {}", target_.resolved,
                            std::strerror(err)));
  }
  // A replacement keeps the permissions of the caller's file it replaces (a 0600 file stays
  // private), set once the file is made 0600; a new file (or one another user owned) gets
  // `new_mode` less the umask.
  if (replacing && fchmod(fd.get(), target_.mode) != 0) {
    int err = errno;
    fd.reset();
    if (!tmp_.empty()) unlinkat(dir_fd_.get(), name_of(tmp_).c_str(), 0);
    dir_fd_.reset();
    return fail(fmt::format("cannot set the mode of a temporary file beside {}: {}",
                            target_.resolved, std::strerror(err)));
  }
  f_ = fdopen(fd.get(), "w");
  if (!f_) {
    int err = errno;
    fd.reset();
    if (!tmp_.empty()) unlinkat(dir_fd_.get(), name_of(tmp_).c_str(), 0);
    dir_fd_.reset();
    return fail(fmt::format("cannot write a temporary file beside {}: {}", target_.resolved,
                            std::strerror(err)));
  }
  (void)fd.release();  // f_ owns it now
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
  if (ok && tmp_.empty()) {
    // Give the unnamed file a temporary name (linkat of /proc/self/fd needs no capability, unlike
    // AT_EMPTY_PATH): from here to the rename is the only time a kill leaves it behind, and
    // remove_stale_temporaries knows its name.
    const std::string fd_path = fmt::format("/proc/self/fd/{}", fileno(f_));
    const std::string stem = temporary_stem(target_.resolved);
    for (int i = 0; tmp_.empty() && i < 100; ++i) {
      std::string name = fmt::format("{}{}-{}", stem, getpid(), i);
      int rc = linkat(AT_FDCWD, fd_path.c_str(), dir_fd_.get(), name_of(name).c_str(),
                      AT_SYMLINK_FOLLOW);
      // Without /proc mounted: the descriptor itself (needs CAP_DAC_READ_SEARCH).
      if (rc != 0 && errno == ENOENT)
        rc = linkat(fileno(f_), "", dir_fd_.get(), name_of(name).c_str(), AT_EMPTY_PATH);
      if (rc == 0) {
        tmp_ = name;
      } else if (errno != EEXIST) {
        ok = false;
        err = errno;
        break;
      }
    }
    if (ok && tmp_.empty()) {
      ok = false;
      err = EEXIST;
    }
  }
  if (fclose(f_) != 0 && ok) {
    ok = false;
    err = errno;
  }
  f_ = nullptr;
  if (ok && renameat(dir_fd_.get(), name_of(tmp_).c_str(), dir_fd_.get(),
                     name_of(target_.resolved).c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok && !tmp_.empty()) unlinkat(dir_fd_.get(), name_of(tmp_).c_str(), 0);
  // The rename itself is durable once the directory is synced.
  if (ok) (void)fsync(dir_fd_.get());
  dir_fd_.reset();
  if (!ok) return fail(fmt::format("writing {} failed: {}", target_.resolved, std::strerror(err)));
  return {};
}

void remove_stale_temporaries(const std::string& path) {
  const fs::path target(path);
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    // PID-N, both decimal, nothing else.
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    auto digits = [](std::string_view s) {
      return !s.empty() && s.size() <= 10 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dash == std::string::npos || !digits(std::string_view(rest).substr(0, dash)) ||
        !digits(std::string_view(rest).substr(dash + 1)))
      continue;
    const long pid = std::stol(rest.substr(0, dash));
    if (pid <= 0 || pid == getpid() || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
      continue;  // its writer may still be at work
    struct stat st;
    if (lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
      continue;
    unlink(e.path().c_str());
  }
}

}  // namespace tw
