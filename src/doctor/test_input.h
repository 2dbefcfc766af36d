// SPDX-License-Identifier: Apache-2.0
// For the doctor's unit tests: builds a DoctorInput from a few lines (facts with this kernel
// family's defaults, sockets fed through the real DoctorCollector).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "doctor/collector.h"
#include "doctor/rules.h"

namespace tw::testing {

inline Socket sock(TcpState state, const std::string& local, const std::string& remote,
                   int64_t timer_ms = -1) {
  auto ep = [](const std::string& text) {
    Endpoint e;
    size_t colon = text.rfind(':');
    e.addr = *Address::parse(text.substr(0, colon));
    e.port = static_cast<uint16_t>(std::stoi(text.substr(colon + 1)));
    return e;
  };
  Socket s;
  s.state = state;
  s.local = ep(local);
  s.remote = ep(remote);
  s.timer_ms = timer_ms;
  s.mini = state == TcpState::kTimeWait;
  return s;
}

struct InputBuilder {
  HostFacts facts;
  std::vector<Socket> sockets;
  bool with_sockets = true;
  std::unique_ptr<DoctorCollector> collector;

  InputBuilder() {
    facts.os = "linux";
    facts.kernel = "6.18.0";
    facts.netns = "host";
    facts.sysctls = {
        {"net.ipv4.ip_local_port_range", "32768 60999"},
        {"net.ipv4.ip_local_reserved_ports", ""},
        {"net.ipv4.tcp_tw_reuse", "2"},
        {"net.ipv4.tcp_tw_reuse_delay", "1000"},
        {"net.ipv4.tcp_timestamps", "1"},
        {"net.ipv4.tcp_max_tw_buckets", "262144"},
        {"net.ipv4.tcp_fin_timeout", "60"},
        {"net.ipv4.tcp_max_syn_backlog", "2048"},
        {"net.ipv4.tcp_syncookies", "1"},
        {"net.core.somaxconn", "4096"},
    };
    facts.sockstat = Sockstat{};
  }
  InputBuilder& set(const std::string& name, const std::string& value) {
    facts.sysctls[name] = value;
    return *this;
  }
  InputBuilder& add(const Socket& s, int times = 1) {
    for (int i = 0; i < times; ++i) sockets.push_back(s);
    return *this;
  }
  // `n` outgoing sockets toward remote from consecutive ephemeral ports, in `state`.
  InputBuilder& outgoing(int n, TcpState state, const std::string& local_addr,
                         const std::string& remote, int first_port = 32768) {
    for (int i = 0; i < n; ++i)
      add(sock(state, local_addr + ":" + std::to_string(first_port + i), remote,
               state == TcpState::kTimeWait ? 30000 : -1));
    return *this;
  }
  // TIME_WAITs toward remote made at `per_second` over the last `seconds` seconds, from
  // consecutive ports: their timers are what inet_diag would report now.
  InputBuilder& churn(double per_second, double seconds, const std::string& local_addr,
                      const std::string& remote, int first_port) {
    const int n = static_cast<int>(per_second * seconds);
    for (int i = 0; i < n; ++i) {
      const double age = (i + 0.5) / per_second;
      add(sock(TcpState::kTimeWait, local_addr + ":" + std::to_string(first_port + i), remote,
               static_cast<int64_t>((kLinuxTimeWaitSeconds - age) * 1000)));
    }
    return *this;
  }
  DoctorInput build() {
    if (!with_sockets) {
      DoctorInput in;
      in.facts = facts;
      return in;
    }
    std::optional<PortPool> pool;
    if (auto r = facts.sysctl("net.ipv4.ip_local_port_range")) {
      pool = *parse_port_range(*r);
      if (auto res = facts.sysctl("net.ipv4.ip_local_reserved_ports"))
        pool->reserved = parse_port_list(*res).value_or(decltype(pool->reserved){});
    } else if (facts.os == "windows") {
      auto s = facts.windows_params.find("DynamicPortStart");
      auto n = facts.windows_params.find("DynamicPortNumber");
      PortPool p{49152, 65535, {}, false};
      if (s != facts.windows_params.end() && n != facts.windows_params.end())
        p = PortPool{static_cast<uint16_t>(s->second),
                     static_cast<uint16_t>(s->second + n->second - 1),
                     {},
                     false};
      pool = p;
    }
    collector = std::make_unique<DoctorCollector>(pool);
    for (auto& s : sockets) collector->add(s);
    return collector->input(facts, false);
  }
};

// The findings with this id.
inline std::vector<Finding> with_id(const std::vector<Finding>& all, const std::string& id) {
  std::vector<Finding> out;
  for (auto& f : all)
    if (f.id == id) out.push_back(f);
  return out;
}

inline bool has_sysctl(const Finding& f, const std::string& name, const std::string& value) {
  for (auto& s : f.sysctls)
    if (s.name == name && s.value == value) return true;
  return false;
}

inline bool evidence_has(const Finding& f, const std::string& text) {
  for (auto& e : f.evidence)
    if (e.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace tw::testing
