// SPDX-License-Identifier: Apache-2.0
#include "sources/live_input.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "sources/host_reader.h"
#include "sources/netlink_diag.h"
#include "sources/netns.h"
#include "sources/tcp_iter.h"

namespace tw {

namespace {

// tcp_tw_reuse_delay of this thread's namespace; kernels before 6.14 have none and wait 1 s.
uint32_t reuse_delay_ms() {
  uint32_t ms = 1000;
  if (auto v = read_sysctl("net.ipv4.tcp_tw_reuse_delay"))
    std::from_chars(v->data(), v->data() + v->size(), ms);
  return ms;
}

int64_t sockstat_sockets() {
  auto s = read_sockstat();
  return s ? s->inuse + s->inuse6 + s->tw : -1;
}

class LiveInput final : public Input {
 public:
  LiveInput(InputTarget target, SourceKind kind) : target_(std::move(target)), kind_(kind) {}

  InputKind kind() const override { return InputKind::kLive; }

  Result<HostFacts*> facts() override {
    if (!read_) {
      // A stream that ran first (lab counts need no facts) has set the source.
      std::string source = std::move(facts_.source);
      facts_ = read_host_facts();
      facts_.source = std::move(source);
      facts_.netns = target_.label();
      facts_.pod = target_.pod;
      facts_.pod_host_network = target_.pod_host_network;
      read_ = true;
    }
    return &facts_;
  }

  Result<StreamReport> stream(StateMask mask, SocketReceiver& to) override {
    auto restart = [&to] { to.restart(); };
    LiveReaders readers{
        .dump = [](StateMask m, const SocketSink& s) { return dump_inet_diag(m, s); },
        .iter =
            [&restart](StateMask m, const SocketSink& s) {
              return read_tcp_iter(m, s, {.reuse_delay_ms = reuse_delay_ms(), .restart = restart});
            },
        .table_size = sockstat_sockets,
        .walkers = [] { return bpf_walkers(); },
    };
    // The source is known once each attempt starts: a receiver writing a snapshot reads it from
    // the facts before the attempt's first socket.
    auto r = read_live_sockets_from(
        readers, kind_, mask, [&to](const Socket& s) { to.add(s); }, restart,
        [this](std::string_view source) { facts_.source = source; });
    if (!r) return fail(r.error());
    facts_.source = r->source;
    return StreamReport{r->source, r->note, r->sockets, nullptr};
  }

 private:
  InputTarget target_;
  SourceKind kind_;
  HostFacts facts_;
  bool read_ = false;
};

}  // namespace

Result<std::unique_ptr<Input>> open_live_input(const InputTarget& target, SourceKind kind) {
  if (!target.netns.empty()) {
    if (auto st = enter_netns_by_name(target.netns); !st) return fail(st.error());
  } else if (target.pid) {
    if (auto st = enter_netns_of_pid(target.pid); !st) return fail(st.error());
  }
  return std::unique_ptr<Input>(new LiveInput(target, kind));
}

Result<uint64_t> target_netns_inode(const InputTarget& target) {
  if (!target.netns.empty()) return netns_inode_by_name(target.netns);
  if (!target.pid) return netns_inode_of_self();
  struct stat st;
  const std::string path = fmt::format("/proc/{}/ns/net", target.pid);
  if (stat(path.c_str(), &st) != 0)
    return fail(
        fmt::format("--pid {}: cannot read {}: {}", target.pid, path, std::strerror(errno)));
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace tw
