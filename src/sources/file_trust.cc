// SPDX-License-Identifier: Apache-2.0
#include "sources/file_trust.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace tw {

namespace fs = std::filesystem;

namespace {

std::string owner_of(uid_t uid) {
  // getpwuid_r: a name for the message only; the number when the user is not in passwd.
  char buf[4096];
  passwd pw, *found = nullptr;
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
    return fmt::format("{} ({})", found->pw_name, uid);
  return fmt::format("uid {}", uid);
}

std::string refusal(const std::string& what, const std::string& path, const struct stat& st,
                    const std::string& fix) {
  return fmt::format(
      "{} {} is owned by {} with mode {:04o}; timewait trusts it only when root alone can write "
      "it and every directory above it (else another user could make timewait write their "
      "values): {}",
      what, path, owner_of(st.st_uid), st.st_mode & 07777, fix);
}

}  // namespace

Status check_root_only(const std::string& path, const std::string& what) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      return fail(fmt::format(
          "{} {} is a symbolic link; timewait writes its backups as regular files (move it "
          "away, and look at who made it)",
          what, path));
    if (!S_ISREG(st.st_mode))
      return fail(fmt::format("{} {} is {}, not a file timewait wrote; move it away", what, path,
                              S_ISFIFO(st.st_mode)                         ? "a named pipe (FIFO)"
                              : S_ISDIR(st.st_mode)                        ? "a directory"
                              : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                           : "not a regular file"));
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
      return fail(refusal(what, path, st,
                          "move it away (it may be forged), restore the values by hand if they "
                          "are yours, or `chown root:root` and `chmod go-w` it if you trust it"));
  } else if (errno != ENOENT && errno != ENOTDIR) {
    return fail(fmt::format("cannot check {} {}: {}", what, path, std::strerror(errno)));
  }
  // Every existing directory above, followed through symlinks as the kernel will follow them.
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(fs::absolute(fs::path(path), ec).parent_path(), ec);
  if (ec) return fail(fmt::format("cannot check the directories above {}: {}", path, ec.message()));
  bool first = true;
  for (;;) {
    struct stat ds;
    if (stat(dir.c_str(), &ds) == 0) {
      // A sticky directory lets no one but its owner and root rename or remove what root put
      // there (unlink(2), EPERM): /tmp above a test's root is safe. The directory holding the
      // file itself must not be writable by others at all: they could add a file beside it.
      const bool others_write = ds.st_mode & (S_IWGRP | S_IWOTH);
      const bool sticky_ok = !first && (ds.st_mode & S_ISVTX);
      if (ds.st_uid != 0 || (others_write && !sticky_ok))
        return fail(refusal(fmt::format("the directory above {}", what), dir.string(), ds,
                            "make it root's and not writable by others (`chown root:root`, "
                            "`chmod go-w`), or use another --root"));
      first = false;
    } else if (errno != ENOENT) {
      return fail(fmt::format("cannot check {}: {}", dir.string(), std::strerror(errno)));
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return {};
}

Status make_private_dir(const std::string& dir) {
  fs::path p = fs::absolute(fs::path(dir));
  std::vector<fs::path> missing;
  for (fs::path q = p; !q.empty() && !fs::exists(q); q = q.parent_path()) {
    missing.push_back(q);
    if (q.parent_path() == q) break;
  }
  for (size_t i = missing.size(); i-- > 0;) {
    if (mkdir(missing[i].c_str(), i == 0 ? 0700 : 0755) != 0 && errno != EEXIST)
      return fail(
          fmt::format("cannot create directory {}: {}", missing[i].string(), std::strerror(errno)));
  }
  return {};
}

}  // namespace tw
