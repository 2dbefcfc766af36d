// SPDX-License-Identifier: Apache-2.0
// /metrics rendered from samples: per-tuple series bounded by --top-tuples with aggregates over
// every tuple, a failed namespace only `up 0`, and on the real kernel the served numbers equal a
// census of the namespace; `promtool check metrics` (Prometheus' own linter) accepts the text.
#include "exporter/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "census/port_pool.h"
#include "sources/host_reader.h"
#include "testing/preset_netns.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using namespace std::chrono_literals;

// The value of the one series whose line starts with `series` ("name{labels}"), or NaN.
double value_of(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return std::nan("");
}

int count_lines_starting(const std::string& text, const std::string& prefix) {
  int n = 0;
  size_t at = 0;
  while ((at = text.find("\n" + prefix, at)) != std::string::npos) {
    ++n;
    ++at;
  }
  return n + (text.starts_with(prefix) ? 1 : 0);
}

// A sample of `tuples` tuples toward 10.0.0.9:80, the i-th using 100*(i+1) of 1,000 ports.
std::shared_ptr<Sample> fake_sample(const std::string& ns, int tuples) {
  auto s = std::make_shared<Sample>();
  s->target = SampleTarget{ns};
  s->pool = PortPool{1000, 1999, {}};
  for (int i = tuples - 1; i >= 0; --i) {
    TupleForecast t;
    t.tuple.key.local.addr = *Address::parse(fmt::format("10.0.1.{}", i + 1));
    t.tuple.key.remote = *Endpoint::parse("10.0.0.9:80");
    t.forecast.in_use = std::min(1000, 100 * (i + 1));
    t.forecast.available = 1000;
    t.forecast.percent = 100.0 * t.forecast.in_use / 1000;
    s->tuples.push_back(t);
  }
  return s;
}

TEST(Metrics, TupleSeriesAreBoundedAndAggregatesCoverEveryTuple) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  set.samples.push_back(fake_sample("blue", 12));
  MetricsOptions o;
  o.top_tuples = 3;
  std::string text = render_metrics(set, o, ScrapeContext{.started = set.taken});
  EXPECT_EQ(count_lines_starting(text, "timewait_tuple_ports_in_use{"), 3);
  EXPECT_EQ(value_of(text, R"(timewait_tuples{netns="blue"})"), 12);
  EXPECT_EQ(value_of(text, R"(timewait_tuple_worst_port_use_ratio{netns="blue"})"), 1);
  // 500..1000 of 1000 in use: tuples 5..12 (8) at 50 % or more, 9..12 (4) at 90 % or more.
  EXPECT_EQ(value_of(text, R"(timewait_tuples_over_warning_port_use{netns="blue"})"), 8);
  EXPECT_EQ(value_of(text, R"(timewait_tuples_over_critical_port_use{netns="blue"})"), 4);
  EXPECT_EQ(value_of(text, R"(timewait_tuple_ports_in_use{netns="blue",local_address="10.0.1.12",)"
                           R"(remote_address="10.0.0.9",remote_port="80"})"),
            1000);
  EXPECT_EQ(value_of(text, R"(timewait_ephemeral_ports_usable{netns="blue"})"), 1000);
  EXPECT_EQ(value_of(text, R"(timewait_ephemeral_port_range_low{netns="blue"})"), 1000);
  o.top_tuples = 0;
  text = render_metrics(set, o, ScrapeContext{.started = set.taken});
  EXPECT_EQ(count_lines_starting(text, "timewait_tuple_ports_in_use{"), 0);
  EXPECT_EQ(value_of(text, R"(timewait_tuples{netns="blue"})"), 12);
}

// Prometheus' naming: a name ending in _ratio holds a ratio (0 to 1), a unit is a base unit.
// `timewait_tuples_over_ratio` was a count of tuples under a ratio's name.
TEST(Metrics, NamesFollowPrometheusUnits) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  set.samples.push_back(fake_sample("blue", 12));
  std::istringstream in(render_metrics(set, {}, ScrapeContext{.started = set.taken}));
  int ratios = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* bad : {"_ms", "milli", "percent", "_minutes", "_hours"})
      EXPECT_EQ(name.find(bad), std::string::npos) << line;
    if (!name.ends_with("_ratio")) continue;
    ++ratios;
    const double v = std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(v, 0) << line;
    EXPECT_LE(v, 1) << line;
  }
  EXPECT_GE(ratios, 1);
}

TEST(Metrics, AFailedNamespaceIsDownAndCounted) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  auto bad = std::make_shared<Sample>();
  bad->target = SampleTarget{"gone"};
  bad->error = "network namespace 'gone' does not exist";
  set.samples.push_back(bad);
  set.samples.push_back(fake_sample("ok", 1));
  ScrapeContext ctx{.started = set.taken, .errors_total = 3, .censuses_total = 7};
  std::string text = render_metrics(set, {}, ctx);
  EXPECT_EQ(value_of(text, R"(timewait_up{netns="gone"})"), 0);
  EXPECT_EQ(value_of(text, R"(timewait_up{netns="ok"})"), 1);
  EXPECT_EQ(text.find(R"(timewait_sockets{netns="gone")"), std::string::npos);
  EXPECT_EQ(value_of(text, "timewait_scrape_errors_total"), 3);
  EXPECT_EQ(value_of(text, "timewait_censuses_total"), 7);
  EXPECT_GE(value_of(text, "timewait_scrape_duration_seconds"), 0);
}

// Where each namespace's sockets came from: one series per namespace read, none for one that
// failed or whose source is unknown.
TEST(Metrics, EachNamespaceSaysItsSource) {
  auto sample = [](const std::string& ns, const std::string& source, const std::string& error) {
    auto s = fake_sample(ns, 1);
    s->facts.source = source;
    s->error = error;
    return s;
  };
  SampleSet set;
  set.samples.push_back(sample("walked", "bpf:all-netns", ""));
  set.samples.push_back(sample("apart", "netlink", ""));
  set.samples.push_back(sample("gone", "netlink", "no such namespace"));
  set.samples.push_back(sample("unknown", "", ""));
  const std::string text = render_metrics(set, {}, {});
  EXPECT_EQ(value_of(text, R"(timewait_census_source_info{netns="walked",source="bpf:all-netns"})"),
            1);
  EXPECT_EQ(value_of(text, R"(timewait_census_source_info{netns="apart",source="netlink"})"), 1);
  EXPECT_EQ(count_lines_starting(text, "timewait_census_source_info{"), 2) << text;
}

TEST(Metrics, EveryServedFamilyIsListed) {
  SampleSet set;
  set.samples.push_back(fake_sample("x", 2));
  std::string text = render_metrics(set, {}, {});
  auto names = metric_family_names();
  std::regex type_line(R"(# TYPE (\S+) (counter|gauge))");
  for (std::sregex_iterator it(text.begin(), text.end(), type_line), end; it != end; ++it) {
    std::string name = (*it)[1];
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    if ((*it)[2] == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
  }
  EXPECT_EQ(state_label(TcpState::kTimeWait), "time_wait");
  EXPECT_EQ(state_label(TcpState::kFinWait2), "fin_wait2");
}

// promtool check metrics reads the exposition on stdin; its exit status is the verdict.
std::pair<int, std::string> promtool_check(const std::string& text) {
  testing::TempDir dir;
  std::ofstream(dir / "m.txt") << text;
  auto r = testing::run_command(fmt::format("promtool check metrics < {}", dir / "m.txt"));
  return {r.code, r.out};
}

TEST(Metrics, PromtoolRejectsABrokenExpositionSoItsVerdictMeansSomething) {
  auto [rc, out] = promtool_check("# TYPE x counter\nx 1\nx 2\n");
  EXPECT_NE(rc, 0) << out;
}

// Prometheus' rule: summing a family over any label must mean something. A window (10 s, 60 s)
// or a threshold (0.5, 0.9) as a label made sum() add a rate to itself or count a tuple twice;
// they are parts of the names now.
TEST(Metrics, NoLabelNamesAWindowOrAThreshold) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  auto s = fake_sample("blue", 3);
  s->tuples[0].forecast.rate_10s = 4;
  s->tuples[0].forecast.rate_60s = 2;
  set.samples.push_back(s);
  const std::string text = render_metrics(set, {}, ScrapeContext{.started = set.taken});
  for (const char* label : {"window=", "ratio="})
    EXPECT_EQ(text.find(label), std::string::npos) << label << "\n" << text;
  const std::string tuple = R"({netns="blue",local_address="10.0.1.3",remote_address="10.0.0.9",)"
                            R"(remote_port="80"})";
  EXPECT_EQ(value_of(text, "timewait_tuple_time_wait_created_per_second_10s" + tuple), 4);
  EXPECT_EQ(value_of(text, "timewait_tuple_time_wait_created_per_second_60s" + tuple), 2);
  EXPECT_EQ(value_of(text, R"(timewait_time_wait_created_per_second_60s{netns="blue"})"), 0);
}

// Host-wide values (sockstat orphans, nf_conntrack_max) once, without netns, however many
// namespaces are read: one per namespace would multiply them in any sum over namespaces.
TEST(Metrics, HostWideValuesComeOnceWithoutNetns) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  auto down = std::make_shared<Sample>();
  down->target = SampleTarget{"gone"};
  down->error = "network namespace 'gone' does not exist";
  set.samples.push_back(down);
  for (const char* ns : {"blue", "green", "red"}) {
    auto s = fake_sample(ns, 1);
    s->facts.sockstat = Sockstat{.inuse = 5, .orphan = 7, .tw = 3};
    s->facts.sysctls["net.netfilter.nf_conntrack_max"] = "262144";
    s->facts.sysctls["net.netfilter.nf_conntrack_count"] = "11";
    set.samples.push_back(s);
  }
  const std::string text = render_metrics(set, {}, ScrapeContext{.started = set.taken});
  EXPECT_EQ(count_lines_starting(text, "timewait_sockstat_tcp_orphan"), 1) << text;
  EXPECT_EQ(value_of(text, "timewait_sockstat_tcp_orphan"), 7);
  EXPECT_EQ(count_lines_starting(text, "timewait_conntrack_entries_limit"), 1) << text;
  EXPECT_EQ(value_of(text, "timewait_conntrack_entries_limit"), 262144);
  // Per-namespace values stay per namespace.
  EXPECT_EQ(count_lines_starting(text, "timewait_sockstat_tcp_tw{"), 3);
  EXPECT_EQ(count_lines_starting(text, "timewait_conntrack_entries{"), 3);
  EXPECT_EQ(count_lines_starting(text, "timewait_build_info{"), 1);
}

TEST(Metrics, BuildInfoCarriesTheBuildsLabels) {
  SampleSet set;
  set.taken = std::chrono::steady_clock::now();
  MetricsOptions o;
  o.build = {"0.2.0+3.g1a2b3c4d5e6f", "1a2b3c4d5e6f", "main", "gcc 12.2.0"};
  const std::string text = render_metrics(set, o, ScrapeContext{.started = set.taken});
  EXPECT_EQ(value_of(text, R"(timewait_build_info{version="0.2.0+3.g1a2b3c4d5e6f",)"
                           R"(revision="1a2b3c4d5e6f",branch="main",compiler="gcc 12.2.0"})"),
            1)
      << text;
  EXPECT_NE(text.find("# TYPE timewait_build_info gauge\n"), std::string::npos);
  // Without them (a library user, a test): "unknown", never an empty label Prometheus would drop.
  const std::string bare = render_metrics(set, {}, ScrapeContext{.started = set.taken});
  EXPECT_EQ(value_of(bare, R"(timewait_build_info{version="unknown",revision="unknown",)"
                           R"(branch="unknown",compiler="unknown"})"),
            1)
      << bare;
}

using LiveMetrics = testing::PresetNetns;

TEST_F(LiveMetrics, ServedNumbersEqualTheNamespacesCensusAndPassPromtool) {
  SamplerOptions so;
  so.min_interval = 0ms;
  Sampler sampler({SampleTarget{ns_->name()}}, so);
  auto set = sampler.latest();
  const Sample& s = *set->samples[0];
  ASSERT_TRUE(s.ok()) << s.error;
  std::string text = render_metrics(*set, {}, ScrapeContext{.started = set->taken});
  const std::string ns = ns_->name();
  auto series = [&](const std::string& name, const std::string& labels = "") {
    return value_of(text, fmt::format("{}{{netns=\"{}\"{}}}", name, ns, labels));
  };
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv4",state="time_wait")"), kTimeWait4);
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv6",state="time_wait")"), kTimeWait6);
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv4",state="established")"), 2 * kEstablished);
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv4",state="close_wait")"), kCloseWait);
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv4",state="listen")"), 1);
  EXPECT_EQ(series("timewait_sockets", R"(,family="ipv6",state="listen")"), 1);
  EXPECT_EQ(series("timewait_sockstat_tcp_tw"), kTimeWait4 + kTimeWait6);
  // A fresh namespace: all made here.
  EXPECT_EQ(series("timewait_tcpext_tw_total"), kTimeWait4 + kTimeWait6);
  EXPECT_NEAR(series("timewait_time_wait_created_per_second_60s") * 60, kTimeWait4 + kTimeWait6,
              1e-9);
  // The pool is the namespace's own (default range, nothing reserved).
  auto low = s.facts.sysctl("net.ipv4.ip_local_port_range");
  ASSERT_TRUE(low);
  EXPECT_EQ(series("timewait_ephemeral_port_range_low"), s.pool->low);
  EXPECT_EQ(series("timewait_ephemeral_ports_usable"), s.pool->usable());
  EXPECT_EQ(series("timewait_tcp_tw_reuse"), *s.facts.sysctl_int("net.ipv4.tcp_tw_reuse"));
  EXPECT_EQ(series("timewait_tuple_ports_in_use",
                   fmt::format(R"(,local_address="127.0.0.1",remote_address="127.0.0.1",)"
                               R"(remote_port="{}")",
                               port4_)),
            kEstablished + kTimeWait4 + kCloseWait);  // the clients, in any state
  EXPECT_EQ(series("timewait_up"), 1);

  auto [rc, out] = promtool_check(text);
  EXPECT_EQ(rc, 0) << out << "\n" << text;
}

}  // namespace
}  // namespace tw
