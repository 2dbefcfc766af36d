// SPDX-License-Identifier: Apache-2.0
// For watch's tests: a made-up host whose sockets and counters a test changes between refreshes,
// read by a real Sampler through a fake take function (no kernel), so frames come out of the
// same code path as live ones.
#pragma once

#include <memory>

#include "census/forecast.h"
#include "doctor/collector.h"
#include "doctor/rules.h"
#include "sampler/sampler.h"

namespace tw::watch::testing {

struct Destination {
  const char* local = "10.0.0.5";
  const char* remote = "10.0.0.9";
  uint16_t port = 8080;
  int time_wait = 0;  // all made within the last 10 s (the rate is time_wait / 10 over 10 s)
  int established = 0;
};

struct FakeWorld {
  std::vector<Destination> destinations;
  std::map<std::string, int64_t> counters;
  int64_t sockstat_tw = 0;
  bool fail = false;
  int bound_only = 0;              // sockets bound on 10.0.0.5 and never connected
  bool listener_in_range = false;  // a listener on 0.0.0.0:40000
};

inline Socket make_socket(TcpState st, const char* local, uint16_t lport, const char* remote,
                          uint16_t rport, int64_t timer_ms) {
  Socket s;
  s.state = st;
  s.local = {*Address::parse(local), lport};
  s.remote = {*Address::parse(remote), rport};
  s.timer_ms = timer_ms;
  s.mini = st == TcpState::kTimeWait;
  return s;
}

inline TakeSampleFn take_from(const FakeWorld* w) {
  return [w](const SampleTarget& t, const SamplerOptions& o, const Sample*) {
    auto s = std::make_unique<Sample>();
    s->target = t;
    s->taken = std::chrono::steady_clock::now();
    if (w->fail) {
      s->error = "cannot enter the namespace";
      return s;
    }
    s->facts.os = "linux";
    s->facts.netns = t.label();
    s->facts.sysctls["net.ipv4.ip_local_port_range"] = "32768 60999";
    s->facts.sysctls["net.ipv4.tcp_tw_reuse"] = "2";
    s->facts.counters = w->counters;
    s->facts.sockstat = Sockstat{};
    s->facts.sockstat->tw = w->sockstat_tw;
    s->pool = PortPool{};
    s->collector = std::make_unique<DoctorCollector>(s->pool);
    const bool own_view = !o.states.is_all() || o.by != GroupBy::kState;
    if (own_view) s->view = std::make_unique<Census>(CensusOptions{o.states, o.by, std::nullopt});
    // Ports as connect() takes them: the range's even ones first, then the odd ones.
    int next = 0;
    auto take_port = [&] {
      const int i = next++;
      return static_cast<uint16_t>(i < 14116 ? 32768 + 2 * i : 32769 + 2 * (i - 14116));
    };
    for (const Destination& d : w->destinations) {
      auto add = [&](TcpState st, int64_t timer) {
        Socket k = make_socket(st, d.local, take_port(), d.remote, d.port, timer);
        s->collector->add(k);
        if (s->view) s->view->add(k);
      };
      for (int i = 0; i < d.time_wait; ++i) add(TcpState::kTimeWait, 55'000);  // 5 s old
      for (int i = 0; i < d.established; ++i) add(TcpState::kEstablished, -1);
    }
    for (int i = 0; i < w->bound_only; ++i)
      s->collector->add(make_socket(TcpState::kClose, "10.0.0.5", 50001 + 2 * i, "0.0.0.0", 0, -1));
    if (w->listener_in_range)
      s->collector->add(make_socket(TcpState::kListen, "0.0.0.0", 40000, "0.0.0.0", 0, -1));
    s->input = s->collector->input(s->facts, false);
    s->tuples = forecast_tuples(*s->input.sockets, s->input.policy());
    s->bind_pools = forecast_source_pools(*s->input.sockets, s->input.policy());
    if (o.doctor) s->findings = run_rules(s->input);
    return s;
  };
}

}  // namespace tw::watch::testing
