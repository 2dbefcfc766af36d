// SPDX-License-Identifier: Apache-2.0
#include "doctor/topics.h"

#include <gtest/gtest.h>

#include "doctor/test_input.h"

namespace tw {
namespace {

TEST(Topics, EveryFindingTopicExists) {
  // A rich input so that every rule speaks, Linux and Windows.
  testing::InputBuilder b;
  b.set("net.ipv4.ip_local_port_range", "40000 40099").set("net.ipv4.tcp_timestamps", "0");
  b.set("net.netfilter.nf_conntrack_max", "10").set("net.netfilter.nf_conntrack_count", "9");
  b.outgoing(95, TcpState::kTimeWait, "10.0.0.1", "10.0.0.9:80", 40000);
  auto findings = run_rules(b.build());
  testing::InputBuilder w;
  w.facts.os = "windows";
  w.facts.windows_params = {{"TcpTimedWaitDelay", 5}, {"MaxUserPort", 5000}};
  auto more = run_rules(w.build());
  findings.insert(findings.end(), more.begin(), more.end());
  size_t topics = 0;
  for (auto& f : findings)
    for (auto& t : f.topics) {
      EXPECT_NE(find_topic(t), nullptr) << f.id << " links to missing topic " << t;
      ++topics;
    }
  EXPECT_GT(topics, 20u);
}

TEST(Topics, LookupIsForgiving) {
  EXPECT_EQ(find_topic("net.ipv4.tcp_tw_reuse")->name, "tcp_tw_reuse");
  EXPECT_EQ(find_topic("TCP-TW-REUSE")->name, "tcp_tw_reuse");
  EXPECT_EQ(find_topic("so_reuseport")->name, "so_reuseaddr");
  EXPECT_EQ(find_topic("TIME_WAIT")->name, "time-wait");
  EXPECT_EQ(find_topic("nonsense"), nullptr);
}

TEST(Topics, StatesCoverAllElevenAndLinesFit) {
  std::string s = render_topic(*find_topic("states"));
  for (int i = 0; i < kStateCount; ++i) {
    std::string name(ss_name(state_at(i)));
    if (name == "ESTAB") name = "ESTABLISHED";
    if (name == "UNCONN") name = "CLOSE";
    EXPECT_NE(s.find(name), std::string::npos) << name;
  }
  for (auto& t : all_topics()) {
    EXPECT_FALSE(t.sources.empty()) << t.name;
    std::string text(t.text);
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      EXPECT_LE(nl - start, 100u) << t.name << ": " << text.substr(start, nl - start);
      start = nl + 1;
    }
  }
}

TEST(Topics, TimeWaitNamesBothPurposes) {
  std::string s(find_topic("time-wait")->text);
  EXPECT_NE(s.find("lost last ACK"), std::string::npos);
  EXPECT_NE(s.find("Old duplicates"), std::string::npos);
  std::string m(find_topic("2msl")->text);
  for (auto w : {"Linux", "FreeBSD", "Solaris", "Windows", "60 s"})
    EXPECT_NE(m.find(w), std::string::npos) << w;
}

// `explain` never tells a user to overwrite the file `--apply` manages.
TEST(Topics, NeverWriteTheFileApplyManages) {
  for (const Topic& t : all_topics()) {
    EXPECT_EQ(t.text.find("> /etc/sysctl.d/60-timewait.conf"), std::string_view::npos) << t.name;
    EXPECT_EQ(t.text.find(">> /etc/sysctl.d/60-timewait.conf"), std::string_view::npos) << t.name;
  }
}

}  // namespace
}  // namespace tw
