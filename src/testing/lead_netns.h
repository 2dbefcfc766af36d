// SPDX-License-Identifier: Apache-2.0
// The set-up the lead-time CLI tests share (tests/cli/*_lead_cli_test.cc: does a view warn long
// enough before the first failed bind() or connect()?): a namespace with a narrow ephemeral range
// and addresses of its own on lo, listeners there served by one thread that closes each
// connection after the client's FIN (so the client closes first and keeps the TIME_WAIT, as a
// client of a keep-alive-less HTTP server does), and the exporter's pool level read from a scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "os/unique_fd.h"
#include "testing/scoped_netns.h"

namespace tw::testing {

class LeadNetns {
 public:
  // Removes namespaces PREFIX-* a killed run left, makes PREFIX-<pid>-<n> with
  // net.ipv4.ip_local_port_range = `port_range` ("40000 40999") and each of `addresses` on lo
  // (/32). ok() says whether all of it worked (the failure is reported to the test).
  LeadNetns(const std::string& prefix, const std::string& port_range,
            const std::vector<std::string>& addresses);
  ~LeadNetns();  // stops serving, closes the listeners; the namespace goes with ns_
  LeadNetns(const LeadNetns&) = delete;
  LeadNetns& operator=(const LeadNetns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return ns_.name(); }
  // A listener on ADDRESS:PORT in the namespace (backlog 1024); false (reported) if it failed.
  bool listen(const std::string& address, uint16_t port);
  // Starts the one thread that accepts on every listener so far and closes after the client's FIN.
  void serve();
  // Stops that thread (bounded: it polls every 50 ms).
  void stop_serving();

 private:
  ScopedNetns ns_;
  bool ok_ = true;
  std::vector<os::UniqueFd> listeners_;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

// The body of http://127.0.0.1:PORT/metrics ("" when no answer came within 10 s).
std::string scrape_metrics(int port);
// The highest timewait_port_pool_worst_level over every pool kind in a scrape: 0 (ok),
// 1 (warning), 2 (critical), -1 when the scrape has none.
int worst_pool_level(const std::string& metrics);
// Seconds since t0, for when a view first warned and a call first failed.
double seconds_since(std::chrono::steady_clock::time_point t0);

}  // namespace tw::testing
