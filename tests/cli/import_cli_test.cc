// SPDX-License-Identifier: Apache-2.0
// `census --from` on what users paste: every import fixture read to the hand-checked counts of its
// .expected file, dumps without -n, Windows pools and BOUND rows, standard input, and bad input
// refused with one clear line.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "run_tool.h"
#include "testing/scoped_netns.h"  // run_command

namespace tw {
namespace {

using nlohmann::json;
using testing::run_tool;
using testing::TempDir;

const std::string kImport = std::string(FIXTURES_DIR) + "/import";

// `census ARGS --json` that must succeed, parsed.
json census_json(const std::string& args, const std::string& stdin_text = "") {
  auto r = run_tool("census " + args + " --json", stdin_text);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << args << ": not JSON:\n" << r.out;
  return j;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Exit status 2 and `says` in the error.
void expect_refused(const std::string& args, const std::string& says) {
  SCOPED_TRACE("census " + args);
  auto r = run_tool("census " + args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(has(r.err, says)) << "no '" << says << "' in: " << r.err;
}

// One fixture's .expected file: the format detected, the total, the count per state (netstat's
// names), and the state an `ss state X` dump implies.
struct Expected {
  std::string format, implied;
  int64_t sockets = -1;
  std::map<std::string, int64_t> states;
};

Expected read_expected(const std::filesystem::path& p) {
  Expected e;
  std::istringstream in(testing::read_text(p));
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string key;
    w >> key;
    if (key == "format") w >> e.format;
    if (key == "implied") w >> e.implied;
    if (key == "sockets") w >> e.sockets;
    if (key == "state") {
      std::string state;
      int64_t n = -1;
      w >> state >> n;
      e.states[state] = n;
    }
  }
  return e;
}

// netstat-style names in .expected -> the filter names of the census JSON.
const std::map<std::string, std::string> kStateKey = {{"ESTABLISHED", "established"},
                                                      {"SYN_SENT", "syn-sent"},
                                                      {"SYN_RECV", "syn-recv"},
                                                      {"FIN_WAIT1", "fin-wait-1"},
                                                      {"FIN_WAIT2", "fin-wait-2"},
                                                      {"TIME_WAIT", "time-wait"},
                                                      {"CLOSE", "closed"},
                                                      {"CLOSE_WAIT", "close-wait"},
                                                      {"LAST_ACK", "last-ack"},
                                                      {"LISTEN", "listening"},
                                                      {"CLOSING", "closing"}};

// The JSON must be valid too: a dump in a Windows code page holds bytes that are no UTF-8.
TEST(ImportCli, EveryFixtureReadsToItsExpectedCounts) {
  int checked = 0;
  for (const char* sub : {"", "/real"}) {  // real/: captures of other projects and of this machine
    for (auto& entry : std::filesystem::directory_iterator(kImport + sub)) {
      if (entry.path().extension() != ".expected") continue;
      const std::string name = entry.path().stem();
      SCOPED_TRACE(name);
      Expected e = read_expected(entry.path());
      ASSERT_FALSE(e.format.empty());
      ASSERT_GE(e.sockets, 0);
      std::filesystem::path input = entry.path();
      input.replace_extension(".txt");
      if (!std::filesystem::exists(input)) input.replace_extension(".bin");  // ss -D dumps
      std::string args = "--from " + input.string();
      if (!e.implied.empty()) {
        ASSERT_TRUE(kStateKey.contains(e.implied)) << e.implied;
        args += " --state " + kStateKey.at(e.implied);
      }
      json j = census_json(args);
      EXPECT_EQ(j["host"]["source"], "import:" + e.format);
      EXPECT_EQ(j["total"], e.sockets);
      int64_t sum = 0;
      for (auto& [state, n] : e.states) {
        ASSERT_TRUE(kStateKey.contains(state)) << state;
        EXPECT_EQ(j["states"][kStateKey.at(state)], n) << state;
        sum += n;
      }
      EXPECT_EQ(sum, e.sockets) << ".expected states do not add to its total";
      ++checked;
    }
  }
  EXPECT_GE(checked, 35) << "fixtures found in " << kImport;
}

// netstat -ta without -n: every socket counted (the pair on the long IPv6 address too, that
// address cut by netstat's column and kept as printed); named and cut tuples listed, not measured.
TEST(ImportCli, NamesInsteadOfNumbers) {
  json j = census_json("--from " + kImport + "/netstat_ta.txt --by tuple");
  EXPECT_EQ(j["total"], 30);
  EXPECT_EQ(j["port_pressure"]["unmeasured_named_tuples"]["total_tuples"], 3)
      << j["port_pressure"]["unmeasured_named_tuples"];
  EXPECT_TRUE(has(j["note"], "31 of 60 endpoints were host or service names")) << j["note"];
  auto table = run_tool("census --from " + kImport + "/netstat_ta.txt --by peer");
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(std::regex_search(table.out, std::regex("(^|\n)localhost +7 "))) << table.out;
  EXPECT_TRUE(has(table.out, "not measured: 3 tuples with host or service names (capture with -n"))
      << table.out;
}

// Plain Windows netstat: detected as Windows, 13 sockets (it read as Linux netstat: 0, exit 0);
// netstat -anob's owner lines are no skipped lines, so --strict passes.
TEST(ImportCli, WindowsNetstatPlainAndWithOwners) {
  json j = census_json("--from " + kImport + "/windows_netstat_plain.txt");
  EXPECT_EQ(j["host"]["source"], "import:netstat-windows");
  EXPECT_EQ(j["total"], 13);
  auto r = run_tool("census --from " + kImport + "/windows_netstat_anob_utf16.txt --strict");
  EXPECT_EQ(r.code, 0) << "--strict refused a clean netstat -anob: " << r.err;
}

// BSD -T has no state column: exit 2 saying so. ss -D: binary, read with the live parser, its
// TIME_WAIT timers give the rate.
TEST(ImportCli, BsdWithoutStatesAndSsBinaryDump) {
  expect_refused("--from " + kImport + "/freebsd_netstat_anT.txt", "no state column");
  json j = census_json("--from " + kImport + "/ss_D.bin");
  EXPECT_EQ(j["host"]["source"], "import:ss-diag");
  EXPECT_EQ(j["time_wait"]["with_timer"], 6) << j["time_wait"];
}

// `census --from -` reads a dump piped on standard input, and every view works on it.
TEST(ImportCli, StandardInput) {
  const std::string ss = testing::read_text(kImport + "/ss_tan.txt");
  ASSERT_FALSE(ss.empty());
  json j = census_json("--from -", ss);
  EXPECT_EQ(j["total"], 30);
  EXPECT_EQ(j["states"]["time-wait"], 6);
  // From a pipe, grouped by tuple: the four IPv4 TIME-WAITs share 127.0.0.1 -> 127.0.0.1:8080.
  auto piped = testing::run_command(fmt::format(
      "cat '{}/ss_tan.txt' | {} census --from - --by tuple --json", kImport, TIMEWAIT_BIN));
  ASSERT_EQ(piped.code, 0) << piped.out;
  json t = json::parse(piped.out, nullptr, false);
  ASSERT_FALSE(t.is_discarded()) << piped.out;
  EXPECT_GT(t["groups"]["rows"].size(), 1u) << t["groups"];
  // Standard input in UTF-16 (Windows PowerShell 5 `netstat -ano > FILE`).
  json w = census_json("--from -", testing::read_text(kImport + "/windows_netstat_ano_utf16.txt"));
  EXPECT_EQ(w["total"], 21);
  EXPECT_EQ(w["host"]["os"], "windows");
}

// Microsoft's port-exhaustion guide starts at the BOUND state (`netstat -anoq`,
// `Get-NetTCPConnection -State Bound`): a socket bound to a port and neither listening nor
// connected still holds that port. Such a row counts in its address's pool (and one on 0.0.0.0 as
// lost to every address, as a listener's port) instead of being dropped.
TEST(ImportCli, WindowsBoundRowsHoldPorts) {
  json j = census_json("--from " + kImport + "/windows_netstat_anoq_bound.txt");
  const json& p = j["port_pressure"];
  EXPECT_EQ(p["bound_only"]["sockets"], 4) << p;
  ASSERT_TRUE(p["bind_pools"].is_array() && !p["bind_pools"].empty()) << p;
  EXPECT_EQ(p["bind_pools"][0]["local"], "10.0.0.5");
  EXPECT_EQ(p["bind_pools"][0]["bound_only"], 3);
  EXPECT_EQ(p["bind_pools"][0]["ports_held"], 6);
  // The dynamic range 49152-65535 less the port bound on 0.0.0.0.
  EXPECT_EQ(p["bind_pools"][0]["available"], 16383);
  // connect() skips the bound ports (bind buckets) toward every destination too.
  ASSERT_TRUE(p["tuples"].is_array() && !p["tuples"].empty()) << p;
  for (auto& t : p["tuples"]) EXPECT_EQ(t["available"], 16380) << t;
  // The same from PowerShell: its fixture has one Bound row on 0.0.0.0:50600.
  json ps = census_json("--from " + kImport + "/powershell_csv.txt");
  EXPECT_GE(ps["port_pressure"]["bound_only"]["sockets"], 1) << ps["port_pressure"];
  EXPECT_EQ(ps["port_pressure"]["bound_only"]["visible"], true) << ps["port_pressure"];
}

// A Windows dump gets Windows' port pool: port pressure of a `netstat -ano` uses the Vista+
// dynamic range 49152-65535 and says it assumed it.
TEST(ImportCli, WindowsDumpGetsWindowsPool) {
  json j = census_json("--from " + kImport + "/windows_netstat_ano.txt");
  EXPECT_EQ(j["port_pressure"]["range"], json::array({49152, 65535}));
  std::string note = j["note"].is_string() ? j["note"].get<std::string>() : "";
  std::transform(note.begin(), note.end(), note.begin(), ::tolower);
  EXPECT_TRUE(has(note, "windows")) << j["note"];
  // The local ports 50412-50425 toward 20.190.151.7:443 and 10.0.0.9:1433 are in that pool.
  int in_use = 0;
  for (auto& t : j["port_pressure"]["tuples"]) in_use += t["in_use"].get<int64_t>() > 0;
  EXPECT_GE(in_use, 2) << j["port_pressure"];
}

// Bad input: clear messages, exit 2 where nothing usable was read; lines that fit no format are
// skipped and counted (or stop the run with --strict), never silently.
TEST(ImportCli, BadInputIsRefusedOrCounted) {
  TempDir d("twimp-cli");
  expect_refused("--from " + (d / "nope.txt"), "does not exist");
  expect_refused("--from " + d.write("empty.txt", ""), "is empty");
  expect_refused(
      "--from " + d.write("dump.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
                                                 "binary",
                                                 16)),
      "looks binary");
  expect_refused("--from " + d.write("readme.txt", "hello\nworld\n"), "cannot tell the format");
  expect_refused("--from " + kImport + "/ss_tan.txt --format tcpdump", "unknown format");
  expect_refused("--from " + kImport + "/ss_tan_state_tw.txt", "--state");

  // One bad line among good ones: skipped and reported with file and line; --strict stops there.
  std::istringstream ss(testing::read_text(kImport + "/ss_tan.txt"));
  std::string dirty;
  std::string line;
  for (int i = 0; i < 5 && std::getline(ss, line); ++i) dirty += line + "\n";
  const std::string path = d.write("dirty.txt", dirty + "ESTAB 0 0 not-an-address 10.0.0.2:80\n");
  json j = census_json("--from " + path);
  EXPECT_EQ(j["total"], 4);
  const std::string note = j["note"].is_string() ? j["note"].get<std::string>() : "";
  EXPECT_TRUE(has(note, "skipped 1 of 6 lines")) << note;
  EXPECT_TRUE(has(note, path + ":6:")) << "note lacks FILE:LINE: " << note;
  expect_refused("--from " + path + " --strict", path + ":6:");
}

}  // namespace
}  // namespace tw
