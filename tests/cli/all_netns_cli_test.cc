// SPDX-License-Identifier: Apache-2.0
// --all-netns in census, watch and the exporter against the real binary and kernel: one block
// (or series) per namespace, each equal to what the namespace's own census counts; the source
// said in JSON, in the header and in /metrics, and consistent with what was done (one walk where
// the binary can run it, one read per namespace where not); --top by pressure; usage errors.
// Other namespaces on the host (other tests' containers) come and go: the tests assert about
// their own namespaces and about orderings, never about the whole node's contents.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "background_tool.h"
#include "run_tool.h"
#include "testing/loopback.h"
#include "testing/scoped_netns.h"
#include "testing/sockets.h"

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;

constexpr int kEstablished = 40;  // connect()s toward 127.0.0.1:8080 in `hot`
constexpr int kTimeWait = 8;      // and closed ones: 48 of the 50 ports of its pool held
constexpr const char* kWalk = "bpf:all-netns";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

class AllNetnsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ScopedNetns::remove_stale("twnode");
    hot_ = std::make_unique<testing::ScopedNetns>("twnode");
    quiet_ = std::make_unique<testing::ScopedNetns>("twnode");
    hot_->set_sysctl("net.ipv4.ip_local_port_range", "40000 40049");
    {
      testing::EnterNetns in(hot_->name());
      hot_socks_.listen("127.0.0.1", 8080);
      for (int i = 0; i < kEstablished; ++i) hot_socks_.established("127.0.0.1", 8080);
      for (int i = 0; i < kTimeWait; ++i) hot_socks_.time_wait("127.0.0.1", 8080);
    }
    {
      testing::EnterNetns in(quiet_->name());
      quiet_socks_.listen("127.0.0.1", 8080);
      for (int i = 0; i < 3; ++i) quiet_socks_.established("127.0.0.1", 8080);
    }
  }

  json run_json(const std::string& args) {
    auto r = run_tool(args);
    EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
    try {
      return json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << args << ": " << e.what() << "\n" << r.out;
      return json::object();
    }
  }

  std::unique_ptr<testing::ScopedNetns> hot_, quiet_;
  testing::Sockets hot_socks_, quiet_socks_;
};

// A census's pools by what holds them: tuple or address, ports in use, TIME_WAIT, usable.
std::vector<std::string> pools(const json& census) {
  std::vector<std::string> out;
  for (const json& t : census["port_pressure"]["tuples"])
    out.push_back(fmt::format("{} -> {}:{} {} {} {}", t["local"].dump(), t["remote"].dump(),
                              t["remote_port"].dump(), t["in_use"].dump(), t["time_wait"].dump(),
                              t["available"].dump()));
  for (const json& p : census["port_pressure"]["bind_pools"])
    out.push_back(
        fmt::format("bind {} {} {}", p["local"].dump(), p["in_use"].dump(), p["available"].dump()));
  std::sort(out.begin(), out.end());
  return out;
}

// The node's source says what was done, and each namespace's agrees with it.
void expect_consistent_source(const json& j, const std::string& ns) {
  const bool walked = j["one_walk"].get<bool>();
  EXPECT_EQ(j["source"], walked ? kWalk : "per-netns");
  EXPECT_EQ(j["note"].is_null(), walked) << j["note"];
  const std::string source = j["namespaces"][ns]["host"]["source"];
  if (walked)
    EXPECT_EQ(source, kWalk);
  else
    EXPECT_TRUE(source == "netlink" || source == "proc" || source == "bpf") << source;
}

TEST_F(AllNetnsCli, CensusJsonIsKeyedByNamespaceAndEachEqualsItsOwnCensus) {
  json node = run_json("census --all-netns --json --top 0");
  EXPECT_EQ(node["schema"], "timewait-census-node/1");
  ASSERT_TRUE(node["namespaces"].contains(hot_->name())) << node["by_pressure"];
  ASSERT_TRUE(node["namespaces"].contains(quiet_->name()));
  EXPECT_TRUE(node["namespaces"].contains("host"));
  EXPECT_GE(node["namespaces_read"].get<int>(), 3);
  expect_consistent_source(node, hot_->name());
  expect_consistent_source(node, quiet_->name());
  for (const auto* ns : {hot_.get(), quiet_.get()}) {
    json alone = run_json(fmt::format("census --netns {} --json", ns->name()));
    EXPECT_EQ(node["namespaces"][ns->name()]["states"], alone["states"]) << ns->name();
    EXPECT_EQ(node["namespaces"][ns->name()]["host"]["netns"], ns->name());
    // The port pools alike (rates move with time, and reuse is known to the bpf source alone).
    EXPECT_FALSE(pools(alone).empty()) << ns->name();
    EXPECT_EQ(pools(node["namespaces"][ns->name()]), pools(alone)) << ns->name();
  }
  const json& hot = node["namespaces"][hot_->name()];
  EXPECT_EQ(hot["states"]["established"], 2 * kEstablished);  // both ends
  EXPECT_EQ(hot["states"]["time-wait"], kTimeWait);
  EXPECT_NEAR(hot["pressure"].get<double>(), (kEstablished + kTimeWait) / 50.0, 1e-9);
  EXPECT_FALSE(hot["own_table"].get<bool>());
  EXPECT_GT(hot["inode"].get<uint64_t>(), 0u);
  // Every namespace read is ranked, under most pressure first (ties: most TIME_WAIT).
  const json& ranked = node["by_pressure"];
  EXPECT_EQ(ranked.size(), node["namespaces"].size());
  for (size_t i = 1; i < ranked.size(); ++i) {
    const json& a = node["namespaces"][ranked[i - 1].get<std::string>()];
    const json& b = node["namespaces"][ranked[i].get<std::string>()];
    EXPECT_GE(a["pressure"].get<double>(), b["pressure"].get<double>()) << ranked;
    if (a["pressure"] == b["pressure"])
      EXPECT_GE(a["states"]["time-wait"].get<int64_t>(), b["states"]["time-wait"].get<int64_t>());
  }
}

TEST_F(AllNetnsCli, TopShowsTheNamespacesUnderMostPressure) {
  json node = run_json("census --all-netns --json --top 1");
  ASSERT_EQ(node["namespaces"].size(), 1u) << node["by_pressure"];
  ASSERT_EQ(node["by_pressure"].size(), 1u);
  EXPECT_GE(node["namespaces_read"].get<int>(), 3);
  // `hot` holds 96 % of its pool: the one shown is it or one under as much pressure.
  const json& shown = node["namespaces"][node["by_pressure"][0].get<std::string>()];
  EXPECT_GE(shown["pressure"].get<double>(), (kEstablished + kTimeWait) / 50.0 - 1e-9);

  auto r = run_tool("census --all-netns --top 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n') > 0, true);
  std::regex block(R"(\n== netns (\S+): worst pool ([0-9.]+) % used, (\d+) TIME_WAIT ==\n)");
  std::vector<std::string> names;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), block), end; it != end; ++it)
    names.push_back((*it)[1]);
  ASSERT_EQ(names.size(), 1u) << r.out;
  EXPECT_NE(r.out.find("Showing 1 of "), std::string::npos) << r.out;
}

// --source netlink reads each namespace apart: the JSON, the first line and each block's header
// say so.
TEST_F(AllNetnsCli, TheFallbackSaysSoInJsonAndInTheHeader) {
  json node = run_json("census --all-netns --source netlink --json --top 0");
  EXPECT_FALSE(node["one_walk"].get<bool>());
  EXPECT_EQ(node["source"], "per-netns");
  EXPECT_NE(node["note"].get<std::string>().find("--source netlink"), std::string::npos)
      << node["note"];
  EXPECT_EQ(node["namespaces"][hot_->name()]["host"]["source"], "netlink");
  EXPECT_EQ(node["namespaces"][hot_->name()]["states"]["time-wait"], kTimeWait);

  auto r = run_tool("census --all-netns --source netlink --top 0");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("read one namespace at a time (source per-netns): --source netlink"),
            std::string::npos)
      << lines[0];
  const std::string block =
      fmt::format("== netns {}: worst pool 96.0 % used, {} TIME_WAIT ==", hot_->name(), kTimeWait);
  const size_t at = r.out.find(block);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("netns {} (source: netlink", hot_->name()), at),
            std::string::npos);
}

TEST(AllNetnsCliUsage, AllNetnsTakesNoOtherTarget) {
  testing::expect_usage_errors({
      {"census --all-netns --netns x",
       "--all-netns counts every namespace of the node; leave "
       "--netns out"},
      {"census --all-netns --pid 1", "leave --pid out"},
      {"census --all-netns --from /dev/null", "leave --from out"},
      {"census --all-netns --save /tmp/twnode-x", "leave --save out"},
      {"census --all-netns -p", "leave -p out"},
      {"watch --all-netns --netns x", "--all-netns watches every namespace"},
      {"watch --all-netns --pid 1", "leave --netns and --pid out"},
  });
}

// watch --all-netns: the node's frame, rows of every namespace worst first, each naming its
// namespace.
TEST_F(AllNetnsCli, WatchShowsTheWorstPoolsAcrossTheNode) {
  auto r = run_tool("watch --all-netns --json --count 2 --interval 0.2 --top 1000000");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const auto& l : lines) {
    json j = json::parse(l);
    EXPECT_EQ(j["schema"], "timewait-watch/1");
    EXPECT_EQ(j["netns"], "node");
    ASSERT_TRUE(j.contains("node")) << l;
    EXPECT_EQ(j["node"]["one_walk"].get<bool>(), j["node"]["source"] == kWalk) << j["node"];
    EXPECT_GE(j["node"]["namespaces_read"].get<int>(), 3);
    // Counted over the node: at least what our two namespaces hold.
    EXPECT_GE(j["states"]["ESTAB"]["count"].get<int64_t>(), 2 * kEstablished + 6) << l;
    int hot_at = -1, quiet_at = -1, i = 0;
    for (const json& t : j["tuples"]) {
      ASSERT_TRUE(t.contains("netns")) << t;
      if (t["netns"] == hot_->name() && t["tuple"] == "127.0.0.1 -> 127.0.0.1:8080") {
        hot_at = i;
        EXPECT_EQ(t["in_use"], kEstablished + kTimeWait);
        EXPECT_EQ(t["time_wait"], kTimeWait);
      }
      if (t["netns"] == quiet_->name()) quiet_at = i;
      ++i;
    }
    ASSERT_GE(hot_at, 0) << l;
    ASSERT_GE(quiet_at, 0) << l;
    EXPECT_LT(hot_at, quiet_at);  // worst first across namespaces
  }
  // The log names the namespace on each row.
  auto log = run_tool("watch --all-netns --count 1 --top 1000000");
  ASSERT_EQ(log.code, 0) << log.err;
  EXPECT_NE(log.out.find(fmt::format("{}: 127.0.0.1 -> 127.0.0.1:8080", hot_->name())),
            std::string::npos)
      << log.out;
  EXPECT_NE(log.out.find(" node #1 "), std::string::npos) << log.out;
}

// The exporter's --all-netns: series per namespace from the node read, with the source each
// namespace was read by; --source netlink says netlink.
TEST_F(AllNetnsCli, ExporterServesEachNamespaceAndItsSource) {
  for (const std::string source : {"auto", "netlink"}) {
    const int port = testing::free_loopback_port();
    testing::BackgroundTool tool({"exporter", "--listen", fmt::format("127.0.0.1:{}", port),
                                  "--all-netns", "--min-interval", "0", "--source", source});
    ASSERT_TRUE(tool.wait_for_stderr("listening on")) << "exporter did not start";
    const std::string text = testing::loopback_request(
        port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 300);
    ASSERT_NE(text.find("HTTP/1.1 200"), std::string::npos) << text.substr(0, 300);
    const std::string hot = hot_->name(), quiet = quiet_->name();
    for (const auto& ns : {hot, quiet})
      EXPECT_NE(text.find(fmt::format("timewait_up{{netns=\"{}\"}} 1\n", ns)), std::string::npos)
          << ns;
    EXPECT_NE(text.find(fmt::format(
                  "timewait_sockets{{netns=\"{}\",family=\"ipv4\",state=\"time_wait\"}} {}\n", hot,
                  kTimeWait)),
              std::string::npos);
    EXPECT_NE(text.find(fmt::format(
                  "timewait_sockets{{netns=\"{}\",family=\"ipv4\",state=\"established\"}} {}\n",
                  quiet, 6)),
              std::string::npos);
    std::smatch m;
    const std::regex info(
        fmt::format(R"re(timewait_census_source_info\{{netns="{}",source="([^"]+)"\}} 1)re", hot));
    ASSERT_TRUE(std::regex_search(text, m, info)) << "no source for " << hot;
    if (source == "netlink") {
      EXPECT_EQ(m[1], "netlink");
    } else {
      // Both of ours share the host's table: read by the one walk, or each apart, alike.
      EXPECT_TRUE(m[1] == kWalk || m[1] == "netlink" || m[1] == "bpf") << m[1];
      EXPECT_NE(text.find(fmt::format("timewait_census_source_info{{netns=\"{}\",source=\"{}\"}} 1",
                                      quiet, m[1].str())),
                std::string::npos);
    }
    EXPECT_EQ(tool.terminate().code, 0);
  }
}

}  // namespace
}  // namespace tw
