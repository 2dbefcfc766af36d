// The census table says in its title the order its pressure rows are in.
#include "census/report.h"

#include <gtest/gtest.h>

#include "census/forecast.h"
#include "model/host_facts.h"

namespace tw {
namespace {

// A tuple 95 % held and not growing (critical) and one running out in ~40 s (warning, rising):
// the table puts the critical one first, so its title must not claim "soonest exhaustion first".
TEST(CensusTable, PressureTitleNamesTheOrderOfItsRows) {
  HostFacts facts;
  facts.os = "linux";
  facts.sysctls["net.ipv4.ip_local_port_range"] = "40000 40999";
  facts.sysctls["net.ipv4.tcp_tw_reuse"] = "0";
  CensusOptions o;
  o.pool = *parse_port_range("40000 40999");
  Census c(o);
  auto add = [&](const char* remote, int n, int64_t timer_ms) {
    for (int i = 0; i < n; ++i) {
      Socket s;
      s.state = TcpState::kTimeWait;
      s.local = {*Address::parse("10.0.0.1"), static_cast<uint16_t>(40000 + i)};
      s.remote = {*Address::parse(remote), 80};
      s.timer_ms = timer_ms;
      c.add(s);
    }
  };
  add("10.0.0.8", 950, 20000);  // made 40 s ago
  add("10.0.0.9", 200, 55000);  // made 5 s ago: 20/s, rising
  CensusReport r;
  r.facts = &facts;
  r.census = &c;
  r.width = 400;  // one line per row
  const std::string out = render_census_table(r);
  EXPECT_EQ(out.find("soonest exhaustion first"), std::string::npos) << out;
  EXPECT_NE(out.find(kTupleOrderText), std::string::npos) << out;
  const size_t critical = out.find("10.0.0.1 -> 10.0.0.8:80"),
               rising = out.find("10.0.0.1 -> 10.0.0.9:80");
  ASSERT_NE(critical, std::string::npos);
  ASSERT_NE(rising, std::string::npos);
  EXPECT_LT(critical, rising) << out;
}

}  // namespace
}  // namespace tw
