// SPDX-License-Identifier: Apache-2.0
// import_file() as the CLI uses it: errors a user meets, skipped lines, --strict, standard input,
// snapshots, and constant memory on a large stream.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "census/census.h"
#include "import/fixture_dir.h"
#include "import/import.h"
#include "os/unique_fd.h"
#include "sources/snapshot_file.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

using testing::TempDir;

class TempFile {
 public:
  explicit TempFile(const std::string& content) : path_(dir_.write("dump", content)) {}
  const std::string& path() const { return path_; }

 private:
  testing::TempDir dir_{"twimp-test"};
  std::string path_;
};

Result<ImportReport> import_path(const std::string& path, ImportOptions o = {},
                                 int64_t* sockets = nullptr) {
  o.path = path;
  HostFacts facts;
  int64_t n = 0;
  auto r = import_file(o, &facts, [&](const Socket&) { ++n; });
  if (sockets) *sockets = n;
  return r;
}

// Runs `fn` with standard input reading `content` from a pipe (written by another thread).
template <class Fn>
void with_stdin(const std::string& content, Fn fn) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  os::UniqueFd saved(dup(STDIN_FILENO));
  dup2(p[0], STDIN_FILENO);
  os::UniqueFd(p[0]).reset();  // standard input is its copy now
  std::thread writer([&] {
    os::UniqueFd write_end(p[1]);
    size_t off = 0;
    while (off < content.size()) {
      ssize_t n = write(p[1], content.data() + off, content.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  });
  fn();
  writer.join();
  dup2(saved.get(), STDIN_FILENO);
}

const char* kSs =
    "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
    "ESTAB  0      0      10.0.0.1:40000     10.0.0.2:80\n"
    "TIME-WAIT 0   0      10.0.0.1:40001     10.0.0.2:80\n";

TEST(ImportFile, MissingEmptyDirectoryBinary) {
  auto r = import_path("/nonexistent/dump.txt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("/nonexistent/dump.txt does not exist"), std::string::npos) << r.error();
  r = import_path("/tmp");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("is a directory"), std::string::npos) << r.error();
  TempFile empty("");
  r = import_path(empty.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("is empty"), std::string::npos) << r.error();
  TempFile blank("\n  \n\t\n");
  r = import_path(blank.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("only blank lines"), std::string::npos) << r.error();
  TempFile gz(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10));
  r = import_path(gz.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("looks binary"), std::string::npos) << r.error();
}

TEST(ImportFile, UnknownAndUndetectableFormats) {
  TempFile f(kSs);
  ImportOptions o;
  o.format = "tcpdump";
  auto r = import_path(f.path(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("unknown format 'tcpdump'"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("netstat-windows"), std::string::npos) << "lists the names";
  TempFile readme("This is not a dump.\nIt has words.\n");
  r = import_path(readme.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("cannot tell the format"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("--format"), std::string::npos) << r.error();
  // The wrong format forced: nothing usable.
  o.format = "netstat-windows";
  r = import_path(f.path(), o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("nothing usable"), std::string::npos) << r.error();
}

// Outputs that hold no socket list are named in the refusal, with the line that tells and what to
// capture instead (real captures of this machine: real/README.md).
TEST(ImportFile, OutputsWithoutSocketsAreNamed) {
  std::string dir = testing::import_fixture_dir() + "/real/";
  auto r = import_path(dir + "local_lsof_i_n_P.txt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("it is lsof output (line 1: \"COMMAND"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("never a TIME_WAIT socket"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("ss -tan"), std::string::npos) << r.error();
  r = import_path(dir + "local_ss_s.txt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("it is the `ss -s` summary (line 2: \"TCP:"), std::string::npos)
      << r.error();
  TempFile netstat_s(
      "Ip:\n    Forwarding: 1\n    1234 total packets received\nTcp:\n    10 active connection "
      "openings\n    3 passive connection openings\n");
  r = import_path(netstat_s.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("`netstat -s` protocol statistics (line 5"), std::string::npos)
      << r.error();
  TempFile list(
      "\r\n\r\nLocalAddress   : ::\r\nLocalPort      : 445\r\nRemoteAddress  : ::\r\nRemotePort    "
      " "
      ": 0\r\nState          : Listen\r\nAppliedSetting : \r\nOwningProcess  : 4\r\n");
  r = import_path(list.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("Format-List"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("Export-Csv"), std::string::npos) << r.error();
  for (std::string json :
       {std::string("[\r\n    {\r\n        \"LocalAddress\":  \"::\",\r\n"
                    "        \"LocalPort\":  445,\r\n        \"State\":  2\r\n    "
                    "}\r\n]\r\n"),
        std::string("{\n    \"LocalAddress\":  \"::\",\n    \"State\":  2\n}\n")}) {
    TempFile f(json);
    r = import_path(f.path());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("ConvertTo-Json"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("Export-Csv"), std::string::npos) << r.error();
  }
}

// Two dumps pasted into one file: counting the detected one alone would be a wrong census.
TEST(ImportFile, MixedDumpsAreRefused) {
  TempFile f(std::string(kSs) +
             "Proto Recv-Q Send-Q Local Address           Foreign Address         State\n"
             "tcp        0      0 10.0.0.1:40010          10.0.0.2:80             TIME_WAIT\n"
             "tcp        0      0 10.0.0.1:40011          10.0.0.2:80             TIME_WAIT\n");
  auto r = import_path(f.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("mixes two dumps: 2 lines are ss sockets, and 2 more"),
            std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find(":5 is a netstat-linux line"), std::string::npos) << r.error();
  // A line of no format stays a skipped line.
  TempFile one(std::string(kSs) + "tcp this is not a socket line\n");
  r = import_path(one.path());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->skipped, 1);
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(testing::import_fixture_dir() + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// netstat.exe with an interval (`netstat -ano 5 > out.txt`) writes the whole table again and again:
// counted as one census each socket would count once per snapshot.
TEST(ImportFile, SeveralNetstatSnapshotsAreRefused) {
  std::string once = read_fixture("real/blog_zh_netstat_ano.txt");
  ASSERT_TRUE(import_path(TempFile(once).path()));
  TempFile twice(once + once);
  int64_t sockets = 0;
  auto r = import_path(twice.path(), {}, &sockets);
  ASSERT_FALSE(r) << "read " << sockets << " sockets from two snapshots";
  // The capture has 54 lines; the second title is its line 3 again.
  EXPECT_NE(
      r.error().find(
          twice.path() +
          ":57: \"\xE6\xB4\xBB\xE5\x8A\xA8\xE8\xBF\x9E\xE6\x8E\xA5\": a second netstat table"),
      std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("keep one table"), std::string::npos) << r.error();
}

// A state in a language no real capture showed would drop whole states from the census if its
// rows were skipped: the import stops, naming the line and the state.
TEST(ImportFile, UnknownWindowsStateIsRefused) {
  TempFile f(
      "\r\nConexiones activas\r\n\r\n"
      "  Proto  Direcci\xC3\xB3n local          Direcci\xC3\xB3n remota        Estado\r\n"
      "  TCP    10.0.0.12:52000        52.1.2.3:443           ESTABLISHED\r\n"
      "  TCP    0.0.0.0:135            0.0.0.0:0              ESCUCHANDO\r\n");
  auto r = import_path(f.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().find("cannot count " + f.path() + ": " + f.path() +
                           ":6: \"ESCUCHANDO\": a TCP state name timewait does not know"),
            0u)
      << r.error();
  EXPECT_NE(r.error().find("Export-Csv"), std::string::npos) << r.error();
  // --strict or not: the same refusal.
  ImportOptions strict;
  strict.strict = true;
  EXPECT_FALSE(import_path(f.path(), strict));
}

TEST(ImportFile, SkippedLinesAreCountedAndNamed) {
  TempFile f(std::string(kSs) + "ESTAB 0 0 garbage 10.0.0.2:80\n" +
             "SLEEPING 0 0 10.0.0.1:1 10.0.0.2:80\n" + "ESTAB 0 0 10.0.0.1:40002 10.0.0.2:80\n" +
             "ESTAB 0 0 10.0.0.1:40003 localhost:http\n");
  int64_t n = 0;
  auto r = import_path(f.path(), {}, &n);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->format, "ss");
  EXPECT_EQ(r->lines, 7);
  // The named line is a socket (captured without -n), not skipped.
  EXPECT_EQ(r->sockets, 4);
  EXPECT_EQ(n, 4);
  EXPECT_EQ(r->named_endpoints, 1);
  EXPECT_EQ(r->skipped, 2);
  ASSERT_EQ(r->skipped_examples.size(), 2u);
  EXPECT_EQ(r->skipped_examples[0], f.path() + ":4: not an ADDRESS:PORT endpoint (garbage)");
  EXPECT_EQ(r->skipped_examples[1], f.path() + ":5: unknown state name (SLEEPING)");
  EXPECT_EQ(r->skip_reasons["unknown state name"], 1);
  std::string note = describe_import(*r);
  EXPECT_NE(note.find("skipped 2 of 7 lines"), std::string::npos) << note;
  EXPECT_NE(note.find("1 of 8 endpoints were host or service names"), std::string::npos) << note;
  EXPECT_NE(note.find("capture with -n for port pressure"), std::string::npos) << note;
  EXPECT_NE(note.find(":4:"), std::string::npos) << note;

  ImportOptions strict;
  strict.strict = true;
  r = import_path(f.path(), strict);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(f.path() + ":4: not an ADDRESS:PORT endpoint"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("--strict"), std::string::npos) << r.error();
}

TEST(ImportFile, ExamplesStopAtTenCountsDoNot) {
  std::string text = kSs;
  for (int i = 0; i < 50; ++i) text += "ESTAB 0 0 nope 10.0.0.2:80\n";
  TempFile f(text);
  auto r = import_path(f.path());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->skipped, 50);
  EXPECT_EQ(r->skipped_examples.size(), 10u);
  EXPECT_EQ(r->skip_reasons.size(), 1u);
}

TEST(ImportFile, StateFilterDumpNeedsState) {
  std::string path = testing::import_fixture_dir() + "/ss_tan_state_tw.txt";
  auto r = import_path(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("--state"), std::string::npos) << r.error();
  ImportOptions o;
  o.implied_state = TcpState::kTimeWait;
  int64_t n = 0;
  r = import_path(path, o, &n);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(n, 6);
}

TEST(ImportFile, HeaderOnlyIsAnEmptyCensus) {
  TempFile f("Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n");
  ImportOptions o;
  o.implied_state = TcpState::kTimeWait;
  auto r = import_path(f.path(), o);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->sockets, 0);
}

// Plain Windows `netstat` forced through the Linux parser used to read as an empty census (its
// "Active Connections" title made every row an ignored line): 0 sockets, exit 0.
TEST(ImportFile, NoSocketFromTcpLinesIsAnError) {
  ImportOptions o;
  o.format = "netstat-linux";
  auto r = import_path(testing::import_fixture_dir() + "/windows_netstat_plain.txt", o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("look like TCP sockets"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("Active Connections"), std::string::npos) << r.error();
}

// BSD -T has no state column: detection names the closest format and says so, rather than
// calling the addresses bad.
TEST(ImportFile, NoStateColumnIsSaid) {
  auto r = import_path(testing::import_fixture_dir() + "/freebsd_netstat_anT.txt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no state column"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("netstat-bsd"), std::string::npos) << r.error();
  // The same rows without their header: detection fails, naming the closest format.
  TempFile f("tcp4       0      0     0  10.0.0.5.22            10.0.0.9.61330\n");
  r = import_path(f.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("closest is netstat-bsd"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("no state column"), std::string::npos) << r.error();
}

// netstat -anob's owner lines belong to the row above: kept, never skipped, so --strict passes.
TEST(ImportFile, NetstatBOwnersAreKept) {
  for (auto name : {"windows_netstat_anob.txt", "windows_netstat_anob_utf16.txt"}) {
    SCOPED_TRACE(name);
    ImportOptions o;
    o.strict = true;
    o.path = testing::import_fixture_dir() + "/" + name;
    HostFacts facts;
    std::map<std::string, std::string> owner_of;
    auto r = import_file(o, &facts, [&](const Socket& s) {
      owner_of[s.local.to_string() + " " + std::string(s.original_state)] = std::string(s.command);
    });
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->skipped, 0);
    EXPECT_EQ(owner_of["0.0.0.0:135 LISTENING"], "RpcSs [svchost.exe]");
    EXPECT_EQ(owner_of["127.0.0.1:9100 LISTENING"], "[NVIDIA Web Helper.exe]");
    EXPECT_EQ(owner_of["0.0.0.0:445 LISTENING"], "");  // "Can not obtain ownership information"
    EXPECT_EQ(owner_of["192.168.1.20:49731 TIME_WAIT"], "");
    EXPECT_EQ(owner_of["[::]:135 LISTENING"], "RpcSs [svchost.exe]");
  }
}

// A mixed dump (names on some lines, numbers on others) counts every line, and port pressure
// lists the named tuples instead of measuring them.
TEST(ImportFile, NamedTuplesAreListedNotMeasured) {
  ImportOptions o;
  o.path = testing::import_fixture_dir() + "/netstat_ta.txt";
  HostFacts facts;
  CensusOptions co;
  co.by = GroupBy::kPeer;
  co.pool = PortPool{};
  Census c(co);
  auto r = import_file(o, &facts, [&](const Socket& s) { c.add(s); });
  ASSERT_TRUE(r) << r.error();
  // The long IPv6 pair, cut by netstat's column, counts too (kept as printed).
  EXPECT_EQ(c.total(), 30);
  // 127.0.0.1 printed as "localhost" is a group of its own.
  bool localhost = false;
  for (auto& g : c.groups()) localhost |= describe_key(g.key, GroupBy::kPeer) == "localhost";
  EXPECT_TRUE(localhost);
  // localhost -> localhost:8080 (3 ESTABLISHED, 4 TIME_WAIT, 2 FIN_WAIT2 clients) and
  // localhost -> localhost:8443 are listed; the ::1 tuple, printed as numbers, is measured.
  auto unmeasured = c.unmeasured_pressure();
  ASSERT_EQ(unmeasured.size(), 3u);
  EXPECT_EQ(describe_key(unmeasured[0].key, GroupBy::kTuple), "localhost -> localhost:8080");
  EXPECT_EQ(unmeasured[0].total, 9);
  EXPECT_EQ(unmeasured[0].counts[state_index(TcpState::kTimeWait)], 4);
  bool cut = false;
  for (auto& u : unmeasured)
    cut |= describe_key(u.key, GroupBy::kTuple).find("2001:db8:aaaa:bbbb\xE2\x80\xA6:7070") !=
           std::string::npos;
  EXPECT_TRUE(cut) << "the cut pair is listed, not measured";
  auto measured = c.pressure();
  ASSERT_EQ(measured.size(), 1u);
  EXPECT_EQ(describe_key(measured[0].key, GroupBy::kTuple), "::1 -> [::1]:9090");
}

TEST(ImportFile, CleanDumpHasNoNote) {
  auto r = import_path(testing::import_fixture_dir() + "/ss_tan.txt");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(describe_import(*r), "");
}

TEST(ImportFile, FactsComeBeforeTheFirstSocket) {
  ImportOptions o;
  o.path = testing::import_fixture_dir() + "/windows_netstat_ano.txt";
  HostFacts facts;
  bool checked = false;
  auto r = import_file(o, &facts, [&](const Socket&) {
    if (checked) return;
    checked = true;
    EXPECT_EQ(facts.os, "windows");
    EXPECT_EQ(facts.source, "import:netstat-windows");
  });
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(checked);
}

TEST(ImportFile, StandardInput) {
  with_stdin(kSs, [] {
    int64_t n = 0;
    auto r = import_path("-", {}, &n);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(n, 2);
    EXPECT_EQ(r->format, "ss");
  });
  with_stdin(std::string(kSs) + "junk line here\n", [] {
    ImportOptions o;
    o.strict = true;
    auto r = import_path("-", o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("<stdin>:4:"), std::string::npos) << r.error();
  });
}

// A census --save snapshot of an imported dump reads back to the same census, from a file and
// from standard input, and keeps each socket's original state spelling.
// Imports a fixture into `census` and saves it as the snapshot `snap`.
void import_and_save(const std::string& fixture, const std::string& snap, Census* census) {
  ImportOptions o;
  o.path = testing::import_fixture_dir() + "/" + fixture;
  HostFacts facts;
  auto w = SnapshotWriter::open(snap, facts);
  ASSERT_TRUE(w) << w.error();
  auto r = import_file(o, &facts, [&](const Socket& s) {
    census->add(s);
    (*w)->add(s);
  });
  ASSERT_TRUE(r) << r.error();
  ASSERT_TRUE((*w)->finish());
}

TEST(ImportFile, SnapshotRoundTrip) {
  Census first(CensusOptions{});
  TempDir dir("twimp-snap");
  const std::string snap = dir / "snap.json";
  ASSERT_NO_FATAL_FAILURE(import_and_save("ss_tano.txt", snap, &first));
  auto check = [&](const std::string& path) {
    ImportOptions b;
    b.path = path;
    HostFacts f2;
    Census second(CensusOptions{});
    int64_t with_original = 0;
    auto r2 = import_file(b, &f2, [&](const Socket& s) {
      second.add(s);
      with_original += s.original_state == ss_name(s.state);
    });
    ASSERT_TRUE(r2) << r2.error();
    EXPECT_EQ(r2->format, "snapshot");
    EXPECT_EQ(second.counts(), first.counts());
    EXPECT_EQ(second.fin_wait2_mini(), first.fin_wait2_mini());
    EXPECT_EQ(second.time_wait_ages().with_timer, first.time_wait_ages().with_timer);
    EXPECT_EQ(with_original, 30);
  };
  check(snap);
  std::ifstream in(snap);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  with_stdin(content, [&] { check("-"); });
}

// A snapshot of a dump taken without -n keeps the names: the same groups when read back.
TEST(ImportFile, SnapshotKeepsNames) {
  CensusOptions by_tuple;
  by_tuple.by = GroupBy::kTuple;
  Census first(by_tuple);
  TempDir dir("twimp-snap-names");
  const std::string snap = dir / "snap.json";
  ASSERT_NO_FATAL_FAILURE(import_and_save("windows_netstat_plain.txt", snap, &first));
  HostFacts facts;
  ImportOptions b;
  b.path = snap;
  Census second(by_tuple);
  auto r2 = import_file(b, &facts, [&](const Socket& s) { second.add(s); });
  ASSERT_TRUE(r2) << r2.error();
  auto g1 = first.groups(), g2 = second.groups();
  ASSERT_EQ(g1.size(), g2.size());
  for (size_t i = 0; i < g1.size(); ++i)
    EXPECT_EQ(describe_key(g2[i].key, GroupBy::kTuple), describe_key(g1[i].key, GroupBy::kTuple));
  EXPECT_EQ(describe_key(g1[0].key, GroupBy::kTuple), "192.168.1.20 -> lb-140-82-114-26-iad:443");
}

// A stream far larger than memory use: 3 million lines (~190 MB) through a pipe. Peak memory
// may grow by little: the import holds one line and the census its groups.
// A FIFO is read as a pipe: the import waits for a writer (as cat does) and a writer that sends
// nothing gives the empty-input error, not a hang.
TEST(ImportFile, FifoWithoutDataIsEmpty) {
  TempDir dir("twimp-fifo-empty");
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    os::UniqueFd fd(open(fifo.c_str(), O_WRONLY));  // opened and closed: a writer of nothing
  });
  auto r = import_path(fifo);
  writer.join();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("is empty"), std::string::npos) << r.error();
}

TEST(ImportFile, LargeStreamInConstantMemory) {
  constexpr int kLines = 3'000'000;
  rusage before;
  getrusage(RUSAGE_SELF, &before);
  TempDir dir("twimp-fifo");
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    FILE* f = fopen(fifo.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n", f);
    for (int i = 0; i < kLines; ++i)
      fprintf(f, "TIME-WAIT 0      0      10.%d.%d.1:%d      192.0.2.7:443\n", (i >> 16) & 255,
              (i >> 8) & 255, 32768 + i % 28000);
    fclose(f);
  });
  ImportOptions o;
  o.path = fifo;
  HostFacts facts;
  Census census(CensusOptions{});
  auto r = import_file(o, &facts, [&](const Socket& s) { census.add(s); });
  writer.join();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->sockets, kLines);
  EXPECT_EQ(census.count(TcpState::kTimeWait), kLines);
  rusage after;
  getrusage(RUSAGE_SELF, &after);
  long grown_kb = after.ru_maxrss - before.ru_maxrss;
  EXPECT_LT(grown_kb, 32 * 1024) << "peak memory grew by " << grown_kb << " KiB";
}

}  // namespace
}  // namespace tw
