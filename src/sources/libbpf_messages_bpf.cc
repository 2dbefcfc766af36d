// SPDX-License-Identifier: Apache-2.0
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sources/libbpf_messages.h"

namespace tw {

namespace {

std::string& last_libbpf_message() {
  static std::string m;
  return m;
}

int keep_libbpf_message(enum libbpf_print_level level, const char* fmt, va_list args) {
  static const bool verbose = getenv("TIMEWAIT_LIBBPF_LOG") != nullptr;
  if (verbose) return vfprintf(stderr, fmt, args);
  if (level == LIBBPF_DEBUG) return 0;
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  std::string line(buf, n > 0 ? std::min<size_t>(n, sizeof buf - 1) : 0);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty()) last_libbpf_message() = line;
  return 0;
}

}  // namespace

void keep_libbpf_messages() { libbpf_set_print(keep_libbpf_message); }

std::string libbpf_why(const char* what, int err) {
  std::string m = fmt::format("{}: {}", what, std::strerror(err < 0 ? -err : err));
  if (!last_libbpf_message().empty()) m += fmt::format(" (libbpf: {})", last_libbpf_message());
  return m;
}

}  // namespace tw
