// SPDX-License-Identifier: Apache-2.0
#include "plan/levers.h"

#include <gtest/gtest.h>

namespace tw::plan {
namespace {

const Lever& find(const std::vector<Lever>& ls, std::string_view prefix) {
  for (const Lever& l : ls)
    if (l.name.rfind(prefix, 0) == 0) return l;
  static Lever none;
  ADD_FAILURE() << "no lever " << prefix;
  return none;
}

Plan plan(const PlanInput& in) {
  auto p = make_plan(in);
  EXPECT_TRUE(p) << p.error();
  return *p;
}

TEST(Levers, EachSaysWhatItBuysOnADefaultLinuxClient) {
  PlanInput in;
  in.rate = 400;
  auto ls = levers(plan(in));
  EXPECT_NEAR(*find(ls, "one more source address").gain, 2, 1e-9);
  // Keep-alive does not raise capacity; it lowers the connections needed.
  const Lever& ka = find(ls, "keep-alive");
  EXPECT_NEAR(*ka.gain, 100, 1e-9);
  EXPECT_NEAR(ka.total_rate, 4, 1e-9);
  // tcp_tw_reuse: ports / 1 s instead of ports / 60 s.
  EXPECT_NEAR(*find(ls, "tcp_tw_reuse").gain, 60, 1e-9);
  EXPECT_FALSE(find(ls, "IP_BIND_ADDRESS_NO_PORT").applies);
  // The doctor's proposal: 10000-65535 around the default range.
  const Lever& wide = find(ls, "a wider port range");
  ASSERT_TRUE(wide.applies) << wide.change;
  EXPECT_NEAR(*wide.gain, 55536.0 / 28232, 1e-9);
  EXPECT_NE(wide.change.find("10000 65535"), std::string::npos) << wide.change;
}

TEST(Levers, ThoseThatCannotHelpSayWhy) {
  PlanInput in;
  in.rate = 400;
  in.who_closes = Closer::kServer;
  auto ls = levers(plan(in));
  EXPECT_FALSE(find(ls, "tcp_tw_reuse").applies);
  in.who_closes = Closer::kClient;
  in.timestamps = false;
  const auto no_ts = levers(plan(in));
  const Lever& r = find(no_ts, "tcp_tw_reuse");
  EXPECT_FALSE(r.applies);
  EXPECT_NE(r.change.find("timestamps"), std::string::npos);
  in.timestamps = true;
  in.pool = PortPool{1024, 65535, {}};
  const auto wide = levers(plan(in));
  EXPECT_FALSE(find(wide, "a wider port range").applies);
}

TEST(Levers, BindAddressNoPortGivesBackOnePoolPerDestination) {
  PlanInput in;
  in.rate = 100;
  in.dest_addrs = 8;
  in.bind_before_connect = true;
  const auto ls = levers(plan(in));
  const Lever& l = find(ls, "IP_BIND_ADDRESS_NO_PORT");
  ASSERT_TRUE(l.applies);
  EXPECT_NEAR(*l.gain, 8, 1e-9);
}

TEST(Levers, NatLeversFollowTheNat) {
  PlanInput in;
  in.rate = 0.4;
  in.nat = NatKind::kGcp;
  auto ls = levers(plan(in));
  EXPECT_NEAR(*find(ls, "twice the Cloud NAT ports").gain, 2, 1e-9);
  // Cloud NAT allots ports per VM: another client address does not add any.
  EXPECT_NEAR(*find(ls, "one more source address").gain, 1, 1e-9);
  in.nat = NatKind::kAzure;
  in.rate = 1000;
  in.source_addrs = 4;
  const auto azure = levers(plan(in));
  EXPECT_NEAR(*find(azure, "one more NAT address").gain, 2, 1e-9);
}

}  // namespace
}  // namespace tw::plan
