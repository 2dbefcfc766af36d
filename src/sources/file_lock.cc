// SPDX-License-Identifier: Apache-2.0
#include "sources/file_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "os/unique_fd.h"

namespace tw {

namespace {
// flock(2): released by the kernel when the process ends, so a killed run leaves no stale lock.
class Flock : public FileLock {
 public:
  explicit Flock(os::UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  os::UniqueFd fd_;
};
}  // namespace

Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return fail(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  // O_NOFOLLOW: the lock is a plain file of ours, never a planted symlink or device.
  os::UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
  if (!fd) return fail(fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)));
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return fail(fmt::format("the lock file {} is not a regular file; remove it", path));
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    return fail(fmt::format("cannot lock {}: {}", path, std::strerror(err)));
  }
  return std::unique_ptr<FileLock>(new Flock(std::move(fd)));
}

}  // namespace tw
