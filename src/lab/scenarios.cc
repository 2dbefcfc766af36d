// SPDX-License-Identifier: Apache-2.0
// The scenario list: `lab list` prints it in this order and `lab run all` runs it in this order.
#include "lab/scenario.h"
#include "lab/scenario_bind_before_connect.h"
#include "lab/scenario_churn.h"
#include "lab/scenario_fin_timeout.h"
#include "lab/scenario_keepalive.h"
#include "lab/scenario_linger0.h"
#include "lab/scenario_lost_last_ack.h"
#include "lab/scenario_nat_lb.h"
#include "lab/scenario_nginx_proxy.h"
#include "lab/scenario_port_range_per_socket.h"
#include "lab/scenario_reuseaddr.h"
#include "lab/scenario_source_addresses.h"
#include "lab/scenario_syn_into_timewait.h"
#include "lab/scenario_who_closes.h"

namespace tw::lab {

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> list = {
      {"churn",
       "short connections to one server with a small client port range: EADDRNOTAVAIL, tw_reuse, "
       "timestamps",
       run_churn},
      {"who-closes",
       "the active closer holds TIME_WAIT: client-closes-first versus server-closes-first",
       run_who_closes},
      {"linger0", "SO_LINGER {on, 0}: no TIME_WAIT, an RST, and data lost by the receiver",
       run_linger0},
      {"reuseaddr",
       "restart a server on a port with TIME_WAIT or established connections: SO_REUSEADDR",
       run_reuseaddr},
      {"syn-into-timewait",
       "a new SYN for a 4-tuple in TIME_WAIT: accepted or not, by sequence number and timestamp "
       "(RFC 6191)",
       run_syn_into_timewait},
      {"keepalive", "one persistent connection versus a new connection per request", run_keepalive},
      // Part 2: more than two hosts, or a real third-party server.
      {"nat-lb",
       "clients behind a load balancer's SNAT to one backend: the highest new-connection rate "
       "without failures vs ports / TIME_WAIT; timestamps off; several source addresses",
       run_nat_lb},
      {"nginx-proxy",
       "a real nginx in front of a backend: TIME_WAIT and upstream connections with the default "
       "upstream vs upstream keep-alive",
       run_nginx_proxy},
      {"lost-last-ack",
       "the active closer's final ACK is dropped once: TIME_WAIT answers the retransmitted FIN; "
       "SO_LINGER 0 gives the peer an RST instead",
       run_lost_last_ack},
      // Where source ports come from, and the commonest wrong advice.
      {"bind-before-connect",
       "bind(addr, 0) before connect(): one port pool per source address across all "
       "destinations; IP_BIND_ADDRESS_NO_PORT gives back a pool per destination",
       run_bind_before_connect},
      {"source-addresses",
       "N source addresses carry N times the connections toward one destination",
       run_source_addresses},
      {"fin-timeout",
       "tcp_fin_timeout leaves TIME_WAIT at 60 s and changes only how long an orphaned FIN_WAIT2 "
       "lives",
       run_fin_timeout},
      {"port-range-per-socket",
       "IP_LOCAL_PORT_RANGE (Linux 6.3) splits one source address between clients; connect() "
       "slows as the even ports run out (parity split)",
       run_port_range_per_socket},
  };
  return list;
}

const Scenario* find_scenario(const std::string& name) {
  for (const Scenario& s : scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

bool ScenarioResult::confirmed() const {
  for (const Row& r : rows)
    if (r.verdict == Verdict::kDiffers) return false;
  return true;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kConfirmed:
      return "confirmed";
    case Verdict::kDiffers:
      return "differs";
    case Verdict::kInfo:
      return "info";
  }
  return "?";
}

Verdict check(bool as_predicted) { return as_predicted ? Verdict::kConfirmed : Verdict::kDiffers; }

}  // namespace tw::lab
