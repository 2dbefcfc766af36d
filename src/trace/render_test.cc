// SPDX-License-Identifier: Apache-2.0
#include "trace/render.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace tw {
namespace {

TraceSummary one_client(uint64_t connects, uint64_t active, TraceLoss lost = {}) {
  TraceSummary s;
  s.seconds = 2;
  s.lost = lost;
  TraceFlow f;
  f.pid = 42;
  f.comm = "api";
  f.role = TraceRole::kClient;
  f.local = Endpoint{*Address::parse("10.0.0.5"), 0};
  f.remote = Endpoint{*Address::parse("10.0.0.9"), 8080};
  f.counts.connects = connects;
  f.counts.active_closes = active;
  f.counts.failed[EADDRNOTAVAIL] = 6;
  s.flows.push_back(f);
  return s;
}

TEST(TraceRender, SummaryJsonHasCountsRatesAndLoss) {
  nlohmann::json j = summary_to_json(one_client(400, 400, TraceLoss{3, 0, 0}), "host");
  EXPECT_EQ(j["lost"]["events"], 3);
  ASSERT_EQ(j["flows"].size(), 1u);
  const auto& f = j["flows"][0];
  EXPECT_EQ(f["local"], "10.0.0.5");
  EXPECT_EQ(f["remote"], "10.0.0.9:8080");
  EXPECT_EQ(f["role"], "client");
  EXPECT_EQ(f["connects"], 400);
  EXPECT_DOUBLE_EQ(f["active_closes_per_s"].get<double>(), 200.0);
  EXPECT_EQ(f["failed_connects"]["EADDRNOTAVAIL"], 6);
  EXPECT_EQ(f["closes_first"], "this process");
  EXPECT_EQ(j["processes"][0]["pid"], 42);
}

TEST(TraceRender, SummaryTableSaysWhatWasLost) {
  std::string t = render_summary_table(one_client(1, 1, TraceLoss{0, 5, 0}), "host");
  EXPECT_NE(t.find("5 counts LOST (summary map full)"), std::string::npos) << t;
  EXPECT_NE(t.find("EADDRNOTAVAIL 6"), std::string::npos) << t;
  EXPECT_NE(t.find("10.0.0.9:8080"), std::string::npos) << t;
  EXPECT_EQ(render_summary_table(TraceSummary{}, "host").find("LOST"), std::string::npos);
}

TEST(TraceRender, EventLinesNameTheTransitionAndItsMeaning) {
  tw_event raw{};
  raw.kind = TW_EV_STATE;
  raw.ts_ns = 1'500'000'000;
  raw.pid = 7;
  std::strcpy(raw.comm, "curl");
  raw.attributed_here = 1;
  raw.family = AF_INET;
  raw.oldstate = 1;  // ESTABLISHED
  raw.newstate = 4;  // FIN_WAIT1
  raw.sport = 40000;
  raw.dport = 80;
  inet_pton(AF_INET, "127.0.0.1", raw.saddr);
  inet_pton(AF_INET, "127.0.0.2", raw.daddr);
  TraceEvent e = decode_event(raw);
  std::string line = render_event_line(e, 1'000'000'000);
  EXPECT_NE(line.find("0.500"), std::string::npos) << line;
  EXPECT_NE(line.find("ESTABLISHED -> FIN_WAIT1  active close"), std::string::npos) << line;
  EXPECT_NE(line.find("127.0.0.2:80"), std::string::npos) << line;
  nlohmann::json j = nlohmann::json::parse(render_event_json(e, 1'000'000'000));
  EXPECT_EQ(j["attribution"], "caller");
  EXPECT_EQ(j["from"], "ESTABLISHED");
  EXPECT_EQ(j["to"], "FIN_WAIT1");
  EXPECT_DOUBLE_EQ(j["t"].get<double>(), 0.5);
  EXPECT_EQ(j["remote"], "127.0.0.2:80");
  e.comm = "a\"b\\c";  // a command may name itself anything
  EXPECT_EQ(nlohmann::json::parse(render_event_json(e, 0))["comm"], "a\"b\\c");

  raw.kind = TW_EV_CONNECT_FAILED;
  raw.err = EADDRNOTAVAIL;
  line = render_event_line(decode_event(raw), 0);
  EXPECT_EQ(nlohmann::json::parse(render_event_json(decode_event(raw), 0))["errno"],
            "EADDRNOTAVAIL");
  EXPECT_NE(line.find("connect() failed: EADDRNOTAVAIL (Cannot assign requested address)"),
            std::string::npos)
      << line;
  // A transition of a socket whose owner was never seen shows no process.
  raw = tw_event{};
  raw.kind = TW_EV_STATE;
  raw.family = AF_INET;
  raw.oldstate = 5;
  raw.newstate = 7;
  TraceEvent none = decode_event(raw);
  EXPECT_EQ(none.attribution, Attribution::kNone);
  EXPECT_NE(render_event_line(none, 0).find(" - "), std::string::npos);
  EXPECT_EQ(state_label(13), "state 13");
}

PodRef cart_pod() {
  return PodRef{.uid = "0125ec2f-b64a-4868-8f5b-94b56cbab864",
                .namespace_name = "shop",
                .name = "cart",
                .container = "istio-proxy",
                .container_id = std::string(64, 'a')};
}

TEST(TraceRender, PodColumnsOnlyWhereARowIsAPods) {
  TraceSummary s = one_client(4, 4);
  std::string plain = render_summary_table(s, "host");
  EXPECT_EQ(plain.find("POD"), std::string::npos) << plain;
  EXPECT_FALSE(summary_to_json(s, "host")["flows"][0].contains("pod"));

  s.flows.push_back(s.flows[0]);
  s.flows[1].pid = 43;
  s.flows[1].pod = cart_pod();
  std::string t = render_summary_table(s, "host");
  EXPECT_NE(t.find("POD"), std::string::npos) << t;
  EXPECT_NE(t.find("shop/cart"), std::string::npos) << t;
  EXPECT_NE(t.find("istio-proxy"), std::string::npos) << t;
  nlohmann::json j = summary_to_json(s, "host");
  bool named = false;
  for (const auto& f : j["flows"]) {
    if (f["pid"] != 43) {
      EXPECT_FALSE(f.contains("pod")) << f.dump();
      continue;
    }
    named = true;
    EXPECT_EQ(f["namespace"], "shop");
    EXPECT_EQ(f["pod"], "cart");
    EXPECT_EQ(f["container"], "istio-proxy");
    EXPECT_EQ(f["container_id"], std::string(64, 'a'));
  }
  EXPECT_TRUE(named);
  bool proc_named = false;
  for (const auto& p : j["processes"])
    if (p["pid"] == 43) proc_named = p["pod"] == "cart";
  EXPECT_TRUE(proc_named) << j["processes"].dump();
}

TEST(TraceRender, EventsNameTheirPodWhenOneMaps) {
  tw_event raw{};
  raw.kind = TW_EV_CONNECT_FAILED;
  raw.err = EADDRNOTAVAIL;
  raw.pid = 9;
  raw.family = AF_INET;
  raw.cgroup_id = 4242;
  TraceEvent e = decode_event(raw);
  EXPECT_EQ(e.cgroup_id, 4242u);
  EXPECT_EQ(render_event_header(false), render_event_header());
  EXPECT_EQ(render_event_header(false).find("POD"), std::string::npos);
  EXPECT_NE(render_event_header(true).find("POD"), std::string::npos);
  EXPECT_FALSE(nlohmann::json::parse(render_event_json(e, 0)).contains("pod"));
  EXPECT_NE(render_event_line(e, 0, true).find(" - "), std::string::npos);
  e.pod = cart_pod();
  nlohmann::json j = nlohmann::json::parse(render_event_json(e, 0));
  EXPECT_EQ(j["namespace"], "shop");
  EXPECT_EQ(j["pod"], "cart");
  EXPECT_EQ(j["pod_uid"], "0125ec2f-b64a-4868-8f5b-94b56cbab864");
  EXPECT_EQ(j["container"], "istio-proxy");
  std::string line = render_event_line(e, 0, true);
  EXPECT_NE(line.find("shop/cart"), std::string::npos) << line;
  EXPECT_NE(line.find("istio-proxy"), std::string::npos) << line;
}

}  // namespace
}  // namespace tw
