// SPDX-License-Identifier: Apache-2.0
#include "import/services.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace tw {
namespace {

TEST(Services, ReadsTcpEntriesAndAliases) {
  testing::TempDir dir("twimp-services");
  const std::string path = dir / "services";
  {
    std::ofstream f(path);
    f << "# comment\n"
         "smtp\t\t25/tcp\t\tmail\n"
         "myapp\t\t7001/tcp\tmyapp-alias # trailing comment\n"
         "onlyudp\t\t9999/udp\n"
         "twice\t\t1000/tcp\n"
         "twice\t\t2000/tcp\n"
         "ssh\t\t2222/tcp\n";  // the file wins over the built-in table
  }
  EXPECT_EQ(service_port("smtp", path), 25);
  EXPECT_EQ(service_port("mail", path), 25);
  EXPECT_EQ(service_port("myapp-alias", path), 7001);
  EXPECT_EQ(service_port("onlyudp", path), std::nullopt);
  EXPECT_EQ(service_port("twice", path), std::nullopt);  // ambiguous
  EXPECT_EQ(service_port("ssh", path), 2222);
  EXPECT_EQ(service_port("https", path), 443);  // built in
}

// A machine without netbase knows the common names all the same.
TEST(Services, BuiltInTableWithoutAFile) {
  const std::string none = "/nonexistent/services";
  EXPECT_EQ(service_port("ssh", none), 22);
  EXPECT_EQ(service_port("microsoft-ds", none), 445);
  EXPECT_EQ(service_port("postgresql", none), 5432);
  EXPECT_EQ(service_port("no-such-service", none), std::nullopt);
  // The built-in table agrees with this machine's services list where it has one.
  for (auto name : {"ssh", "smtp", "http", "https", "domain", "epmap", "mysql", "imap"}) {
    if (access("/etc/services", R_OK) == 0) {
      EXPECT_EQ(service_port(name, none), service_port(name)) << name;
    }
  }
}

}  // namespace
}  // namespace tw
