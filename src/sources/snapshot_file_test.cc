// SPDX-License-Identifier: Apache-2.0
#include "sources/snapshot_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tw {
namespace {

struct SnapshotText {
  explicit SnapshotText(const std::string& text) {
    path = fmt::format("/tmp/twsnap-{}-{}.json", getpid(), n++);
    std::ofstream(path) << text;
  }
  ~SnapshotText() { std::filesystem::remove(path); }
  std::string path;
  static inline int n = 0;
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
  std::string path = fmt::format("/tmp/twsnap-rt-{}.json", getpid());
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
  std::filesystem::remove(path);
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

}  // namespace
}  // namespace tw
