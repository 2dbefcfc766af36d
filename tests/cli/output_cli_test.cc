// SPDX-License-Identifier: Apache-2.0
// Where timewait writes, as a user runs it: --save never clobbers a device, FIFO or directory,
// a symlink's target is written, `-` is standard output; standard output that fails is one line
// and exit 1 (a reader that went away ends quietly); bad snapshots and option values are usage
// errors.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

TEST(SaveCli, RefusesDeviceNodesFifosAndDirectories) {
  TempDir d;
  // A device node like /dev/full (char 1,7), made in a temporary directory.
  ASSERT_EQ(mknod((d / "full").c_str(), S_IFCHR | 0666, makedev(1, 7)), 0);
  ASSERT_EQ(mkfifo((d / "fifo").c_str(), 0644), 0);
  fs::create_directory(d / "dir");
  fs::create_symlink("full", d / "link-to-device");
  testing::expect_usage_errors({
      {"census --from " + kFixture + " --save " + (d / "full"), "is a character device"},
      {"census --from " + kFixture + " --save " + (d / "fifo"), "is a named pipe (FIFO)"},
      {"census --from " + kFixture + " --save " + (d / "dir"), "is a directory"},
      {"census --from " + kFixture + " --save " + (d / "link-to-device"),
       "the target of the symlink"},
  });
  struct stat st;
  ASSERT_EQ(lstat((d / "full").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(lstat((d / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(d.names(), (std::vector<std::string>{"dir", "fifo", "full", "link-to-device"}));
}

TEST(SaveCli, WritesThroughASymlinkAndDashIsStandardOutput) {
  TempDir d;
  fs::create_symlink("snap.json", d / "latest");
  auto r = run_tool("census --from " + kFixture + " --save " + (d / "latest"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(d / "latest"));
  EXPECT_EQ(json::parse(slurp(d / "snap.json"))["format"], "timewait-snapshot");
  EXPECT_EQ(d.names(), (std::vector<std::string>{"latest", "snap.json"}));

  auto dash = run_tool("census --from " + kFixture + " --save -");
  ASSERT_EQ(dash.code, 0) << dash.err;
  json j = json::parse(dash.out);  // the snapshot alone, no table around it
  EXPECT_EQ(j["format"], "timewait-snapshot");
  EXPECT_FALSE(fs::exists("-"));
}

// Runs `timewait ARGS` with standard output open on `out_fd`; returns the wait status and stderr.
std::pair<int, std::string> run_with_stdout(const std::string& args, int out_fd,
                                            bool ignore_sigpipe) {
  TempDir dir("twcli-err");
  const std::string err = dir / "err";
  pid_t child = fork();
  if (child == 0) {
    if (ignore_sigpipe) signal(SIGPIPE, SIG_IGN);  // stays ignored across exec
    dup2(out_fd, STDOUT_FILENO);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(e, STDERR_FILENO);
    execl("/bin/sh", "sh", "-c", fmt::format("exec {} {}", TIMEWAIT_BIN, args).c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return {status, slurp(err)};
}

TEST(StdoutCli, AFullStandardOutputIsOneLineAndExit1) {
  int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  for (std::string args :
       {"doctor --from " + kFixture, "census --from " + kFixture, std::string("explain"),
        std::string("explain time-wait"), std::string("--help"), std::string("census --help"),
        std::string("watch --interval 0.05 --duration 20"),
        std::string("watch --json --interval 0.05 --duration 20")}) {
    SCOPED_TRACE(args);
    auto [status, err] = run_with_stdout(args, full, false);
    ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << err;
    EXPECT_EQ(WEXITSTATUS(status), 1) << err;
    EXPECT_EQ(err, "timewait: error: cannot write to standard output: No space left on device\n");
  }
  close(full);
}

TEST(StdoutCli, AReaderThatWentAwayEndsQuietly) {
  for (bool ignored : {false, true}) {
    SCOPED_TRACE(ignored ? "SIGPIPE ignored" : "SIGPIPE default");
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    close(p[0]);  // like `| head -1` once head has exited
    for (std::string args :
         {"doctor --from " + kFixture, std::string("watch --interval 0.05 --duration 20")}) {
      SCOPED_TRACE(args);
      auto [status, err] = run_with_stdout(args, p[1], ignored);
      // As a Unix filter: killed by SIGPIPE (status 141 in a shell), never an abort or a
      // message; watch at its first refresh, not at --duration.
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) << status;
      EXPECT_EQ(err, "");
    }
    close(p[1]);
  }
}

TEST(SnapshotCli, BadSnapshotsAreOneLineErrors) {
  TempDir d;
  const std::string head =
      R"({"format":"timewait-snapshot","version":1,"facts":{"os":"linux"},"sockets":)";
  const std::string ok = R"({"state":"ESTAB","local":"10.0.0.1:40000","remote":"10.0.0.2:80"})";
  std::ofstream(d / "oops.json") << head << R"("oops"})";
  std::ofstream(d / "type.json") << head << "[" << ok << R"(,{"state":12,"local":"10.0.0.1:1",)"
                                 << R"("remote":"10.0.0.2:80"}]})";
  std::ofstream(d / "v9.json") << R"({"format":"timewait-snapshot","version":9,"facts":{},)"
                               << R"("sockets":[]})";
  testing::expect_usage_errors({
      {"census --from " + (d / "oops.json"), "\"sockets\" must be an array"},
      {"doctor --from " + (d / "oops.json"), "\"sockets\" must be an array"},
      {"census --from " + (d / "type.json"), "socket #2: \"state\" must be a string"},
      {"census --from " + (d / "v9.json"), "snapshot version 9 is not one this timewait reads"},
  });
}

TEST(SnapshotCli, SourceIsRecorded) {
  TempDir d;
  auto r = run_tool("census --save " + (d / "s.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(slurp(d / "s.json"));
  EXPECT_EQ(j["facts"]["source"], "netlink");
}

TEST(OptionsCli, BadValuesAndIgnoredOptionsAreUsageErrors) {
  testing::expect_usage_errors({
      {"census --top -1", "--top"},
      {"census --top 99999999999999999999", "--top"},
      {"census --pid 0", "--pid"},
      {"doctor --pid 0", "--pid"},
      {"doctor --interval nan", "--interval"},
      {"doctor --interval inf", "--interval"},
      {"lab run churn --duration nan", "--duration"},
      {"census --port-range 5-3", "--port-range '5-3'"},
      {"doctor --port-range 5-3", "--port-range '5-3'"},
      {"census --format ss", "--format describes the file of --from"},
      {"census --strict", "--strict describes the file of --from"},
      {"census --from " + kFixture + " --source proc", "--source"},
      {"census --from " + kFixture + " --save - --json", "--save -"},
      {"doctor --revert --json", "--json does nothing with --revert"},
      {"doctor --json --verbose", "--verbose"},
  });
}

TEST(HelpCli, BareTimewaitSaysWhereToStartAndHelpWraps) {
  auto bare = run_tool("");
  EXPECT_EQ(bare.code, 2);
  auto census = bare.err.find("timewait census");
  auto doctor = bare.err.find("timewait doctor");
  ASSERT_NE(census, std::string::npos) << bare.err;
  ASSERT_NE(doctor, std::string::npos) << bare.err;
  EXPECT_LT(census, doctor);
  for (std::string args :
       {"--help", "census --help", "doctor --help", "lab run --help", "explain --help"}) {
    SCOPED_TRACE(args);
    auto r = run_tool("--help" == args ? args : args, "");
    auto narrow = testing::run_output(fmt::format("COLUMNS=72 {} {}", TIMEWAIT_BIN, args));
    ASSERT_EQ(r.code, 0);
    std::istringstream in(narrow);
    for (std::string line; std::getline(in, line);) {
      EXPECT_LE(line.size(), 72u) << line;
      EXPECT_FALSE(!line.empty() && line.back() == ' ') << "[" << line << "]";
    }
    // The docs are not installed with the binary: help names sections, not repository paths.
    EXPECT_EQ(r.out.find("docs/"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace tw
