// SPDX-License-Identifier: Apache-2.0
// The process_* families read from /proc against what the test knows of its own process and of a
// child it starts: descriptors it opens, CPU it burns, the time a child started; and on a real
// scrape of the Exporter (two namespaces), the families client_golang serves, typed as it types
// them, with host-wide values once.
#include "exporter/process_stats.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "exporter/exporter.h"
#include "os/unique_fd.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

double wall_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// When this test program was loaded: its process started at most a moment before.
const double kLoaded = wall_now();

TEST(ProcessStats, OpenFdsCountTheDescriptorsThisTestOpens) {
  auto before = read_process_stats();
  ASSERT_TRUE(before) << before.error();
  constexpr int kOpened = 37;
  std::vector<os::UniqueFd> fds;
  for (int i = 0; i < kOpened; ++i) fds.emplace_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  for (const os::UniqueFd& fd : fds) ASSERT_TRUE(fd);
  auto during = read_process_stats();
  fds.clear();
  auto after = read_process_stats();
  ASSERT_TRUE(during && after);
  EXPECT_EQ(during->open_fds - before->open_fds, kOpened);
  EXPECT_EQ(after->open_fds, before->open_fds);
  EXPECT_GE(before->open_fds, 3);  // stdin, stdout, stderr at least
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  ASSERT_TRUE(before->max_fds);
  EXPECT_EQ(*before->max_fds, static_cast<int64_t>(lim.rlim_cur));
}

TEST(ProcessStats, MemoryAndStartTimeArePlausible) {
  // /proc/self/statm's resident pages, read just before and just after, bracket it within the
  // kernel's slack: the RSS counters are per-CPU counters that fold into the total in batches of
  // max(32, 2 x CPUs) pages, and /proc/self/stat and statm read them at different moments (here
  // they differed by 12-76 pages, never by more). The reads are retried until the bracket is
  // still (the test's own page faults move it).
  auto statm_resident = [] {
    std::ifstream statm("/proc/self/statm");
    int64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * sysconf(_SC_PAGESIZE);
  };
  const int64_t page = sysconf(_SC_PAGESIZE);
  const int64_t cpus = std::max<int64_t>(1, sysconf(_SC_NPROCESSORS_CONF));
  const int64_t slack = 2 * std::max<int64_t>(32, 2 * cpus) * cpus * page;
  Result<ProcessStats> p = fail("not read");
  int64_t before = 0, after = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    before = statm_resident();
    p = read_process_stats();
    after = statm_resident();
    if (std::abs(after - before) <= 4 * page) break;
  }
  ASSERT_TRUE(p) << p.error();
  EXPECT_GT(p->resident_bytes, 0);
  EXPECT_GE(p->virtual_bytes, p->resident_bytes);
  EXPECT_GE(p->resident_bytes, std::min(before, after) - slack);
  EXPECT_LE(p->resident_bytes, std::max(before, after) + slack);
  // Started before it was loaded (btime is whole seconds: up to 1 s early), not long before.
  EXPECT_LE(p->start_time_seconds, kLoaded + 0.05);
  EXPECT_GT(p->start_time_seconds, kLoaded - 120);
}

TEST(ProcessStats, CpuSecondsGrowByTheCpuThisTestBurns) {
  auto before = read_process_stats();
  ASSERT_TRUE(before) << before.error();
  timespec t0{}, t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  volatile uint64_t x = 0;
  double burnt = 0;
  while (burnt < 0.3) {
    for (int i = 0; i < 100000; ++i) x = x + i;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    burnt = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
  }
  auto after = read_process_stats();
  ASSERT_TRUE(after);
  const double grew = after->cpu_seconds - before->cpu_seconds;
  // Clock ticks (10 ms) on each side; the process has no other busy thread.
  EXPECT_GE(grew, burnt - 0.05);
  EXPECT_LE(grew, burnt + 0.1);
}

// A child's start time read from /proc/PID lies between the moments before and after fork().
TEST(ProcessStats, AChildsStartTimeIsWhenItWasForked) {
  const double t0 = wall_now();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    pause();
    _exit(0);
  }
  const double t1 = wall_now();
  auto p = read_process_stats(fmt::format("/proc/{}", pid));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(p) << p.error();
  // btime is whole seconds (the start can read up to 1 s early), the start a 10 ms tick.
  EXPECT_GE(p->start_time_seconds, t0 - 1.02);
  EXPECT_LE(p->start_time_seconds, t1 + 0.02);
}

TEST(ProcessStats, AMissingProcessIsOneLine) {
  auto p = read_process_stats("/proc/does-not-exist");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().find('\n'), std::string::npos);
  EXPECT_NE(p.error().find("/proc/does-not-exist/stat"), std::string::npos) << p.error();
}

// The exposition's samples and TYPE lines.
struct Parsed {
  std::multimap<std::string, double> samples;  // "name{labels}" -> value
  std::map<std::string, std::string> types;
};
Parsed parse(const std::string& text) {
  Parsed out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream f(line.substr(7));
      std::string name, type;
      f >> name >> type;
      out.types[name] = type;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    out.samples.emplace(line.substr(0, sp), std::stod(line.substr(sp + 1)));
  }
  return out;
}

// The Exporter over two real namespaces, found as --all-netns finds them: each namespace's own
// series twice, the host-wide ones and the process' once, promtool-clean.
TEST(ExporterScrape, ProcessFamiliesAndHostWideValuesOnceOverSeveralNamespaces) {
  testing::ScopedNetns::remove_stale();
  testing::ScopedNetns a, b;
  ExporterConfig cfg;
  cfg.all_netns = true;
  cfg.sampler.min_interval = std::chrono::milliseconds(0);
  cfg.discover = [&]() -> Result<std::vector<NetnsRef>> {
    return std::vector<NetnsRef>{NetnsRef{.name = a.name(), .inode = 1},
                                 NetnsRef{.name = b.name(), .inode = 2}};
  };
  cfg.metrics.build = {"9.9.9", "abc", "main", "gcc 12.2.0"};
  Exporter exporter(std::move(cfg));
  const double before = wall_now();
  const std::string text = exporter.scrape();
  const Parsed m = parse(text);

  for (const auto& ns : {a.name(), b.name()})
    EXPECT_EQ(m.samples.count(fmt::format("timewait_up{{netns=\"{}\"}}", ns)), 1u) << text;
  EXPECT_EQ(m.samples.count("timewait_sockstat_tcp_orphan"), 1u) << text;
  size_t orphan_series = 0;
  for (const auto& [series, v] : m.samples)
    orphan_series += series.starts_with("timewait_sockstat_tcp_orphan");
  EXPECT_EQ(orphan_series, 1u);
  EXPECT_EQ(m.samples.count(R"(timewait_build_info{version="9.9.9",revision="abc",branch="main",)"
                            R"(compiler="gcc 12.2.0"})"),
            1u)
      << text;

  // client_golang's process collector: these names, these types.
  const std::map<std::string, std::string> want = {{"process_cpu_seconds_total", "counter"},
                                                   {"process_open_fds", "gauge"},
                                                   {"process_max_fds", "gauge"},
                                                   {"process_virtual_memory_bytes", "gauge"},
                                                   {"process_resident_memory_bytes", "gauge"},
                                                   {"process_start_time_seconds", "gauge"}};
  for (const auto& [name, type] : want) {
    EXPECT_EQ(m.types.count(name) ? m.types.at(name) : "", type) << name;
    EXPECT_EQ(m.samples.count(name), 1u) << name;
  }
  auto v = [&](const std::string& n) { return m.samples.find(n)->second; };
  EXPECT_GT(v("process_resident_memory_bytes"), 0);
  EXPECT_GE(v("process_open_fds"), 3);
  EXPECT_LE(v("process_open_fds"), v("process_max_fds"));
  EXPECT_GE(v("process_cpu_seconds_total"), 0);
  EXPECT_LE(v("process_start_time_seconds"), before);
  EXPECT_GT(v("process_start_time_seconds"), kLoaded - 120);

  testing::TempDir dir;
  std::ofstream(dir / "m.txt") << text;
  auto r = testing::run_command(fmt::format("promtool check metrics < {} 2>&1", dir / "m.txt"));
  EXPECT_EQ(r.code, 0) << r.out << "\n" << text;
}

}  // namespace
}  // namespace tw
