// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_reuseaddr.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "lab/counters.h"
#include "lab/sockets.h"
#include "lab/topology.h"
#include "os/unique_fd.h"

namespace tw::lab {

namespace {

// bind() (and listen()) on addr:port; 0 on success, else errno.
int try_bind(const std::string& addr, uint16_t port, bool reuseaddr) {
  os::UniqueFd owned(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int fd = owned.get();
  int one = 1;
  if (reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = ipv4(addr, port);
  int err = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 16) != 0) err = errno;
  return err;
}

std::string outcome(int err) {
  return err == 0 ? "succeeds" : fmt::format("fails: {}", strerrorname_np(err));
}

Result<RebindOutcome> restart(const Topology& topo, uint16_t port, bool established,
                              bool old_reuseaddr, int n) {
  RebindOutcome out;
  out.left = established ? "established connections" : "TIME_WAIT (the server closed first)";
  out.old_had_reuseaddr = old_reuseaddr;
  const std::string& addr = topo.server_addr();
  Result<os::UniqueFd> l = fail("not run");
  if (auto st = topo.server().run_in([&] { l = tcp_listen(addr, port, old_reuseaddr); }); !st)
    return fail(st.error());
  if (!l) return fail(l.error());
  std::vector<os::UniqueFd> fds;
  Status result;
  for (int i = 0; i < n && result; ++i) {
    Result<os::UniqueFd> c = fail("not run");
    if (auto st = topo.client().run_in([&] { c = tcp_connect(addr, port); }); !st)
      result = fail(st.error());
    else if (!c)
      result = fail(c.error());
    else if (!wait_readable(l->get(), 2000))
      result = fail("the old server did not see a connection within 2 s");
    if (!result) break;
    os::UniqueFd s(accept4(l->get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (established) {
      fds.push_back(std::move(*c));
      fds.push_back(std::move(s));
    } else {
      s.reset();  // the server closes first and keeps the TIME_WAIT
      int err = 0;
      drain(c->get(), 1, 2000, &err);
      c->reset();
    }
  }
  l->reset();  // the old server exits; its connections stay
  usleep(20000);
  if (result) {
    auto census = take_census(topo.server(), GroupBy::kLocalPort);
    if (census)
      for (const GroupRow& row : census->groups())
        if (row.key.local.port == port) out.left_count = row.total;
    if (auto st = topo.server().run_in([&] {
          out.without_errno = try_bind(addr, port, false);
          out.with_errno = try_bind(addr, port, true);
        });
        !st)
      result = fail(st.error());
  }
  fds.clear();
  if (!result) return fail(result.error());
  return out;
}

}  // namespace

Result<std::vector<RebindOutcome>> measure_reuseaddr(int n) {
  auto topo = Topology::client_server();
  if (!topo) return fail(topo.error());
  std::vector<RebindOutcome> out;
  struct Case {
    uint16_t port;
    bool established, old_reuseaddr;
  };
  for (Case c : {Case{9001, true, true}, Case{9002, false, true}, Case{9003, false, false}}) {
    auto r = restart(*topo, c.port, c.established, c.old_reuseaddr, n);
    if (!r) return fail(r.error());
    out.push_back(*r);
  }
  return out;
}

Result<ScenarioResult> run_reuseaddr(const LabOptions& o) {
  int n = o.count > 0 ? int(std::min<int64_t>(o.count, 1000)) : 3;
  auto m = measure_reuseaddr(n);
  if (!m) return fail(m.error());
  ScenarioResult r;
  r.name = "reuseaddr";
  r.title = "Restarting a server on a port that still has connections";
  int i = 0;
  for (const RebindOutcome& x : *m) {
    std::string key = fmt::format("case{}.", ++i);
    r.values[key + "sockets_left"] = double(x.left_count);
    r.values[key + "bind_errno_without_reuseaddr"] = x.without_errno;
    r.values[key + "bind_errno_with_reuseaddr"] = x.with_errno;
    std::string what = fmt::format("{} left ({} sockets{})", x.left, x.left_count,
                                   x.old_had_reuseaddr ? "" : ", old server without SO_REUSEADDR");
    r.rows.push_back({what + ": bind without SO_REUSEADDR", "fails: EADDRINUSE",
                      outcome(x.without_errno), check(x.without_errno == EADDRINUSE)});
    if (x.old_had_reuseaddr)
      r.rows.push_back({what + ": bind with SO_REUSEADDR", "succeeds", outcome(x.with_errno),
                        check(x.with_errno == 0)});
    else
      r.rows.push_back({what + ": bind with SO_REUSEADDR",
                        "fails: EADDRINUSE (both sockets must set SO_REUSEADDR)",
                        outcome(x.with_errno), check(x.with_errno == EADDRINUSE)});
  }
  r.notes.push_back(
      "the old server listens on 10.77.1.2, accepts the connections, then closes its listening "
      "socket (a restart); the new one binds the same address and port. On Linux SO_REUSEADDR "
      "lets bind() share a port with sockets that are not listening when both sides set it "
      "(accepted sockets and their TIME_WAITs inherit the listener's setting).");
  return r;
}

}  // namespace tw::lab
