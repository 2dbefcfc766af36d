// SPDX-License-Identifier: Apache-2.0
// The screen layout as text: 80x24 and other sizes, every line within the width, the worst
// destination first, pause, filter, panels, the bottom lines; and the sparkline.
#include "watch/screen.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "watch/fake_world_test.h"

namespace tw::watch {
namespace {

using testing::Destination;
using testing::FakeWorld;

struct Shown {
  FakeWorld world;
  std::unique_ptr<Sampler> sampler;
  Frame frame;
  explicit Shown(std::vector<Destination> d, int refreshes = 2) {
    world.destinations = std::move(d);
    world.sockstat_tw = 1234;
    world.counters = {{"TCPTimeWaitOverflow", 10}, {"PAWSEstab", 0}};
    SamplerOptions o;
    o.min_interval = std::chrono::milliseconds(0);
    o.doctor = true;
    sampler = std::make_unique<Sampler>(std::vector<SampleTarget>{SampleTarget{"web"}}, o,
                                        testing::take_from(&world));
    for (int i = 0; i < refreshes; ++i) {
      if (i) world.counters["TCPTimeWaitOverflow"] += 4;
      auto set = sampler->refresh();
      frame = build_frame(*set, 0, sampler->history(0), sampler->first(0), StateMask::all());
    }
  }
};

std::vector<std::string> texts(const std::vector<Line>& lines) {
  std::vector<std::string> out;
  for (const Line& l : lines) out.push_back(l.text());
  return out;
}

// The index of the first line containing `s`, or -1.
int find(const std::vector<std::string>& lines, std::string_view s) {
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find(s) != std::string::npos) return static_cast<int>(i);
  return -1;
}

std::vector<Destination> three() {
  return {Destination{.remote = "10.0.0.7", .port = 443, .time_wait = 50},
          Destination{.remote = "10.0.0.9", .port = 8080, .time_wait = 200},
          Destination{.remote = "10.0.0.8", .port = 5432, .established = 30}};
}

TEST(Screen, Fits80x24WithTheWorstDestinationFirst) {
  Shown s(three());
  ViewState v;
  auto lines = texts(layout(s.frame, v, 1, 80, 24));
  ASSERT_EQ(lines.size(), 24u);
  for (const auto& l : lines) EXPECT_LE(l.size(), 80u) << l;
  EXPECT_NE(lines[0].find("timewait watch  web"), std::string::npos) << lines[0];
  EXPECT_GE(find(lines, "TIME-WAIT"), 0);
  EXPECT_GE(find(lines, "sockstat tw 1,234"), 0);
  EXPECT_GE(find(lines, "TW/s 10s, last"), 0);
  const int overflow = find(lines, "TCPTimeWaitOverflow +4");
  ASSERT_GE(overflow, 0);
  const int header = find(lines, "LOCAL -> REMOTE");
  ASSERT_GE(header, 0);
  EXPECT_NE(lines[header].find("USABLE"), std::string::npos);
  EXPECT_NE(lines[header + 1].find("10.0.0.5 -> 10.0.0.9:8080"), std::string::npos)
      << lines[header + 1];
  EXPECT_NE(lines[header + 1].find("~20/s"), std::string::npos) << lines[header + 1];
  EXPECT_NE(lines[22].find("doctor"), std::string::npos) << lines[22];
  EXPECT_NE(lines[23].find("q quit"), std::string::npos);
}

TEST(Screen, GrowingCounterIsHighlighted) {
  Shown s(three());
  auto lines = layout(s.frame, ViewState{}, 1, 80, 24);
  bool grow = false;
  for (const Line& l : lines)
    for (const Span& sp : l.spans)
      if (sp.attr == Attr::kGrow && sp.text.find("+4") != std::string::npos) grow = true;
  EXPECT_TRUE(grow);
}

TEST(Screen, EveryLineFitsAtManySizes) {
  Shown s(three());
  for (size_t w : {40, 60, 80, 132, 200})
    for (size_t h : {10, 12, 24, 50}) {
      auto lines = texts(layout(s.frame, ViewState{}, 1, w, h));
      ASSERT_EQ(lines.size(), h);
      for (const auto& l : lines) EXPECT_LE(l.size(), w) << w << "x" << h << ": " << l;
      EXPECT_NE(lines[h - 1].find("q quit"), std::string::npos) << w << "x" << h;
    }
  auto tiny = texts(layout(s.frame, ViewState{}, 1, 30, 5));
  ASSERT_EQ(tiny.size(), 5u);
  EXPECT_NE(tiny[0].find("needs 40x10"), std::string::npos) << tiny[0];
}

// Too small a window says what it needs and what it has, in full, on as many lines as it takes
// (one line cut to the width said "timewait watch needs" and nothing more at 20 columns).
TEST(Screen, TooSmallSaysSoInFull) {
  Shown s(three());
  for (auto [w, h] : {std::pair<size_t, size_t>{20, 5}, {39, 9}, {12, 6}, {80, 9}}) {
    auto lines = texts(layout(s.frame, ViewState{}, 1, w, h));
    ASSERT_EQ(lines.size(), h);
    std::string all;
    for (const auto& l : lines) {
      EXPECT_LE(l.size(), w) << l;
      all += l + " ";
    }
    EXPECT_NE(all.find("needs 40x10;"), std::string::npos) << w << "x" << h << ": " << all;
    EXPECT_NE(all.find(fmt::format("this is {}x{}", w, h)), std::string::npos)
        << w << "x" << h << ": " << all;
  }
  // Smaller than any message: still exactly the screen.
  auto speck = texts(layout(s.frame, ViewState{}, 1, 2, 1));
  ASSERT_EQ(speck.size(), 1u);
  EXPECT_LE(speck[0].size(), 2u);
}

// A short screen drops the state table from the bottom, its header with the last row: at 40x10
// the header stood alone over no rows.
TEST(Screen, TheStateTableHeaderNeverStandsAlone) {
  Shown s(three());
  for (size_t w : {40, 80})
    for (size_t h = 10; h <= 16; ++h) {
      auto lines = texts(layout(s.frame, ViewState{}, 1, w, h));
      const int head = find(lines, "STATE ");
      if (head < 0) continue;
      ASSERT_LT(head + 1, static_cast<int>(lines.size()));
      const std::string& next = lines[head + 1];
      EXPECT_TRUE(next.starts_with("TIME-WAIT") || next.starts_with("ESTAB") ||
                  next.starts_with("TOTAL"))
          << w << "x" << h << ": after the header: '" << next << "'";
    }
}

TEST(Screen, LongListEndsWithHowManyMore) {
  std::vector<Destination> many;
  static const char* kRemotes[] = {"10.0.1.1",  "10.0.1.2",  "10.0.1.3",  "10.0.1.4",  "10.0.1.5",
                                   "10.0.1.6",  "10.0.1.7",  "10.0.1.8",  "10.0.1.9",  "10.0.1.10",
                                   "10.0.1.11", "10.0.1.12", "10.0.1.13", "10.0.1.14", "10.0.1.15",
                                   "10.0.1.16", "10.0.1.17", "10.0.1.18"};
  for (const char* r : kRemotes) many.push_back(Destination{.remote = r, .time_wait = 3});
  Shown s(many);
  auto lines = texts(layout(s.frame, ViewState{}, 1, 80, 24));
  EXPECT_GE(find(lines, "more (/ filters)"), 0);
  EXPECT_GE(find(lines, "18 destinations by pressure"), 0);
}

TEST(Screen, PausedFilteredAndPanels) {
  Shown s(three());
  ViewState v;
  v.paused = true;
  v.filter = "5432";
  auto lines = texts(layout(s.frame, v, 1, 80, 24));
  EXPECT_NE(lines[0].find("PAUSED"), std::string::npos);
  EXPECT_GE(find(lines, "1 destinations by pressure matching '5432' (of 3)"), 0);
  EXPECT_LT(find(lines, "10.0.0.9:8080"), 0);
  EXPECT_NE(lines[23].find("p resume"), std::string::npos);

  v.editing = true;
  v.draft = "10.0";
  lines = texts(layout(s.frame, v, 1, 80, 24));
  EXPECT_NE(lines[23].find("filter: 10.0_"), std::string::npos) << lines[23];

  ViewState d;
  d.panel = Panel::kFindings;
  lines = texts(layout(s.frame, d, 1, 80, 24));
  EXPECT_GE(find(lines, "Doctor findings"), 0);
  EXPECT_GE(find(lines, "port-pressure"), 0);

  ViewState h;
  h.panel = Panel::kHelp;
  lines = texts(layout(s.frame, h, 1, 80, 24));
  EXPECT_GE(find(lines, "sort destinations by pressure"), 0);
}

TEST(Screen, AnUnreadableTargetSaysWhy) {
  Shown s(three(), 1);
  s.world.fail = true;
  auto set = s.sampler->refresh();
  Frame f = build_frame(*set, 0, s.sampler->history(0), s.sampler->first(0), StateMask::all());
  auto lines = texts(layout(f, ViewState{}, 1, 80, 24));
  EXPECT_NE(lines[22].find("cannot read web: cannot enter the namespace"), std::string::npos)
      << lines[22];
}

TEST(Sparkline, ScalesToThePeakAndKeepsTheNewest) {
  EXPECT_EQ(sparkline({0, 1, 2, 4, 8}, 10), "_.:=@");
  EXPECT_EQ(sparkline({0, 0, 0}, 3), "___");
  // More values than characters: several to a character (their maximum), newest last.
  EXPECT_EQ(sparkline({8, 0, 0, 0, 0, 4}, 3), "@_=");
  EXPECT_EQ(sparkline({}, 5), "");
}

TEST(Format, SignedCountsAndDurations) {
  EXPECT_EQ(signed_count(1502), "+1,502");
  EXPECT_EQ(signed_count(-3), "-3");
  EXPECT_EQ(signed_count(0), "0");
  EXPECT_EQ(short_duration(45), "45s");
  EXPECT_EQ(short_duration(90), "1m30s");
  EXPECT_EQ(short_duration(7500), "2h05m");
}

}  // namespace
}  // namespace tw::watch

namespace tw::watch {
namespace {

TEST(Screen, DoctorLineCutsTheTitleAtAWordAndKeepsTheId) {
  Shown s(three());
  s.frame.findings = {{Severity::kWarning, true, "syn-into-time-wait",
                       "231 SYN(s) dropped into TIME_WAIT in 10 s (~23/s): 10.77.2.11 holds 96 % "
                       "of this server's TIME_WAIT: a NAT or load balancer (SNAT) in front"}};
  for (size_t w : {60, 80, 100, 132}) {
    auto lines = texts(layout(s.frame, ViewState{}, 1, w, 24));
    const int i = find(lines, "doctor warning: ");
    ASSERT_GE(i, 0) << w;
    const std::string& l = lines[i];
    EXPECT_LE(l.size(), w);
    EXPECT_TRUE(l.ends_with(" [syn-into-time-wait]")) << l;
    const std::string title = l.substr(16, l.size() - 16 - 21);
    // Either whole, or whole words then "...": the full title goes on with a separator there.
    const std::string& full = s.frame.findings[0].title;
    if (title != full) {
      ASSERT_TRUE(title.ends_with("...")) << title;
      const std::string kept = title.substr(0, title.size() - 3);
      EXPECT_TRUE(full.starts_with(kept)) << title;
      EXPECT_NE(std::string(" ,:").find(full[kept.size()]), std::string::npos)
          << "[" << title << "]";
    }
  }
}

}  // namespace
}  // namespace tw::watch
