// SPDX-License-Identifier: Apache-2.0
// tcp_fin_timeout: governs orphaned FIN_WAIT2 sockets, not TIME_WAIT (60 s, fixed at compile
// time). The doctor never recommends it as a TIME_WAIT fix.
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

std::vector<Finding> rule_fin_timeout(const DoctorInput& in) {
  if (!in.is_linux_like()) return {};
  constexpr const char* kName = "net.ipv4.tcp_fin_timeout";
  auto v = in.facts.sysctl_int(kName);
  if (!v) return {not_checked("tcp-fin-timeout", kName, {"tcp_fin_timeout"})};
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "tcp-fin-timeout";
  f.topics = {"tcp_fin_timeout", "time-wait"};
  f.sources = {"Linux include/net/tcp.h: TCP_TIMEWAIT_LEN (60 s) and TCP_FIN_TIMEOUT",
               "kernel Documentation/networking/ip-sysctl.rst: tcp_fin_timeout"};
  f.evidence = {fmt::format("{} = {} s", kName, *v)};
  data = {{kName, *v},
          {"fin_wait2_mini",
           in.sockets ? nlohmann::json(in.sockets->fin_wait2_mini()) : nlohmann::json(nullptr)}};
  if (in.sockets && in.sockets->fin_wait2_mini())
    f.evidence.push_back(fmt::format("{} orphaned FIN_WAIT2 mini-sockets now",
                                     with_commas(in.sockets->fin_wait2_mini())));
  f.why =
      "tcp_fin_timeout is how long an orphaned socket (closed by the application) waits in "
      "FIN_WAIT2 for the peer's FIN. TIME_WAIT on Linux is TCP_TIMEWAIT_LEN = 60 s, fixed at "
      "compile time: no sysctl changes it, and lowering tcp_fin_timeout does not shorten it.";
  f.dont = {"Do not lower tcp_fin_timeout to reduce TIME_WAIT: it has no effect on it."};
  if (*v == 60) {
    f.severity = Severity::kOk;
    f.title = "tcp_fin_timeout = 60 s (default); it does not affect TIME_WAIT";
  } else {
    f.severity = Severity::kInfo;
    f.title = fmt::format(
        "tcp_fin_timeout = {} s (default 60): it affects only orphaned "
        "FIN_WAIT2, not TIME_WAIT",
        *v);
  }
  return {with_data(std::move(f), data)};
}

}  // namespace tw
