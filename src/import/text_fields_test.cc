// SPDX-License-Identifier: Apache-2.0
#include "import/text_fields.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

namespace tw {
namespace {

Endpoint colon(std::string_view t) {
  Endpoint ep;
  EXPECT_EQ(parse_colon_endpoint(t, &ep), EndpointError::kNone) << t;
  return ep;
}

TEST(TextFields, SplitFields) {
  std::string_view f[3];
  EXPECT_EQ(split_fields("  a\tb   c d", f, 3), 3u);
  EXPECT_EQ(f[0], "a");
  EXPECT_EQ(f[2], "c");
  EXPECT_EQ(split_fields("   ", f, 3), 0u);
}

TEST(TextFields, ColonEndpointsOfSsAndNetstat) {
  EXPECT_EQ(colon("10.0.0.1:80").to_string(), "10.0.0.1:80");
  EXPECT_EQ(colon("[2001:db8::1]:443").to_string(), "[2001:db8::1]:443");
  EXPECT_EQ(colon(":::22").to_string(), "[::]:22");        // netstat: no brackets
  EXPECT_EQ(colon("::1:9090").to_string(), "[::1]:9090");  // the last colon is the port's
  EXPECT_EQ(colon("0.0.0.0:*").port, 0);
  Endpoint any = colon("*:8443");  // ss: a dual-stack socket bound to any address
  EXPECT_EQ(any.addr.family, AF_INET6);
  EXPECT_TRUE(any.addr.is_unspecified());
  EXPECT_EQ(colon("127.0.0.53%lo:53").to_string(), "127.0.0.53:53");
  EXPECT_EQ(colon("[fe80::1]%eth0:22").to_string(), "[fe80::1]:22");
  EXPECT_EQ(colon("[fe80::1%4]:80").to_string(), "[fe80::1]:80");
  Endpoint ep;
  EXPECT_EQ(parse_colon_endpoint("10.0.0.1:70000", &ep), EndpointError::kBadPort);
  EXPECT_EQ(parse_colon_endpoint("10.0.0.1:-1", &ep), EndpointError::kBadPort);
  EXPECT_EQ(parse_colon_endpoint("2001:db8:aaaa:bbbb:7070", &ep), EndpointError::kBadAddress);
  EXPECT_EQ(parse_colon_endpoint("nocolon", &ep), EndpointError::kNoSeparator);
}

// Output without -n: host names stay names, service names become ports where the services
// list knows them, and stay names otherwise.
TEST(TextFields, NamesOfDumpsWithoutDashN) {
  Endpoint smtp = colon("localhost:smtp");
  EXPECT_TRUE(smtp.addr.is_name());
  EXPECT_EQ(smtp.addr.to_string(), "localhost");
  EXPECT_EQ(smtp.port, 25);
  EXPECT_EQ(smtp.port_name, 0);
  EXPECT_EQ(smtp.to_string(), "localhost:25");
  EXPECT_EQ(colon("localhost:smtp").addr, smtp.addr);  // one name, one Address
  EXPECT_NE(colon("api:1032").addr, smtp.addr);
  EXPECT_EQ(colon("0.0.0.0:ssh").to_string(), "0.0.0.0:22");
  EXPECT_EQ(colon("[::]:ssh").to_string(), "[::]:22");
  EXPECT_EQ(colon("127.0.0.53%lo:domain").to_string(), "127.0.0.53:53");
  EXPECT_EQ(colon("DESKTOP-7Q2:microsoft-ds").to_string(), "DESKTOP-7Q2:445");
  Endpoint odd = colon("10.0.0.1:x-no-such-svc");
  EXPECT_EQ(odd.port, 0);
  EXPECT_NE(odd.port_name, 0);
  EXPECT_TRUE(odd.is_named());
  EXPECT_EQ(odd.to_string(), "10.0.0.1:x-no-such-svc");
  EXPECT_FALSE(colon("10.0.0.1:80").is_named());
  Endpoint ep;
  ASSERT_EQ(parse_dot_endpoint("myhost.local.62979", &ep, AF_INET), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "myhost.local:62979");
  ASSERT_EQ(parse_dot_endpoint("localhost.ssh", &ep, AF_INET), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "localhost:22");
  ASSERT_EQ(parse_dot_endpoint("*.ssh", &ep, AF_INET6), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "[::]:22");
  // A broken number is not a name.
  EXPECT_EQ(parse_colon_endpoint("10.0.0:80", &ep), EndpointError::kBadAddress);
  EXPECT_EQ(parse_colon_endpoint("10.0.0.1:-1", &ep), EndpointError::kBadPort);
  // Endpoint::parse reads back what to_string printed.
  for (auto text : {"localhost:25", "api:x-no-such-svc", "[::1]:22", "10.0.0.1:80"})
    EXPECT_EQ(Endpoint::parse(text)->to_string(), text);
}

TEST(TextFields, DotEndpointsOfBsd) {
  Endpoint ep;
  ASSERT_EQ(parse_dot_endpoint("127.0.0.1.8080", &ep, AF_INET), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "127.0.0.1:8080");
  ASSERT_EQ(parse_dot_endpoint("::1.631", &ep, AF_INET6), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "[::1]:631");
  ASSERT_EQ(parse_dot_endpoint("fe80::1%lo0.8080", &ep, AF_INET6), EndpointError::kNone);
  EXPECT_EQ(ep.to_string(), "[fe80::1]:8080");
  ASSERT_EQ(parse_dot_endpoint("*.*", &ep, AF_INET), EndpointError::kNone);
  EXPECT_EQ(ep.addr.family, AF_INET);
  EXPECT_EQ(ep.port, 0);
  EXPECT_EQ(parse_dot_endpoint("127.0.0.1:80", &ep, AF_INET), EndpointError::kBadPort);
}

TEST(TextFields, StatesOfEveryTool) {
  EXPECT_EQ(import_state("TIME-WAIT"), TcpState::kTimeWait);    // ss
  EXPECT_EQ(import_state("TIME_WAIT"), TcpState::kTimeWait);    // netstat
  EXPECT_EQ(import_state("TimeWait"), TcpState::kTimeWait);     // PowerShell
  EXPECT_EQ(import_state("LISTENING"), TcpState::kListen);      // Windows netstat
  EXPECT_EQ(import_state("FIN_WAIT_2"), TcpState::kFinWait2);   // Windows, BSD
  EXPECT_EQ(import_state("SYN_RCVD"), TcpState::kSynRecv);      // BSD
  EXPECT_EQ(import_state("SYN_RECEIVED"), TcpState::kSynRecv);  // Windows
  EXPECT_EQ(import_state("CLOSED"), TcpState::kClose);
  EXPECT_EQ(import_state("UNCONN"), TcpState::kClose);
  EXPECT_EQ(import_state("Bound"), TcpState::kClose);
  EXPECT_EQ(import_state("DELETE_TCB"), TcpState::kClose);
  EXPECT_EQ(import_state("DeleteTCB"), TcpState::kClose);
  EXPECT_EQ(import_state("NEW-SYN-RECV"), TcpState::kSynRecv);
  EXPECT_EQ(import_state("WARTEND"), std::nullopt);  // localized Windows: not guessed
}

TEST(TextFields, SsTimers) {
  EXPECT_EQ(parse_ss_timer("59sec"), 59000);
  EXPECT_EQ(parse_ss_timer("1min3sec"), 63000);
  EXPECT_EQ(parse_ss_timer("5.123ms"), 5123);
  EXPECT_EQ(parse_ss_timer("200ms"), 200);
  EXPECT_EQ(parse_ss_timer("1min"), 60000);
  EXPECT_EQ(parse_ss_timer(""), std::nullopt);
  EXPECT_EQ(parse_ss_timer("soon"), std::nullopt);
}

TEST(TextFields, V4Mapped) {
  auto a = Address::parse("127.0.0.1");
  EXPECT_EQ(v4_mapped(*a).to_string(), "::ffff:127.0.0.1");
  auto b = Address::parse("::1");
  EXPECT_EQ(v4_mapped(*b), *b);
}

}  // namespace
}  // namespace tw
