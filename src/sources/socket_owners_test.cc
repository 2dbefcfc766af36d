// SPDX-License-Identifier: Apache-2.0
#include "sources/socket_owners.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/unique_fd.h"

namespace tw {
namespace {

TEST(SocketOwners, FindsThisProcessBySocketInode) {
  os::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  auto owners = pids_of_inodes({static_cast<uint64_t>(st.st_ino), 1});  // 1: no such socket
  fd.reset();
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners.at(st.st_ino), getpid());
  EXPECT_EQ(process_name(getpid()), "sources_test");
}

}  // namespace
}  // namespace tw
