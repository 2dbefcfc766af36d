// SPDX-License-Identifier: Apache-2.0
// A small tcp_max_tw_buckets keeps the ports free: past it a close is freed at once, port and
// all, so a client churning faster than its range sustains never runs out. The doctor must not
// forecast an exhaustion that cannot come, and must not call "raise the limit" safe to apply
// when the raise gives those closes their ports back for 60 s and connect() then fails.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "lab/churn_client.h"
#include "lab/namespace.h"
#include "lab/server.h"
#include "run_tool.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;

constexpr uint16_t kPort = 8080;

json finding(const json& doctor, const std::string& id) {
  for (auto& f : doctor["findings"])
    if (f["id"] == id) return f;
  return nullptr;
}

TEST(DoctorMaxTwBucketsCli, ACappedTableNeitherExhaustsNorIsRaisedBlindly) {
  lab::remove_stale_namespaces();
  auto ns = lab::Netns::create("maxtw");
  ASSERT_TRUE(ns) << ns.error();
  const lab::Netns& n = **ns;
  // 300 ports; at most 60 TIME_WAITs; 40 closes a second where the range sustains 5/s.
  ASSERT_TRUE(n.set_sysctl("net.ipv4.ip_local_port_range", "40000 40299"));
  ASSERT_TRUE(n.set_sysctl("net.ipv4.tcp_max_tw_buckets", "60"));
  ASSERT_TRUE(n.set_sysctl("net.ipv4.tcp_tw_reuse", "0"));
  // A server's RST to a duplicate ACK would end a TIME_WAIT early (tcp_rfc1337=0) and free a
  // port for a reason that is not the limit.
  ASSERT_TRUE(n.set_sysctl("net.ipv4.tcp_rfc1337", "1"));
  auto server = lab::Server::start(n, {.addr = "127.0.0.1", .port = kPort});
  ASSERT_TRUE(server) << server.error();
  lab::ChurnConfig churn{
      .addr = "127.0.0.1", .port = kPort, .rate = 40, .max_connects = 400, .seconds = 8};

  // The doctor samples twice, 2 s apart, while the churn runs (bounded: 8 s, 400 connects).
  lab::ChurnStats capped;
  std::thread client([&] {
    auto r = lab::run_churn_blocking(n, churn);
    if (r) capped = *r;
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto d = run_tool("doctor --json --interval 2 --netns " + n.name());
  client.join();
  // The kernel: with the table capped, no connect() failed (the ports were freed at once).
  EXPECT_GE(capped.connects, 250);
  EXPECT_EQ(capped.eaddrnotavail, 0) << capped.connects << " connects";

  json j = json::parse(d.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << d.out << d.err;
  json p = finding(j, "port-pressure"), m = finding(j, "tcp-max-tw-buckets");
  ASSERT_TRUE(p.is_object() && m.is_object()) << j.dump(1);
  const json& w = p["data"]["worst"];
  EXPECT_EQ(w["time_wait"], 60) << w.dump();
  // At ~6/s over 10 s, 60 + 6/s would fill 300 ports in ~40 s, if the limit let them.
  EXPECT_NE(w["state"], "rising") << p.dump(1);
  EXPECT_TRUE(w["eta_s"].is_null()) << w.dump();
  EXPECT_EQ(w["capped_by_max_tw_buckets"], true) << w.dump();
  EXPECT_EQ(p["severity"], "ok") << p.dump(1);

  EXPECT_EQ(m["severity"], "critical") << m.dump(1);
  ASSERT_EQ(m["fix"]["sysctls"].size(), 1u) << m.dump(1);
  const json& raise = m["fix"]["sysctls"][0];
  EXPECT_EQ(raise["name"], "net.ipv4.tcp_max_tw_buckets");
  EXPECT_EQ(raise["apply"], false) << m.dump(1);
  EXPECT_EQ(m["data"]["raise_exhausts"]["tuple"], "127.0.0.1 -> 127.0.0.1:8080") << m.dump(1);
  EXPECT_GE(m["data"]["raise_exhausts"]["would_hold"].get<int>(), 300) << m.dump(1);

  // The kernel again: the raise applied alone, the same churn runs out of ports.
  ASSERT_TRUE(n.set_sysctl("net.ipv4.tcp_max_tw_buckets", raise["value"].get<std::string>()));
  auto raised = lab::run_churn_blocking(n, churn);
  ASSERT_TRUE(raised) << raised.error();
  EXPECT_GT(raised->eaddrnotavail, 0) << raised->connects << " connects";
  EXPECT_LE(raised->connects, 300);
}

}  // namespace
}  // namespace tw
