// SPDX-License-Identifier: Apache-2.0
#include "lab/namespace.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {
namespace {

bool exists(const std::string& name) { return std::filesystem::exists("/run/netns/" + name); }

std::vector<std::string> owned_by(int pid) {
  std::vector<std::string> out;
  for (const std::string& n : list_lab_namespaces())
    if (n.rfind(fmt::format("{}-{}-", kNamePrefix, pid), 0) == 0) out.push_back(n);
  return out;
}

std::string read_own(const std::string& path) {
  std::ifstream in(path);
  std::string v;
  in >> v;
  return v;
}

TEST(Netns, SysctlsAreSetInsideOnly) {
  const std::string path = "/proc/sys/net/ipv4/tcp_tw_reuse";
  std::string own = read_own(path);  // this process's namespace
  ASSERT_FALSE(own.empty());
  auto ns = Netns::create("sysctl");
  ASSERT_TRUE(ns) << ns.error();
  std::string other = own == "1" ? "0" : "1";
  ASSERT_TRUE((*ns)->set_sysctl("net.ipv4.tcp_tw_reuse", other));
  EXPECT_EQ((*ns)->sysctl("net.ipv4.tcp_tw_reuse").value(), other);
  EXPECT_EQ(read_own(path), own);
}

TEST(Netns, RemovedWhenDestroyed) {
  std::string name;
  {
    auto t = Topology::client_server();
    ASSERT_TRUE(t) << t.error();
    name = t->client().name();
    EXPECT_TRUE(exists(name));
    EXPECT_TRUE(exists(t->server().name()));
  }
  EXPECT_FALSE(exists(name));
  EXPECT_TRUE(owned_by(getpid()).empty());
}

// A run killed with SIGKILL cannot clean up; the next run must find and remove what it left.
TEST(Netns, LeftoversOfAKilledRunAreRemovedByTheNextRun) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  os::UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto t = Topology::client_server();  // namespaces and a veth pair, as a lab run makes
    char ok = t ? '1' : '0';
    (void)!write(ready[1], &ok, 1);
    pause();
    _exit(0);
  }
  ready_write.reset();
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ready_read.reset();
  ASSERT_EQ(ok, '1');
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto left = owned_by(child);
  ASSERT_EQ(left.size(), 2u) << "the killed run should have left its two namespaces";

  auto removed = remove_stale_namespaces();
  for (const std::string& n : left) {
    EXPECT_FALSE(exists(n)) << n;
    EXPECT_NE(std::find(removed.begin(), removed.end(), n), removed.end()) << n;
  }
  // Namespaces of live runs (this process) are left alone.
  auto mine = Netns::create("alive");
  ASSERT_TRUE(mine) << mine.error();
  remove_stale_namespaces();
  EXPECT_TRUE(exists((*mine)->name()));
}

}  // namespace
}  // namespace tw::lab
