// SPDX-License-Identifier: Apache-2.0
#include "exporter/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace tw {

namespace {

// One line at most (these files are a few hundred bytes; /proc/stat grows with the CPUs, so it
// is read line by line).
std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<int64_t> boot_time(const std::string& proc_root) {
  std::ifstream in(proc_root + "/stat");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("btime ")) {
      try {
        return std::stoll(line.substr(6));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  return std::nullopt;
}

// "Max open files            1024                 524288               files"
std::optional<int64_t> soft_max_open_files(const std::string& limits_path) {
  std::ifstream in(limits_path);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(14));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited" || soft.empty()) return std::nullopt;
    try {
      return std::stoll(soft);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<ProcessStats> read_process_stats(const std::string& proc_dir) {
  auto stat = first_line(proc_dir + "/stat");
  if (!stat) return fail(proc_dir + "/stat: cannot read it");
  // The command (field 2) is in parentheses and may hold spaces and parentheses: the fields
  // after it start past the last ')'.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return fail(proc_dir + "/stat: no command field");
  std::istringstream rest(stat->substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string w; rest >> w;) f.push_back(w);
  if (f.size() < 22) return fail(proc_dir + "/stat: fewer fields than Linux writes");
  const std::string proc_root = proc_dir.substr(0, proc_dir.rfind('/'));
  // The boot time never changes, and /proc/stat's interrupt lines make it long: read it once.
  static const std::optional<int64_t> host_btime = boot_time("/proc");
  auto btime = proc_root.empty() || proc_root == "/proc" ? host_btime : boot_time(proc_root);
  if (!btime) return fail("/proc/stat: no btime line");

  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcessStats p;
  try {
    p.cpu_seconds = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
    p.start_time_seconds = static_cast<double>(*btime) + std::stod(f[22 - 3]) / ticks;
    p.virtual_bytes = std::stoll(f[23 - 3]);
    p.resident_bytes = std::stoll(f[24 - 3]) * sysconf(_SC_PAGESIZE);
  } catch (const std::exception&) {
    return fail(proc_dir + "/stat: a field is not a number");
  }
  p.max_fds = soft_max_open_files(proc_dir + "/limits");
  DIR* d = opendir((proc_dir + "/fd").c_str());
  if (!d) return fail(proc_dir + "/fd: cannot list it");
  // The listing's own descriptor is one of them, as in client_golang's count.
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++p.open_fds;
  closedir(d);
  return p;
}

namespace {
struct ProcessFamily {
  const char* name;
  MetricType type;
  const char* help;  // client_golang's
};
constexpr ProcessFamily kProcessFamilies[] = {
    {"process_cpu_seconds_total", MetricType::kCounter,
     "Total user and system CPU time spent in seconds."},
    {"process_open_fds", MetricType::kGauge, "Number of open file descriptors."},
    {"process_max_fds", MetricType::kGauge, "Maximum number of open file descriptors."},
    {"process_virtual_memory_bytes", MetricType::kGauge, "Virtual memory size in bytes."},
    {"process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes."},
    {"process_start_time_seconds", MetricType::kGauge,
     "Start time of the process since unix epoch in seconds."},
};
}  // namespace

std::vector<std::string> process_family_names() {
  std::vector<std::string> out;
  for (const auto& f : kProcessFamilies) out.push_back(f.name);
  return out;
}

void render_process_stats(const ProcessStats& p, Exposition& out) {
  for (const auto& f : kProcessFamilies) out.family(f.name, f.type, f.help);
  out.add("process_cpu_seconds_total", {}, p.cpu_seconds);
  out.add("process_open_fds", {}, static_cast<double>(p.open_fds));
  if (p.max_fds) out.add("process_max_fds", {}, static_cast<double>(*p.max_fds));
  out.add("process_virtual_memory_bytes", {}, static_cast<double>(p.virtual_bytes));
  out.add("process_resident_memory_bytes", {}, static_cast<double>(p.resident_bytes));
  out.add("process_start_time_seconds", {}, p.start_time_seconds);
}

}  // namespace tw
