// SPDX-License-Identifier: Apache-2.0
// What a hostile file, link or argument gets from the real binary: a link planted in a shared
// sticky directory is not followed, snapshots are private, /dev/stdout is the stream, a nested or
// lying snapshot is one line and exit 2, and nothing from a snapshot reaches the terminal or a
// suggested shell command unescaped.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_tool.h"
#include "testing/scoped_netns.h"
#include "testing/temp_dir.h"

namespace tw {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_tool;
using testing::TempDir;
const auto slurp = testing::read_text;

const std::string kFixture = std::string(FIXTURES_DIR) + "/doctor/linux-snapshot.json";

// A snapshot whose names are an attacker's: terminal controls in the hostname, kernel and command
// name, a shell command in the namespace name. TIME_WAITs toward one destination and a CLOSE_WAIT
// held by the oddly named process give the doctor findings with commands.
json hostile_snapshot(const std::string& netns = "web; touch /tmp/x") {
  json socks = json::array();
  for (int i = 0; i < 50; ++i)
    socks.push_back({{"state", "TIME-WAIT"},
                     {"local", fmt::format("10.0.0.1:{}", 40000 + i)},
                     {"remote", "10.0.0.2:80"},
                     {"timer_ms", 30000}});
  socks.push_back({{"state", "CLOSE-WAIT"},
                   {"local", "10.0.0.1:8080"},
                   {"remote", "10.0.0.3:5555"},
                   {"pid", 42},
                   {"command",
                    "ngx\x1b]2;owned\x07\xc2\x9b"
                    "31m"}});
  return {{"format", "timewait-snapshot"},
          {"version", 1},
          {"facts",
           {{"os", "linux"},
            {"hostname", "web1\x1b]0;pwned\x07\x1b[2J"},
            {"kernel", "6.1\x1b[31m"},
            {"netns", netns},
            {"source", "netlink"},
            {"sysctls",
             {{"net.ipv4.ip_local_port_range", "40000 40099"},
              {"net.ipv4.tcp_timestamps", "0"},
              {"net.ipv4.tcp_tw_reuse", "0"},
              {"net.ipv4.tcp_fin_timeout", "60"}}}}},
          {"sockets", socks},
          {"socket_count", socks.size()}};
}

// No byte that a terminal acts on: C0 controls but newline, DEL, and the C1 CSI as UTF-8.
void expect_no_controls(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    ASSERT_FALSE((c < 0x20 && c != '\n') || c == 0x7f)
        << "control byte " << int(c) << " at " << i << " in:\n"
        << text;
    ASSERT_FALSE(c == 0xc2 && i + 1 < text.size() &&
                 static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                 static_cast<unsigned char>(text[i + 1]) <= 0x9f)
        << "C1 control at " << i;
  }
}

TEST(SaveCli, AnotherUsersLinkInAStickyDirectoryIsNotFollowed) {
  TempDir d;
  const std::string shared = d / "tmp";
  ASSERT_EQ(mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(chmod(shared.c_str(), 01777), 0);  // like /tmp
  const std::string secret = d / "shadow";
  std::ofstream(secret) << "root:secret\n";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  fs::create_symlink(secret, shared + "/snap.json");
  ASSERT_EQ(lchown((shared + "/snap.json").c_str(), 65534, 65534), 0);  // planted by nobody
  testing::expect_usage_errors({
      {"census --from " + kFixture + " --save " + shared + "/snap.json",
       "symbolic link owned by uid 65534 in the shared sticky directory"},
  });
  EXPECT_EQ(slurp(secret), "root:secret\n");
  struct stat st;
  ASSERT_EQ(stat(secret.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(fs::is_symlink(shared + "/snap.json"));
}

TEST(SaveCli, SnapshotsAreCreatedReadableByTheirOwnerOnly) {
  TempDir d;
  auto r = run_tool("census --from " + kFixture + " --save " + (d / "snap.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(stat((d / "snap.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(json::parse(slurp(d / "snap.json"))["format"], "timewait-snapshot");
}

// `--save /dev/stdout > out.json`: the snapshot goes into the shell's file (the same inode, the
// snapshot alone, as with --save -), not into a new file renamed over it.
TEST(SaveCli, DevStdoutRedirectedToAFileIsWrittenThroughTheStream) {
  TempDir d;
  const std::string out = d / "out.json";
  std::ofstream(out) << "";
  struct stat before;
  ASSERT_EQ(stat(out.c_str(), &before), 0);
  const std::string rc = testing::run_output(fmt::format(
      "{} census --from {} --save /dev/stdout > {}; echo rc=$?", TIMEWAIT_BIN, kFixture, out));
  EXPECT_EQ(rc, "rc=0\n");
  struct stat after;
  ASSERT_EQ(stat(out.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  json j = json::parse(slurp(out));  // the snapshot alone: no table around it
  EXPECT_EQ(j["format"], "timewait-snapshot");
  EXPECT_EQ(d.names(), std::vector<std::string>{"out.json"});
  // A descriptor of another process is not one to write through.
  testing::expect_usage_errors({{"census --from " + kFixture + " --save /proc/1/fd/1",
                                 "a file descriptor of another process"}});
}

TEST(SnapshotCli, DeepNestingIsOneLineAndExit2Fast) {
  TempDir d;
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  std::ofstream(d / "deep.json")
      << R"({"format":"timewait-snapshot","version":1,"facts":{"os":"linux"},"sockets":[)"
      << R"({"state":"ESTAB","local":"10.0.0.1:1","remote":"10.0.0.2:2","x":)" << deep
      << R"(}],"socket_count":1})";
  for (const char* cmd : {"census", "doctor", "plan"}) {
    SCOPED_TRACE(cmd);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_tool(fmt::format("{} --from {}", cmd, d / "deep.json"));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(d / "deep.json: socket #1: nested deeper than 8 levels"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_LT(s, 10.0);  // milliseconds when bounded; the crash took a deep recursion first
  }
  // The plan's own JSON input too, in depth and in size.
  std::ofstream(d / "plan.json") << deep;
  std::ofstream(d / "huge.json") << "{\"rate\": 1" << std::string(2 << 20, ' ') << "}";
  testing::expect_usage_errors({
      {"plan --input " + (d / "plan.json"), "nested deeper than 8 levels"},
      {"plan --input " + (d / "huge.json"), "larger than 1024 KiB; not a plan input"},
  });
}

TEST(SnapshotCli, ValuesThatOnlyLookRightAreOneLineErrors) {
  TempDir d;
  auto write = [&](const std::string& name, const std::string& facts, const std::string& local) {
    std::ofstream(d / name) << R"({"format":"timewait-snapshot","version":1,"facts":{)" << facts
                            << R"(},"sockets":[{"state":"ESTAB","local":")" << local
                            << R"(","remote":"10.0.0.2:80"}],"socket_count":1})";
    return d / name;
  };
  testing::expect_usage_errors({
      {"census --from " + write("port.json", "", "10.0.0.1:-5"),
       "socket #1: \"local\": port \"-5\" is not a number from 0 to 65535"},
      {"doctor --from " + write("addr.json", "", "999.1.1.1:80"),
       "socket #1: \"local\": \"999.1.1.1\" is not an IPv4 or IPv6 address"},
      {"census --from " + write("type.json", R"("hostname":["x"])", "10.0.0.1:1"),
       "\"facts.hostname\" must be a string"},
      {"census --from " + write("stat.json", R"("sockstat":{"tw":"many"})", "10.0.0.1:1"),
       "\"facts.sockstat.tw\" must be an integer"},
  });
  // Never the JSON library's own words.
  auto r = run_tool("census --from " + (d / "type.json"));
  EXPECT_EQ(r.err.find("json.exception"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("type must be"), std::string::npos) << r.err;
}

TEST(TerminalCli, SnapshotNamesAreEscapedInEveryTextOutput) {
  TempDir d;
  std::ofstream(d / "evil.json") << hostile_snapshot().dump();
  for (const char* cmd : {"census", "doctor", "doctor --verbose", "plan"}) {
    SCOPED_TRACE(cmd);
    auto r = run_tool(fmt::format("{} --from {}", cmd, d / "evil.json"));
    ASSERT_NE(r.code, 2) << r.err;
    expect_no_controls(r.out);
    expect_no_controls(r.err);
    EXPECT_NE(r.out.find("web1\\x1b]0;pwned\\x07\\x1b[2J"), std::string::npos) << r.out;
  }
  auto census = run_tool("census --from " + (d / "evil.json"));
  EXPECT_NE(census.out.find("ngx\\x1b]2;owned\\x07\\u009b31m"), std::string::npos) << census.out;
  auto doctor = run_tool("doctor --from " + (d / "evil.json"));
  EXPECT_NE(doctor.out.find("6.1\\x1b[31m"), std::string::npos) << doctor.out;
  // JSON stays JSON: the true value, escaped by the JSON library (\u001b; it leaves U+009B as
  // UTF-8, which is JSON's rule).
  auto j = run_tool("census --json --from " + (d / "evil.json"));
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(std::count_if(j.out.begin(), j.out.end(),
                          [](char c) { return c > 0 && c < 0x20 && c != '\n'; }),
            0);
  EXPECT_EQ(json::parse(j.out)["host"]["hostname"], "web1\x1b]0;pwned\x07\x1b[2J");
}

// Each command the doctor suggests, read by a real shell: the namespace's name stays one word
// and the command hidden in it never runs.
TEST(TerminalCli, DoctorQuotesAHostileNamespaceNameInItsCommands) {
  TempDir d;
  const std::string name = "web; touch " + (d / "pwned") + " #'$(id)";
  std::ofstream(d / "evil.json") << hostile_snapshot(name).dump();
  auto r = run_tool("doctor --json --from " + (d / "evil.json"));
  ASSERT_TRUE(r.code == 3 || r.code == 4) << r.err;
  std::vector<std::string> commands;
  const json report = json::parse(r.out);
  for (const json& f : report["findings"]) {
    for (const json& c : f["fix"]["commands"]) commands.push_back(c);
    for (const json& s : f["fix"]["sysctls"]) commands.push_back(s["command"]);
    // Application advice quotes commands in backticks (`ip netns exec NS ss -tnp ...`).
    for (const json& a : f["fix"]["application"]) {
      const std::string text = a;
      for (size_t b = text.find("`ip netns exec "); b != std::string::npos;
           b = text.find("`ip netns exec ", b + 1))
        commands.push_back(text.substr(b + 1, text.find('`', b + 1) - b - 1));
    }
  }
  int in_netns = 0;
  for (const std::string& c : commands) {
    SCOPED_TRACE(c);
    if (!c.starts_with("ip netns exec ")) continue;
    ++in_netns;
    // `set --` has the shell split the text as it would run it; $4 is the namespace's name.
    std::ofstream(d / "split.sh") << "set -- " << c << "\nprintf '%s' \"$4\"\n";
    EXPECT_EQ(testing::run_output("sh " + (d / "split.sh")), name);
    EXPECT_FALSE(fs::exists(d / "pwned"));
  }
  EXPECT_GE(in_netns, 2) << r.out;  // the sysctl fix and the CLOSE_WAIT's ss at least
  // The human-readable text shows the same quoted commands.
  auto text = run_tool("doctor --from " + (d / "evil.json"));
  EXPECT_NE(text.out.find("ip netns exec 'web; touch " + (d / "pwned") +
                          " #'\\''$(id)' sysctl -w net.ipv4.tcp_timestamps=1"),
            std::string::npos)
      << text.out;
}

// Any process may name itself with any bytes (prctl PR_SET_NAME): a live census shows the name
// escaped, and its JSON stays valid (bytes that are not UTF-8 become U+FFFD) where it used to end
// in the JSON library's exception.
TEST(TerminalCli, ALiveProcessNamedWithControlsAndBadUtf8) {
  testing::ScopedNetns ns("twhostile");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    int fd = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(3);
    prctl(PR_SET_NAME, "ev\xff\x1b]0;t\x07");
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(47123);
    if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 1) != 0) _exit(4);
    (void)!write(ready[1], "x", 1);
    sleep(60);  // killed by the test
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  const bool up = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  auto text = run_tool("census -p --netns " + ns.name());
  auto j = run_tool("census -p --json --netns " + ns.name());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(up);
  ASSERT_EQ(text.code, 0) << text.err;
  expect_no_controls(text.out);
  EXPECT_NE(text.out.find("ev\\xff\\x1b]0;t\\x07"), std::string::npos) << text.out;
  ASSERT_EQ(j.code, 0) << j.err;
  const json owners = json::parse(j.out)["owners"];
  ASSERT_EQ(owners.size(), 1u) << j.out;
  EXPECT_EQ(owners[0]["pid"], child);
  EXPECT_EQ(owners[0]["command"], "ev\xef\xbf\xbd\x1b]0;t\x07");
}

TEST(ErrorsCli, AHugeArgumentIsCutInTheMessage) {
  const std::string huge(100 * 1024, 'n');
  auto r = run_tool("census --netns " + huge);
  EXPECT_EQ(r.code, 2);
  EXPECT_LT(r.err.size(), 1024u) << r.err.size();
  EXPECT_NE(r.err.find("more bytes)"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  // Controls typed into an argument are shown, not acted on.
  auto esc = run_tool("census --state \"$(printf '\\033[2Jx')\"");
  EXPECT_EQ(esc.code, 2);
  expect_no_controls(esc.err);
  EXPECT_NE(esc.err.find("\\x1b[2J"), std::string::npos) << esc.err;
}

}  // namespace
}  // namespace tw
