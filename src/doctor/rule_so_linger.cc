// SPDX-License-Identifier: Apache-2.0
// SO_LINGER with a zero timeout: close() sends RST and skips TIME_WAIT. A last resort, never a
// default: unsent and in-flight data are lost and the peer sees "connection reset".
#include <fmt/format.h>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr int64_t kTimeWaitWorthIt = 1000;  // where people start reaching for SO_LINGER 0
}  // namespace

std::vector<Finding> rule_so_linger(const DoctorInput& in) {
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "so-linger";
  f.topics = {"so_linger", "time-wait"};
  f.sources = {"RFC 793 (RST aborts the connection, data in flight is discarded)",
               "RFC 1337 (TIME_WAIT assassination hazards)",
               "kernel tcp_close(): a zero linger time disconnects with RST and counts TcpExt "
               "TCPAbortOnData",
               "V. Bernat (2014): SO_LINGER 0 only as an exception"};
  if (in.is_windows()) f.sources.erase(f.sources.begin() + 2);  // the Linux kernel's own
  for (const char* c : {"TCPAbortOnData", "TCPAbortOnClose", "Tcp.OutRsts"})
    if (auto line = in.counter_evidence(c)) f.evidence.push_back(*line);
  f.why =
      "With SO_LINGER {on, 0 s}, close() resets the connection instead of the FIN handshake: no "
      "TIME_WAIT, but data not yet sent or acknowledged is lost, the peer's next read fails with "
      "ECONNRESET, and the old connection's duplicates are no longer guarded against (the hazards "
      "RFC 1337 describes).";
  f.application = {
      "Reuse connections and let the client close first instead; use SO_LINGER 0 "
      "only for connections already known broken (a timed-out peer)."};
  f.dont = {"Do not set SO_LINGER 0 on every socket to get rid of TIME_WAIT."};
  const int64_t tw = in.sockets ? in.sockets->count(TcpState::kTimeWait) : 0;
  data = {{"time_wait", tw},
          {"TCPAbortOnData", value_or_null(in.counter("TCPAbortOnData"))},
          {"TCPAbortOnClose", value_or_null(in.counter("TCPAbortOnClose"))}};
  if (tw >= kTimeWaitWorthIt) {
    f.severity = Severity::kInfo;
    f.title = fmt::format("{} sockets in TIME_WAIT: SO_LINGER 0 is not the fix, only a last resort",
                          with_commas(tw));
  } else {
    f.severity = Severity::kOk;
    f.title = "SO_LINGER 0 (RST on close) is a last resort, not a TIME_WAIT fix";
  }
  return {with_data(std::move(f), data)};
}

}  // namespace tw
