#include "lab/port_exhaustion.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "lab/sockets.h"
#include "lab/stop.h"

namespace tw::lab {

Result<ExhaustStats> run_until_exhausted(const Netns& client, const ExhaustConfig& c) {
  if (c.dests.empty()) return fail("no destination to connect to");
  using Clock = std::chrono::steady_clock;
  ExhaustStats out;
  auto st = client.run_in([&] {
    const auto start = Clock::now();
    auto since = [](Clock::time_point t) {
      return std::chrono::duration<double>(Clock::now() - t).count();
    };
    for (int64_t i = 0; i < c.max_connects && since(start) < c.max_seconds && !stop_requested();
         ++i) {
      const auto& [addr, port] = c.dests[i % c.dests.size()];
      ConnectOptions o;
      o.range_low = c.range_low;
      o.range_high = c.range_high;
      if (c.bind != BindMode::kNone && !c.sources.empty()) {
        o.bind_addr = c.sources[i % c.sources.size()];
        o.bind_address_no_port = c.bind == BindMode::kBindNoPort;
      }
      const auto t = Clock::now();
      auto fd = tcp_connect(addr, port, o);
      if (!fd) {
        const int err = errno;
        ++out.failures;
        if (!out.failed()) {
          out.first_errno = err ? err : -1;
          out.first_error = fd.error();
          out.before_failure = out.connects;
        }
        if (c.stop_at_failure) break;
        continue;
      }
      out.connect_us.push_back(since(t) * 1e6);
      out.ports.push_back(local_port_of(*fd));
      close(*fd);  // the client closes first: its port stays in TIME_WAIT
      ++out.connects;
    }
    out.seconds = since(start);
  });
  if (!st) return fail(st.error());
  if (!out.failed()) out.before_failure = out.connects;
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace tw::lab
