// SPDX-License-Identifier: Apache-2.0
#include "os/netns.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace tw::os {
namespace {

// The inode of the calling thread's network namespace.
ino_t self_inode() {
  struct stat st {};
  EXPECT_EQ(stat("/proc/thread-self/ns/net", &st), 0);
  return st.st_ino;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "network namespaces need root";
  }
  std::string name(const char* what) {
    return fmt::format("twtest-{}-os-{}", getpid(), what);  // a killed run's are removed by pid
  }
};

TEST_F(NetnsTest, OwnedNamespaceExistsForItsLifetime) {
  const std::string n = name("owned");
  {
    auto ns = OwnedNetns::create(n);
    ASSERT_TRUE(ns) << ns.error();
    EXPECT_TRUE(std::filesystem::exists("/run/netns/" + n));
    OwnedNetns moved(std::move(*ns));  // the moved-from one deletes nothing
    EXPECT_TRUE(std::filesystem::exists("/run/netns/" + n));
    EXPECT_EQ(moved.name(), n);
  }
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + n));
}

TEST_F(NetnsTest, WorkRunsOnAThreadInside) {
  auto ns = OwnedNetns::create(name("work"));
  ASSERT_TRUE(ns) << ns.error();
  const ino_t outside = self_inode();
  struct stat st {};
  ASSERT_EQ(stat(("/run/netns/" + ns->name()).c_str(), &st), 0);
  ino_t seen = 0;
  ASSERT_TRUE(ns->netns().run_in([&] { seen = self_inode(); }));
  EXPECT_EQ(seen, st.st_ino);
  EXPECT_EQ(self_inode(), outside) << "the calling thread never moves";
  ino_t spawned = 0;
  auto t = ns->netns().spawn([&] { spawned = self_inode(); });
  ASSERT_TRUE(t) << t.error();
  t->join();
  EXPECT_EQ(spawned, st.st_ino);
  // Its loopback is up: a listener there accepts.
  std::string lo;
  ASSERT_TRUE(ns->netns().run_in([&] {
    auto r = run_command("ip -o link show lo");
    lo = r ? *r : r.error();
  }));
  EXPECT_NE(lo.find("UP"), std::string::npos) << lo;
}

TEST_F(NetnsTest, EnterGuardGoesBack) {
  auto ns = OwnedNetns::create(name("guard"));
  ASSERT_TRUE(ns) << ns.error();
  const ino_t outside = self_inode();
  {
    auto g = EnterGuard::enter(ns->netns());
    ASSERT_TRUE(g) << g.error();
    EXPECT_NE(self_inode(), outside);
    EnterGuard moved(std::move(*g));  // the moved-from guard goes nowhere
  }
  EXPECT_EQ(self_inode(), outside);
}

TEST_F(NetnsTest, ErrorsNameTheNamespace) {
  auto missing = Netns::by_name("twtest-none-" + std::to_string(getpid()));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), fmt::format("network namespace 'twtest-none-{}' does not exist "
                                         "(`ip netns list` shows the names)",
                                         getpid()));
  EXPECT_EQ(Netns::by_name("../x").error(), "'../x' is not a network namespace name");
  EXPECT_EQ(Netns::of_pid(0).error(), "'0' is not a process id");
  auto self = Netns::of_pid(getpid());
  ASSERT_TRUE(self) << self.error();
  EXPECT_EQ(self->what(), fmt::format("the network namespace of pid {}", getpid()));
}

}  // namespace
}  // namespace tw::os
