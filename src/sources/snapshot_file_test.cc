// SPDX-License-Identifier: Apache-2.0
#include "sources/snapshot_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace tw {
namespace {

struct SnapshotText {
  explicit SnapshotText(const std::string& text) : path(dir.write("snap.json", text)) {}
  testing::TempDir dir{"twsnap"};
  std::string path;
};

// The error reading `body` as the members after "format" and "version".
std::string error_of(const std::string& text) {
  SnapshotText f(text);
  HostFacts facts;
  auto st = read_snapshot(f.path, &facts, [](const Socket&) {});
  if (st) return "";
  std::string e = st.error();
  if (e.starts_with(f.path + ": ")) e = e.substr(f.path.size() + 2);
  return e;
}

const std::string kHead = R"({"format":"timewait-snapshot","version":1,"facts":{"os":"linux"},)";
const std::string kOk = R"({"state":"ESTAB","local":"10.0.0.1:40000","remote":"10.0.0.2:80"})";

TEST(Snapshot, WriteThenReadKeepsEverySocketFieldAndTheSource) {
  testing::TempDir dir("twsnap-rt");
  const std::string path = dir / "snap.json";
  HostFacts facts;
  facts.os = "linux";
  auto w = SnapshotWriter::open(path, facts);
  ASSERT_TRUE(w) << w.error();
  (*w)->facts().source = "netlink";  // known only once the dump has started
  Socket s;
  s.state = TcpState::kCloseWait;
  s.local = {*Address::parse("::1"), 8080};
  s.remote = {*Address::parse("::1"), 40000};
  s.inode = 77;
  s.uid = 33;
  s.pid = 4321;
  s.command = "nginx \"worker\"";
  (*w)->add(s);
  ASSERT_TRUE((*w)->finish());
  HostFacts read;
  std::vector<std::pair<Socket, std::string>> got;
  ASSERT_TRUE(read_snapshot(path, &read,
                            [&](const Socket& x) { got.emplace_back(x, std::string(x.command)); }));
  EXPECT_EQ(read.source, "netlink");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first.state, TcpState::kCloseWait);
  EXPECT_EQ(got[0].first.local.port, 8080);
  EXPECT_EQ(got[0].first.pid, 4321);
  EXPECT_EQ(got[0].first.inode, 77u);
  EXPECT_EQ(got[0].first.uid, 33u);
  EXPECT_EQ(got[0].second, "nginx \"worker\"");
}

TEST(Snapshot, WrongTypesNameTheFieldAndTheSocket) {
  EXPECT_EQ(error_of(kHead + R"("sockets":[)" + kOk + "," + kOk +
                     R"(,{"state":3,"local":"1.2.3.4:1","remote":"1.2.3.4:2"}]})"),
            "socket #3: \"state\" must be a string");
  EXPECT_EQ(error_of(kHead + R"("sockets":[{"state":"ESTAB","remote":"1.2.3.4:2"}]})"),
            "socket #1: \"local\" is missing");
  EXPECT_EQ(
      error_of(
          kHead +
          R"("sockets":[{"state":"ESTAB","local":"1.2.3.4:1","remote":"1.2.3.4:2","pid":"12"}]})"),
      "socket #1: \"pid\" must be an integer");
  EXPECT_EQ(
      error_of(
          kHead +
          R"("sockets":[{"state":"ESTAB","local":"1.2.3.4:1","remote":"1.2.3.4:2","mini":1}]})"),
      "socket #1: \"mini\" must be true or false");
  EXPECT_EQ(
      error_of(kHead +
               R"("sockets":[{"state":"ESTAB","local":"1.2.3.4:99999","remote":"1.2.3.4:2"}]})"),
      "socket #1: \"local\" is not ADDRESS:PORT (IPv6 in brackets): \"1.2.3.4:99999\"");
  EXPECT_EQ(error_of(kHead + R"("sockets":[)" + kOk + R"(,7]})"), "socket #2: must be an object");
}

TEST(Snapshot, SocketsMustBeAnArray) {
  EXPECT_EQ(error_of(kHead + R"("sockets":"oops"})"),
            "\"sockets\" must be an array of socket objects");
  EXPECT_EQ(error_of(kHead + R"("sockets":{}})"), "\"sockets\" must be an array of socket objects");
  EXPECT_EQ(error_of(R"({"format":"timewait-snapshot","version":1,"facts":{}})"),
            "snapshot has no \"sockets\" array");
}

TEST(Snapshot, UnknownVersionIsRefused) {
  std::string e = error_of(R"({"format":"timewait-snapshot","version":2,"facts":{},"sockets":[]})");
  EXPECT_NE(e.find("snapshot version 2 is not one this timewait reads (version 1)"),
            std::string::npos)
      << e;
  EXPECT_NE(error_of(R"({"format":"timewait-snapshot","version":"1","facts":{},"sockets":[]})")
                .find("snapshot version \"1\""),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"format":"timewait-snapshot","facts":{},"sockets":[]})"),
            "snapshot has no \"version\"");
}

TEST(Snapshot, CutFileIsAnError) {
  EXPECT_EQ(error_of(kHead + R"("sockets":[)" + kOk + R"(],"socket_count":2})"),
            "\"socket_count\" says 2 sockets but 1 were read (a cut or edited file?)");
  std::string e = error_of(kHead + R"("sockets":[)" + kOk);
  EXPECT_NE(e.find("is not valid snapshot JSON"), std::string::npos) << e;
  EXPECT_EQ(e.find("[json.exception"), std::string::npos) << e;
  EXPECT_EQ(error_of(kHead + R"("sockets":[)" + kOk + R"(],"socket_count":1})"), "");
}

// Hostile files: nesting, size and values that only look like addresses and ports are refused
// with a line naming the socket, fast and without a crash.
TEST(Snapshot, DeepNestingIsRefusedBeforeItIsBuilt) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const std::string socket =
      R"({"state":"ESTAB","local":"10.0.0.1:1","remote":"10.0.0.2:2","x":)" + deep + "}";
  const std::string e = error_of(kHead + R"("sockets":[)" + kOk + "," + socket + "]}");
  EXPECT_NE(e.find("socket #2: nested deeper than 8 levels"), std::string::npos) << e;
  const std::string f =
      error_of(R"({"format":"timewait-snapshot","version":1,"facts":{"sysctls":)" + deep + "}}");
  EXPECT_NE(f.find("\"facts\": nested deeper than 8 levels"), std::string::npos) << f;
}

TEST(Snapshot, AnOversizedMemberIsStoppedWhileItIsRead) {
  const std::string big(1 << 20, 'a');
  const std::string e = error_of(kHead + R"("sockets":[)" + kOk +
                                 R"(,{"state":"ESTAB","local":"10.0.0.1:1","remote":"10.0.0.2:2",)"
                                 R"("command":")" +
                                 big + R"("}]})");
  EXPECT_NE(e.find("socket #2 is larger than 64 KiB"), std::string::npos) << e;
  // A million ordinary sockets are not too large: the bound is per socket.
  std::string many = kHead + R"("sockets":[)";
  for (int i = 0; i < 2000; ++i) many += (i ? "," : "") + kOk;
  EXPECT_EQ(error_of(many + R"(],"socket_count":2000})"), "");
}

TEST(Snapshot, PortsAndAddressesMustBeRealOnes) {
  auto socket = [](const std::string& local) {
    return kHead + R"("sockets":[{"state":"ESTAB","local":")" + local +
           R"(","remote":"10.0.0.2:80"}]})";
  };
  EXPECT_NE(error_of(socket("10.0.0.1:-5")).find("port \"-5\" is not a number from 0 to 65535"),
            std::string::npos);
  EXPECT_NE(error_of(socket("10.0.0.1:65536")).find("\"local\" is not ADDRESS:PORT"),
            std::string::npos);
  EXPECT_NE(error_of(socket("999.1.1.1:80")).find("\"999.1.1.1\" is not an IPv4 or IPv6 address"),
            std::string::npos);
  EXPECT_NE(error_of(socket("web\\u0007x:80")).find("is not an IPv4 or IPv6 address"),
            std::string::npos);
  // What a dump taken without -n printed, re-saved, still reads.
  EXPECT_EQ(error_of(socket("localhost:http")), "");
  EXPECT_EQ(error_of(socket("db-1.example.com:postgresql")), "");
  EXPECT_EQ(error_of(socket("[::1]:0")), "");
  EXPECT_EQ(error_of(socket("10.0.0.1:65535")), "");
}

TEST(Snapshot, WrongTypedFactsNameTheMemberAndTheType) {
  auto facts = [](const std::string& body) {
    return R"({"format":"timewait-snapshot","version":1,"facts":{)" + body + R"(},"sockets":[]})";
  };
  EXPECT_EQ(error_of(facts(R"("hostname":5)")), "\"facts.hostname\" must be a string");
  EXPECT_EQ(error_of(facts(R"("sysctls":{"net.ipv4.tcp_tw_reuse":1})")),
            "\"facts.sysctls.net.ipv4.tcp_tw_reuse\" must be strings");
  EXPECT_EQ(error_of(facts(R"("counters":[1])")),
            "\"facts.counters\" must be an object of integers");
  EXPECT_EQ(error_of(facts(R"("sockstat":{"tw":"x"})")),
            "\"facts.sockstat.tw\" must be an integer");
  EXPECT_EQ(error_of(facts(R"("counters":{"TW":18446744073709551615})")),
            "\"facts.counters.TW\" must be integers");
}

TEST(Snapshot, ANameThatIsNotUtf8IsWrittenAsValidJson) {
  testing::TempDir dir("twsnap-utf");
  const std::string path = dir / "snap.json";
  HostFacts facts;
  facts.hostname = "host\xff";
  auto w = SnapshotWriter::open(path, facts);
  ASSERT_TRUE(w) << w.error();
  Socket s;
  s.state = TcpState::kEstablished;
  s.local = {*Address::parse("10.0.0.1"), 1};
  s.remote = {*Address::parse("10.0.0.2"), 2};
  s.pid = 1;
  s.command = "bad\xc0name";
  (*w)->add(s);
  ASSERT_TRUE((*w)->finish());
  HostFacts read;
  std::string command;
  ASSERT_TRUE(read_snapshot(path, &read, [&](const Socket& x) { command = x.command; }));
  EXPECT_EQ(read.hostname, "host\xef\xbf\xbd");
  EXPECT_EQ(command, "bad\xef\xbf\xbdname");
}

}  // namespace
}  // namespace tw
