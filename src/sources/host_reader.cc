// SPDX-License-Identifier: Apache-2.0
#include "sources/host_reader.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <sstream>

#include "os/read_file.h"
#include "os/sysctl.h"

namespace tw {

namespace {

// Folds runs of whitespace to one space and trims, as `sysctl -n` shows multi-field values.
std::string fold_spaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

int64_t field_after(std::string_view line, std::string_view key) {
  size_t p = line.find(key);
  if (p == std::string_view::npos) return 0;
  p += key.size();
  while (p < line.size() && line[p] == ' ') ++p;
  int64_t v = 0;
  std::from_chars(line.data() + p, line.data() + line.size(), v);
  return v;
}

}  // namespace

std::optional<std::string> read_sysctl(const std::string& dotted_name) {
  auto text = os::read_sysctl(dotted_name);
  if (!text) return std::nullopt;
  return fold_spaces(*text);
}

Sockstat parse_sockstat(const std::string& sockstat, const std::string& sockstat6) {
  Sockstat s;
  std::istringstream in(sockstat);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("TCP:", 0) != 0) continue;
    s.inuse = field_after(line, " inuse ");
    s.orphan = field_after(line, " orphan ");
    s.tw = field_after(line, " tw ");
    s.alloc = field_after(line, " alloc ");
    s.mem = field_after(line, " mem ");
  }
  std::istringstream in6(sockstat6);
  for (std::string line; std::getline(in6, line);)
    if (line.rfind("TCP6:", 0) == 0) s.inuse6 = field_after(line, " inuse ");
  return s;
}

void parse_counters(const std::string& text, std::map<std::string, int64_t>* out) {
  std::istringstream in(text);
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    std::istringstream n(names), v(values);
    std::string section, vsection;
    n >> section;
    v >> vsection;
    if (section != vsection) return;  // not header/value pairs: stop rather than misalign
    const bool ext = section == "TcpExt:";
    const bool tcp = section == "Tcp:";
    if (!ext && !tcp) continue;
    std::string key, val;
    while (n >> key && v >> val) {
      int64_t x = 0;
      std::from_chars(val.data(), val.data() + val.size(), x);
      (*out)[tcp ? "Tcp." + key : key] = x;
    }
  }
}

std::optional<Sockstat> read_sockstat() {
  // /proc/self/net follows the thread-group leader's namespace; thread-self follows ours.
  auto ss = os::read_file("/proc/thread-self/net/sockstat");
  if (!ss) return std::nullopt;
  return parse_sockstat(*ss, os::read_file("/proc/thread-self/net/sockstat6").value_or(""));
}

HostFacts read_host_facts() {
  HostFacts f;
  f.os = "linux";
  utsname u;
  if (uname(&u) == 0) {
    f.kernel = u.release;
    f.hostname = u.nodename;
  }
  f.captured_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  for (const char* const* n = relevant_sysctls(); *n; ++n)
    if (auto v = read_sysctl(*n)) f.sysctls[*n] = *v;
  f.sockstat = read_sockstat();
  if (auto t = os::read_file("/proc/thread-self/net/netstat")) parse_counters(*t, &f.counters);
  if (auto t = os::read_file("/proc/thread-self/net/snmp")) parse_counters(*t, &f.counters);
  return f;
}

}  // namespace tw
