// SPDX-License-Identifier: Apache-2.0
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "sources/libbpf_messages.h"

namespace tw {

namespace {

// libbpf calls its print callback from whichever thread loads a program (the tracer, each
// walker of the bpf source), so the last message is read and written under a lock.
std::mutex g_last_mutex;
std::string g_last;  // guarded by g_last_mutex

void set_last_message(std::string line) {
  std::lock_guard lock(g_last_mutex);
  g_last = std::move(line);
}

std::string last_libbpf_message() {
  std::lock_guard lock(g_last_mutex);
  return g_last;
}

int keep_libbpf_message(enum libbpf_print_level level, const char* fmt, va_list args) {
  static const bool verbose = getenv("TIMEWAIT_LIBBPF_LOG") != nullptr;
  if (verbose) return vfprintf(stderr, fmt, args);
  if (level == LIBBPF_DEBUG) return 0;
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  std::string line(buf, n > 0 ? std::min<size_t>(n, sizeof buf - 1) : 0);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty()) set_last_message(std::move(line));
  return 0;
}

}  // namespace

void keep_libbpf_messages() { libbpf_set_print(keep_libbpf_message); }

std::string libbpf_why(const char* what, int err) {
  std::string m = fmt::format("{}: {}", what, std::strerror(err < 0 ? -err : err));
  if (const std::string last = last_libbpf_message(); !last.empty())
    m += fmt::format(" (libbpf: {})", last);
  return m;
}

}  // namespace tw
