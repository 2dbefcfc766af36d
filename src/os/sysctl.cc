// SPDX-License-Identifier: Apache-2.0
#include "os/sysctl.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "model/portable.h"
#include "os/read_file.h"
#include "os/unique_fd.h"

namespace tw::os {

std::string sysctl_path(std::string_view dotted) {
  std::string path = "/proc/sys/";
  for (char c : dotted) path.push_back(c == '.' ? '/' : c);
  return path;
}

Result<std::string> read_sysctl(const std::string& dotted) {
  auto text = read_file(sysctl_path(dotted), 1 << 20);
  if (!text) return text;
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return text;
}

Status write_sysctl(const std::string& dotted, const std::string& value) {
  const std::string path = sysctl_path(dotted);
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd)
    return fail(fmt::format("cannot open {} to write: {}{}", path, std::strerror(errno),
                            errno == EACCES || errno == EPERM ? " (run as root)" : ""));
  const std::string text = value + "\n";
  const ssize_t n = write(fd.get(), text.data(), text.size());
  const int err = errno;
  if (n != static_cast<ssize_t>(text.size()))
    return fail(fmt::format("the kernel refused {} = {}: {}", dotted, value, std::strerror(err)));
  return {};
}

}  // namespace tw::os
