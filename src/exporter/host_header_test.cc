// SPDX-License-Identifier: Apache-2.0
// RFC 9112 3.2's Host rule, and the values a Host field may hold (RFC 3986 uri-host and port).
#include "exporter/host_header.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(HostHeader, Http11NeedsExactlyOneValidHost) {
  EXPECT_FALSE(host_problem("HTTP/1.1", 1, "127.0.0.1:10040"));
  EXPECT_FALSE(host_problem("HTTP/1.1", 1, ""));  // no authority: an empty Host
  EXPECT_TRUE(host_problem("HTTP/1.1", 0, ""));
  EXPECT_FALSE(host_problem("HTTP/1.0", 0, ""));  // HTTP/1.0 predates Host
  EXPECT_TRUE(host_problem("HTTP/1.0", 2, "a"));
  EXPECT_TRUE(host_problem("HTTP/1.1", 2, "a"));
  EXPECT_TRUE(host_problem("HTTP/1.1", 1, "a b"));
  EXPECT_NE(host_problem("HTTP/1.1", 0, "")->find("Host"), std::string::npos);
}

TEST(HostHeader, Values) {
  for (const char* ok : {"localhost", "localhost:10040", "127.0.0.1:80", "[::1]", "[::1]:10040",
                         "exporter.example.com.", "a-b_c~d", "%41bc", "x:", "[v1.fe80::a+en1]",
                         "[::ffff:192.0.2.1]:9"})
    EXPECT_TRUE(valid_host_value(ok)) << ok;
  for (const char* bad : {"a b", "a/b", "a:b:80", "[::1", "[::1]x", "[::1]:a", "::1", "a:80x", "%4",
                          "%zz", "[]", "a@b", "[g::1]", "h\"x"})
    EXPECT_FALSE(valid_host_value(bad)) << bad;
}

}  // namespace
}  // namespace tw
