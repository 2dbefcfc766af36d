// SPDX-License-Identifier: Apache-2.0
#include "doctor/collector.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor/test_input.h"
#include "os/unique_fd.h"

namespace tw {
namespace {

TEST(Collector, CloseWaitOwnersFromInodesAndRestart) {
  os::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  DoctorCollector c(PortPool{});
  Socket s = testing::sock(TcpState::kCloseWait, "127.0.0.1:8080", "127.0.0.1:40000");
  s.inode = st.st_ino;
  c.add(s);
  DoctorInput in = c.input(HostFacts{}, true);
  fd.reset();
  EXPECT_TRUE(in.owners_known);
  ASSERT_EQ(in.close_wait_owners.at(8080).size(), 1u);
  EXPECT_EQ(in.close_wait_owners.at(8080)[0].pid, getpid());
  EXPECT_EQ(in.close_wait_owners.at(8080)[0].name, "doctor_test");
  EXPECT_EQ(in.sockets->count(TcpState::kCloseWait), 1);
  c.restart();
  DoctorInput again = c.input(HostFacts{}, false);
  EXPECT_EQ(again.sockets->total(), 0);
  EXPECT_TRUE(again.close_wait_owners.empty());
}

}  // namespace
}  // namespace tw
