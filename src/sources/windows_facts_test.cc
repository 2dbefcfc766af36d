// SPDX-License-Identifier: Apache-2.0
// The Windows facts' sources through fakes: what wine 8 cannot show (netsh prints nothing,
// EvtQuery is a stub) and what it can (registry values), on every build.
#include "sources/windows_facts.h"

#include <gtest/gtest.h>

#include <vector>

namespace tw {
namespace {

TEST(WindowsFacts, RegistryValuesPresentAndAbsent) {
  HostFacts f;
  auto read = [](const std::string& name) -> Result<std::optional<uint32_t>> {
    if (name == "TcpTimedWaitDelay") return std::optional<uint32_t>(30);
    if (name == "MaxUserPort") return std::optional<uint32_t>(65534);
    return std::optional<uint32_t>();
  };
  EXPECT_EQ(add_registry_values(read, &f), "");
  EXPECT_EQ(f.windows_params.at("TcpTimedWaitDelay"), 30);
  EXPECT_EQ(f.windows_params.at("MaxUserPort"), 65534);
  EXPECT_EQ(f.windows_params.count("TcpNumConnections"), 0u);
  EXPECT_EQ(f.windows_params.at(kWinRegistryRead), 1);
}

TEST(WindowsFacts, UnreadableRegistryLeavesNothing) {
  HostFacts f;
  auto read = [](const std::string&) -> Result<std::optional<uint32_t>> {
    return fail("access denied");
  };
  EXPECT_NE(add_registry_values(read, &f).find("access denied"), std::string::npos);
  EXPECT_TRUE(f.windows_params.empty());
}

TEST(WindowsFacts, DynamicPortsFromNetsh) {
  // tests/fixtures/doctor/netsh-dynamicport.txt, byte for byte.
  const std::string netsh =
      "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
      "Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n";
  std::vector<std::string> asked;
  HostFacts f;
  auto run = [&](const std::string& cmd) -> Result<std::string> {
    asked.push_back(cmd);
    if (cmd.find("ipv6") != std::string::npos) return std::string();  // as wine's netsh
    return netsh;
  };
  std::string missing = add_dynamic_ports(run, &f);
  EXPECT_EQ(asked, (std::vector<std::string>{"netsh int ipv4 show dynamicport tcp",
                                             "netsh int ipv6 show dynamicport tcp"}));
  EXPECT_EQ(f.windows_params.at("DynamicPortStart"), 49152);
  EXPECT_EQ(f.windows_params.at("DynamicPortNumber"), 16384);
  EXPECT_EQ(f.windows_params.count("DynamicPortStartIPv6"), 0u);
  // Only the IPv6 command failed (the parser's hint may name the IPv4 command as the example).
  EXPECT_NE(missing.find("`netsh int ipv6 show dynamicport tcp`:"), std::string::npos) << missing;
  EXPECT_EQ(missing.find("`netsh int ipv4 show dynamicport tcp`:"), std::string::npos) << missing;
}

TEST(WindowsFacts, EventCounts) {
  HostFacts f;
  std::vector<std::pair<int, int64_t>> asked;
  auto count = [&](int id, int64_t seconds) -> Result<int64_t> {
    asked.emplace_back(id, seconds);
    return id == 4231 ? 2 : 7;
  };
  EXPECT_EQ(add_event_counts(count, 86400, &f), "");
  EXPECT_EQ(asked, (std::vector<std::pair<int, int64_t>>{{4227, 86400}, {4231, 86400}}));
  EXPECT_EQ(f.windows_params.at(kWinEvent4227), 7);
  EXPECT_EQ(f.windows_params.at(kWinEvent4231), 2);
  EXPECT_EQ(f.windows_params.at(kWinEventWindow), 86400);
}

TEST(WindowsFacts, EventLogStubLeavesNothing) {
  HostFacts f;
  auto count = [](int, int64_t) -> Result<int64_t> {
    return fail("EvtQuery(System) failed: not implemented (error 120)");
  };
  EXPECT_NE(add_event_counts(count, 3600, &f).find("error 120"), std::string::npos);
  EXPECT_TRUE(f.windows_params.empty());
}

TEST(WindowsFacts, EventQuery) {
  EXPECT_EQ(event_query(4231, 86400),
            L"*[System[Provider[@Name='Tcpip'] and (EventID=4231) and "
            L"TimeCreated[timediff(@SystemTime) <= 86400000]]]");
}

TEST(WindowsFacts, EventWindow) {
  EXPECT_EQ(*parse_event_window("24h"), 86400);
  EXPECT_EQ(*parse_event_window("90m"), 5400);
  EXPECT_EQ(*parse_event_window("2d"), 172800);
  EXPECT_EQ(*parse_event_window("45"), 45);
  EXPECT_EQ(*parse_event_window("366d"), 366 * 86400);
  for (const char* bad : {"", "0", "-1h", "1w", "h", "367d", "1.5h", "24 h"})
    EXPECT_FALSE(parse_event_window(bad)) << bad;
}

}  // namespace
}  // namespace tw
