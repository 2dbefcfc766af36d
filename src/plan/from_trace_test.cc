// SPDX-License-Identifier: Apache-2.0
#include "plan/from_trace.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tw::plan {
namespace {

Result<TraceCounts> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_trace(in);
}

MeasuredTuple tuple(const char* local, const char* remote) {
  return MeasuredTuple{*Address::parse(local), *Endpoint::parse(remote)};
}

// What `trace --summary --json` writes for the issue's nginx case: the proxy's successful
// connects from its address, its EADDRNOTAVAIL from an unbound socket (0.0.0.0), a server row and
// a second destination that are not the tuple's.
constexpr const char* kSummary = R"J({
  "scope": "network namespace lab (inode 4026532000)",
  "seconds": 30.0,
  "lost": {"events": 0, "keys": 0, "sockets": 0},
  "processes": [],
  "flows": [
    {"pid": 7, "comm": "nginx", "role": "client", "local": "10.0.0.1", "remote": "10.0.0.2:8080",
     "connects": 500, "failed_connects": {}, "failed_binds": {}},
    {"pid": 7, "comm": "nginx", "role": "client", "local": "0.0.0.0", "remote": "10.0.0.2:8080",
     "connects": 0, "failed_connects": {"EADDRNOTAVAIL": 250}},
    {"pid": 8, "comm": "nginx", "role": "client", "local": "0.0.0.0", "remote": "10.0.0.2:8080",
     "connects": 0, "failed_connects": {"EADDRNOTAVAIL": 2, "ENETUNREACH": 1}},
    {"pid": 7, "comm": "nginx", "role": "client", "local": "10.0.0.1", "remote": "10.0.0.3:8080",
     "connects": 90, "failed_connects": {}},
    {"pid": 9, "comm": "backend", "role": "server", "local": "10.0.0.2:8080", "remote": "10.0.0.1",
     "connects": 0, "failed_connects": {}}
  ]
}
)J";

TEST(FromTrace, SummaryDocumentGivesAttemptsTowardTheTuple) {
  auto t = parse(kSummary);
  ASSERT_TRUE(t) << t.error();
  EXPECT_FALSE(t->streamed);
  EXPECT_DOUBLE_EQ(t->seconds, 30);
  auto d = demand_toward(*t, tuple("10.0.0.1", "10.0.0.2:8080"));
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->connects, 500u);
  EXPECT_EQ(d->failed_total(), 253u);
  EXPECT_EQ(d->failed.at("EADDRNOTAVAIL"), 252u);
  EXPECT_NEAR(d->rate(), 753.0 / 30, 1e-9);
  EXPECT_NEAR(d->failing_share(), 253.0 / 753, 1e-9);
  // The other destination is a tuple of its own; an address that made none is an error.
  auto other = demand_toward(*t, tuple("10.0.0.1", "10.0.0.3:8080"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->connects, 90u);
  EXPECT_EQ(other->failed_total(), 0u);
  auto none = demand_toward(*t, tuple("10.0.0.9", "10.0.0.4:80"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("10.0.0.4:80"), std::string::npos) << none.error();
}

// The stream: connects are SYN_SENT -> ESTABLISHED, failures connect-failed, seconds from "end".
TEST(FromTrace, StreamedLinesCountTheSameWay) {
  std::string text;
  for (int i = 0; i < 40; ++i)
    text +=
        R"({"t":0.1,"event":"state","pid":5,"comm":"cli","attribution":"caller","role":"client","local":"127.0.0.1:0","remote":"127.0.0.1:8080","skaddr":"0x1","from":"CLOSE","to":"SYN_SENT"})"
        "\n"
        R"({"t":0.1,"event":"state","pid":5,"comm":"cli","attribution":"owner","role":"client","local":"127.0.0.1:40001","remote":"127.0.0.1:8080","skaddr":"0x1","from":"SYN_SENT","to":"ESTABLISHED"})"
        "\r\n";
  for (int i = 0; i < 20; ++i)
    text +=
        R"({"t":0.2,"event":"connect-failed","pid":5,"comm":"cli","attribution":"caller","role":"client","local":"0.0.0.0:0","remote":"127.0.0.1:8080","errno":"EADDRNOTAVAIL","error":"Cannot assign requested address"})"
        "\n";
  text +=
      R"({"t":0.3,"event":"bind-failed","pid":5,"comm":"cli","attribution":"caller","role":"client","local":"10.1.1.1:0","remote":"0.0.0.0:0","errno":"EADDRINUSE","error":"x"})"
      "\n\n";
  text += R"({"event":"end","seconds":2.0,"events":101,"lost":{"events":0,"keys":0,"sockets":0}})"
          "\n";
  auto t = parse(text);
  ASSERT_TRUE(t) << t.error();
  EXPECT_TRUE(t->streamed);
  auto d = demand_toward(*t, tuple("127.0.0.1", "127.0.0.1:8080"));
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->connects, 40u);
  EXPECT_EQ(d->failed_total(), 20u);
  EXPECT_DOUBLE_EQ(d->rate(), 30);
}

TEST(FromTrace, IPv6TuplesMatch) {
  auto t = parse(
      R"({"seconds": 10, "lost": {}, "flows": [{"role": "client", "local": "::1", "remote": "[::1]:443", "connects": 10, "failed_connects": {"EADDRNOTAVAIL": 10}}, {"role": "client", "local": "::", "remote": "[::1]:443", "connects": 0, "failed_connects": {"EADDRNOTAVAIL": 5}}]})");
  ASSERT_TRUE(t) << t.error();
  auto d = demand_toward(*t, tuple("::1", "[::1]:443"));
  ASSERT_TRUE(d) << d.error();
  EXPECT_DOUBLE_EQ(d->rate(), 2.5);
}

TEST(FromTrace, ApplyReplacesTheLowerBoundWithTheDemand) {
  PlanInput in;
  in.rate = 16.57;
  in.rate_lower_bound = "at least 16.57/s: exhausted";
  in.from = "snapshot";
  auto t = parse(kSummary);
  ASSERT_TRUE(t);
  // Without the tuple --from measured there is nothing to match.
  EXPECT_FALSE(apply_trace(*t, "t.json", &in));
  in.tuple = tuple("10.0.0.1", "10.0.0.2:8080");
  ASSERT_TRUE(apply_trace(*t, "t.json", &in));
  EXPECT_NEAR(in.rate, 753.0 / 30, 1e-9);
  EXPECT_TRUE(in.rate_lower_bound.empty());
  ASSERT_TRUE(in.traced_demand);
  EXPECT_EQ(in.traced_demand->file, "t.json");
  EXPECT_NE(in.from.find("demand from trace t.json"), std::string::npos);
  // A trace that lost counts gives at least its number.
  std::string lossy = kSummary;
  lossy.replace(lossy.find("\"keys\": 0"), 9, "\"keys\": 3");
  auto l = parse(lossy);
  ASSERT_TRUE(l) << l.error();
  PlanInput in2;
  in2.tuple = in.tuple;
  ASSERT_TRUE(apply_trace(*l, "l.json", &in2));
  EXPECT_NE(in2.rate_lower_bound.find("lost 3 counts"), std::string::npos) << in2.rate_lower_bound;
}

TEST(FromTrace, BadInputIsOneSentenceNamingThePlace) {
  const std::string end =
      R"({"event":"end","seconds":1,"events":0,"lost":{"events":0,"keys":0,"sockets":0}})";
  const std::string state =
      R"({"event":"state","local":"127.0.0.1:1","remote":"127.0.0.1:2","from":"SYN_SENT","to":"ESTABLISHED"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"\n  \n", "empty"},
      {"hello\n", "not valid JSON"},
      {"[1, 2]", "not a trace"},
      {R"({"flows": [[[[[1]]]]]})", "nested deeper"},
      {std::string(70 << 10, 'x') + "\n", "longer than 64 KiB"},
      {state + "\n", "no \"end\" line"},
      {state + "\n" + end + "\n" + state + "\n", "line 3: more after the \"end\" line"},
      {state + "\n{\n", "line 2: not valid JSON"},
      {R"({"event":"fork"})"
       "\n" +
           end,
       "line 1: unknown event 'fork'"},
      {R"({"event":"connect-failed","local":"0.0.0.0:0","remote":"host.example:80","errno":"EADDRNOTAVAIL"})"
       "\n" +
           end,
       "not an address"},
      {R"({"event":"connect-failed","local":"0.0.0.0:0","remote":"1.2.3.4:80","errno":"\u001b[2J"})"
       "\n" +
           end,
       "not an errno name"},
      {R"({"event":"end","seconds":0,"lost":{}})", "\"seconds\""},
      {R"({"event":"end","seconds":1,"lost":{"events":-1}})", "lost.events: not a count"},
      {R"({"seconds": 1, "lost": {}, "flows": {}})", "\"flows\" is not an array"},
      {R"({"seconds": 1, "lost": {}, "flows": [{"role": "client", "local": "1.2.3.4", "remote": "5.6.7.8:9", "connects": 1.5, "failed_connects": {}}]})",
       "flows[0], connects: not a count"},
      {R"({"seconds": 1, "lost": {}, "flows": [{"role": "client", "local": "1.2.3.4", "remote": "5.6.7.8:9"}]})",
       "flows[0]: \"connects\" or \"failed_connects\" is missing"},
      {R"({"lost": {}, "flows": []})", "the summary: \"seconds\""},
  };
  for (const auto& [text, want] : cases) {
    auto t = parse(text);
    ASSERT_FALSE(t) << "accepted: " << text.substr(0, 200);
    EXPECT_NE(t.error().find(want), std::string::npos) << t.error();
    EXPECT_EQ(t.error().find('\n'), std::string::npos) << t.error();
    EXPECT_EQ(t.error().find('\x1b'), std::string::npos) << t.error();
  }
}

}  // namespace
}  // namespace tw::plan
