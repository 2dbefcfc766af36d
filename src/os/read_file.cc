// SPDX-License-Identifier: Apache-2.0
#include "os/read_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tw::os {

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  // errno is restored after the message is made, for callers that tell ENOENT apart.
  auto failed = [&](int err, std::string message) {
    errno = err;
    return fail(std::move(message));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) {
    const int err = errno;
    return failed(err, fmt::format("cannot read {}: {}", path, std::strerror(err)));
  }
  std::string out;
  char buf[65536];
  errno = 0;
  for (;;) {
    const size_t n = std::fread(buf, 1, sizeof buf, f.get());
    if (n > max_bytes - std::min(max_bytes, out.size()))
      return failed(EFBIG, fmt::format("{} is larger than {} bytes", path, max_bytes));
    out.append(buf, n);
    if (n < sizeof buf) break;
  }
  if (std::ferror(f.get())) {
    const int err = errno ? errno : EIO;
    return failed(err, fmt::format("cannot read {}: {}", path, std::strerror(err)));
  }
  return out;
}

}  // namespace tw::os
