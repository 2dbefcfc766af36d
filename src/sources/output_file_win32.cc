// SPDX-License-Identifier: Apache-2.0
// The Windows build's OutputFile: the same promises (regular files or new paths only, symlinks
// followed, atomic replacement) with Windows' calls: a temporary file made with CREATE_NEW beside
// the target, flushed, then MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
// Files are written in binary mode so snapshots are byte for byte those of the Linux build.
#include <fcntl.h>
#include <fmt/format.h>
#include <io.h>
#include <windows.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sources/output_file.h"

namespace tw {

namespace fs = std::filesystem;

namespace {

// Paths are UTF-8 in timewait; Windows' wide calls take UTF-16.
fs::path path_of(const std::string& utf8) {
  return fs::path(std::u8string(utf8.begin(), utf8.end()));
}
std::string utf8_of(const fs::path& p) {
  std::u8string s = p.u8string();
  return std::string(s.begin(), s.end());
}

std::string parent_of(const std::string& path) {
  std::string dir = utf8_of(path_of(path).parent_path());
  return dir.empty() ? "." : dir;
}

std::string last_error() {
  return std::system_category().message(static_cast<int>(GetLastError()));
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
  std::error_code ec;
  fs::path p = path_of(path);
  // A symlink (NTFS symbolic link) names the file to replace, as on Linux; weakly_canonical
  // follows it and accepts a path that does not exist yet.
  if (fs::is_symlink(fs::symlink_status(p, ec))) {
    fs::path target = fs::read_symlink(p, ec);
    if (ec) return fail(fmt::format("cannot read the symbolic link {}: {}", path, ec.message()));
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  t.resolved = utf8_of(p);
  const std::string via =
      t.resolved == path ? "" : fmt::format(" (the target of the symlink {})", path);
  fs::file_status st = fs::status(p, ec);
  if (fs::exists(st)) {
    if (!fs::is_regular_file(st))
      return fail(fmt::format(
          "{}{} is {}; timewait writes only regular files (give a new file's path, or - for "
          "standard output)",
          t.resolved, via, fs::is_directory(st) ? "a directory" : "not a regular file"));
    t.exists = true;
    return t;
  }
  const std::string dir = parent_of(t.resolved);
  fs::file_status ds = fs::status(path_of(dir), ec);
  if (!fs::exists(ds)) {
    if (!create_dirs)
      return fail(fmt::format("cannot write {}{}: directory {} does not exist (create it first)",
                              t.resolved, via, dir));
  } else if (!fs::is_directory(ds)) {
    return fail(fmt::format("cannot write {}{}: {} is not a directory", t.resolved, via, dir));
  }
  return t;
}

void OutputFile::discard_temporary() {
  fclose(f_);
  f_ = nullptr;
  DeleteFileW(path_of(tmp_).c_str());
}

Status OutputFile::open_temporary(bool create_dirs, mode_t /*new_mode: ACLs rule here*/) {
  if (create_dirs) {
    std::error_code ec;
    const std::string dir = parent_of(target_.resolved);
    fs::create_directories(path_of(dir), ec);
    if (ec) return fail(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  }
  const fs::path target = path_of(target_.resolved);
  const std::string stem =
      utf8_of(target.parent_path() / ("." + utf8_of(target.filename()) + ".tmp-"));
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int i = 0; h == INVALID_HANDLE_VALUE && i < 100; ++i) {
    tmp_ = fmt::format("{}{}-{}", stem, GetCurrentProcessId(), i);
    // CREATE_NEW: the temporary name is never an existing file.
    h = CreateFileW(path_of(tmp_).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                    FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_EXISTS) break;
  }
  if (h == INVALID_HANDLE_VALUE)
    return fail(fmt::format("cannot create a temporary file beside {}: {}", target_.resolved,
                            last_error()));
  int fd = _open_osfhandle(reinterpret_cast<intptr_t>(h), _O_WRONLY | _O_BINARY);
  f_ = fd >= 0 ? _fdopen(fd, "wb") : nullptr;
  if (!f_) {
    int err = errno;
    if (fd >= 0)
      _close(fd);
    else
      CloseHandle(h);
    DeleteFileW(path_of(tmp_).c_str());
    return fail(fmt::format("cannot write {}: {}", tmp_, std::strerror(err)));
  }
  return {};
}

Status OutputFile::commit_temporary() {
  std::string err;
  bool ok = fflush(f_) == 0 && !ferror(f_);
  if (!ok) err = std::strerror(errno ? errno : EIO);
  if (ok && !FlushFileBuffers(reinterpret_cast<HANDLE>(_get_osfhandle(_fileno(f_))))) {
    ok = false;
    err = last_error();
  }
  if (fclose(f_) != 0 && ok) {
    ok = false;
    err = std::strerror(errno);
  }
  f_ = nullptr;
  if (ok && !MoveFileExW(path_of(tmp_).c_str(), path_of(target_.resolved).c_str(),
                         MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    ok = false;
    err = last_error();
  }
  if (!ok) {
    DeleteFileW(path_of(tmp_).c_str());
    return fail(fmt::format("writing {} failed: {}", target_.resolved, err));
  }
  return {};
}

// `doctor --apply` (the only caller) is Linux's.
void remove_stale_temporaries(const std::string&) {}

}  // namespace tw
