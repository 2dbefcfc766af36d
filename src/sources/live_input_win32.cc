// SPDX-License-Identifier: Apache-2.0
// The Windows build's live input: the TCP table of iphlpapi (sources/tcp_table_win32.h). inet_diag
// and /proc are Linux's; on Windows --source takes auto only, and there are no namespaces.
#include "sources/host_reader.h"
#include "sources/live_input.h"
#include "sources/tcp_table_win32.h"

namespace tw {

namespace {

class LiveInput final : public Input {
 public:
  explicit LiveInput(SourceKind kind) : kind_(kind) {}

  InputKind kind() const override { return InputKind::kLive; }

  Result<HostFacts*> facts() override {
    if (!read_) {
      // A stream that ran first (lab counts need no facts) has set the source.
      std::string source = std::move(facts_.source);
      facts_ = read_host_facts();
      facts_.source = std::move(source);
      facts_.netns = InputTarget{}.label();
      read_ = true;
    }
    return &facts_;
  }

  Result<StreamReport> stream(StateMask mask, SocketReceiver& to) override {
    if (kind_ != SourceKind::kAuto)
      return fail(
          "--source netlink and proc are Linux's interfaces; on Windows the census reads "
          "GetExtendedTcpTable (leave --source out)");
    facts_.source = "iphlpapi";
    // One call per family returns a consistent table each: no dump to restart.
    auto n = read_tcp_table(mask, [&to](const Socket& s) { to.add(s); });
    if (!n) return fail(n.error());
    return StreamReport{"iphlpapi", "", *n, nullptr};
  }

 private:
  SourceKind kind_;
  HostFacts facts_;
  bool read_ = false;
};

}  // namespace

Result<std::unique_ptr<Input>> open_live_input(const InputTarget& target, SourceKind kind) {
  // --netns and --pid are refused up front on Windows (mark_linux_only): nothing to enter.
  (void)target;
  return std::unique_ptr<Input>(new LiveInput(kind));
}

}  // namespace tw
