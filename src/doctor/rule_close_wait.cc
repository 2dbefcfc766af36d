// SPDX-License-Identifier: Apache-2.0
// CLOSE_WAIT piling up: the peer closed and the local application never called close(). No
// kernel setting fixes it; name the port and, where readable, the process.
#include <fmt/format.h>

#include <algorithm>

#include "doctor/finding_json.h"
#include "doctor/rules.h"
#include "model/format.h"

namespace tw {

namespace {
constexpr int64_t kWarn = 10;
constexpr int64_t kCritical = 1000;
}  // namespace

std::vector<Finding> rule_close_wait(const DoctorInput& in) {
  if (!in.sockets || !in.by_local_port) return {not_checked("close-wait", "sockets", {"states"})};
  const int64_t total = in.sockets->count(TcpState::kCloseWait);
  Finding f;
  nlohmann::json data = nlohmann::json::object();
  f.id = "close-wait";
  f.topics = {"states"};
  f.sources = {
      "RFC 793 section 3.5 (CLOSE_WAIT: the remote has closed, waiting for the local "
      "user to close)"};
  data = {{"close_wait", total}, {"ports", nlohmann::json::array()}};
  if (total == 0) {
    f.severity = Severity::kOk;
    f.title = "no sockets in CLOSE_WAIT";
    return {with_data(std::move(f), data)};
  }
  struct Port {
    uint16_t port;
    int64_t n;
    bool listening;
  };
  std::vector<Port> ports;
  for (const GroupRow& row : in.by_local_port->groups())
    if (int64_t n = row.counts[state_index(TcpState::kCloseWait)])
      ports.push_back({row.key.local.port, n, row.counts[state_index(TcpState::kListen)] > 0});
  std::sort(ports.begin(), ports.end(), [](auto& a, auto& b) { return a.n > b.n; });
  std::string owner_first;
  for (size_t i = 0; i < ports.size() && i < 5; ++i) {
    const Port& p = ports[i];
    std::string owners;
    auto it = in.close_wait_owners.find(p.port);
    if (it != in.close_wait_owners.end())
      for (size_t k = 0; k < it->second.size() && k < 3; ++k) {
        const ProcessRef& r = it->second[k];
        owners += fmt::format("{}pid {}{} ({} sockets)", owners.empty() ? "" : ", ", r.pid,
                              r.name.empty() ? "" : " " + r.name, r.sockets);
      }
    if (i == 0 && it != in.close_wait_owners.end() && !it->second.empty())
      owner_first = fmt::format(" held by pid {}{}", it->second[0].pid,
                                it->second[0].name.empty() ? "" : " (" + it->second[0].name + ")");
    f.evidence.push_back(
        fmt::format("local port {}: {} in CLOSE_WAIT ({}); owner: {}", p.port, with_commas(p.n),
                    p.listening ? "a listening port: accepted connections the server never closes"
                                : "outgoing connections the client never closes",
                    !owners.empty()   ? owners
                    : in.owners_known ? "not found (another user's process, or closed meanwhile)"
                                      : "unknown (no process information in this input)"));
  }
  f.severity = total >= kCritical ? Severity::kCritical
               : total >= kWarn   ? Severity::kWarning
                                  : Severity::kInfo;
  f.title = fmt::format(
      "{} sockets in CLOSE_WAIT, most on local port {}{}: the application does "
      "not close them",
      with_commas(total), ports.front().port, owner_first);
  f.why =
      "CLOSE_WAIT means the peer has closed and the kernel waits for this application to call "
      "close(); it waits forever. A growing count is a bug in the application (a missing close on "
      "an error path, a leaked connection in a pool) and ends in \"too many open files\".";
  // Commands that work where the sockets are (under --netns, inside that namespace), naming the
  // process found rather than a placeholder.
  auto top = in.close_wait_owners.find(ports.front().port);
  const int pid =
      top != in.close_wait_owners.end() && !top->second.empty() ? top->second[0].pid : 0;
  const std::string pid_text = pid ? fmt::format("{}", pid) : "PID";
  if (in.is_windows()) {
    f.application = {fmt::format(
        "Find the code path that drops the socket without closesocket(): `Get-NetTCPConnection "
        "-State CloseWait | Group-Object -Property OwningProcess` names the process; `netstat "
        "-ano | findstr CLOSE_WAIT | findstr {}` shows its sockets.",
        pid_text)};
  } else {
    f.application = {fmt::format(
        "Find the code path that drops the socket without close(): `{}` names the process; `ls "
        "-l /proc/{}/fd | grep socket` shows its sockets.",
        in.here("ss -tnp state close-wait"), pid_text)};
  }
  f.application.push_back(
      "In pools, validate or evict connections the server has closed; set idle timeouts.");
  for (size_t i = 0; i < ports.size() && i < 5; ++i) {
    nlohmann::json owners = nlohmann::json::array();
    if (auto it = in.close_wait_owners.find(ports[i].port); it != in.close_wait_owners.end())
      for (const ProcessRef& r : it->second)
        owners.push_back({{"pid", r.pid}, {"name", r.name}, {"sockets", r.sockets}});
    data["ports"].push_back({{"local_port", ports[i].port},
                             {"close_wait", ports[i].n},
                             {"listening", ports[i].listening},
                             {"owners", owners}});
  }
  f.dont = {in.is_windows()
                ? "No registry setting fixes CLOSE_WAIT: a CLOSE_WAIT socket stays as long as "
                  "the application holds its handle."
                : "No kernel setting fixes CLOSE_WAIT: tcp_fin_timeout governs orphaned "
                  "FIN_WAIT2; a CLOSE_WAIT socket stays as long as the application holds its "
                  "descriptor.",
            "Restarting the process frees them, but the leak comes back."};
  return {with_data(std::move(f), data)};
}

}  // namespace tw
