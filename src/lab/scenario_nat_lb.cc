// SPDX-License-Identifier: Apache-2.0
#include "lab/scenario_nat_lb.h"

#include <fmt/format.h>

#include <algorithm>

#include "lab/counters.h"
#include "lab/nft_table.h"
#include "lab/server.h"
#include "lab/stop.h"
#include "lab/topology.h"

namespace tw::lab {

// client 10.77.1.1 (+ 10.77.1.11...) -> balancer 10.77.1.2 | balancer 10.77.2.1 (+ 10.77.2.11...)
// -> backend 10.77.2.2. The backend has no route to the clients: it only ever sees the balancer.
struct NatLbLab::Parts {
  Topology topo;
  Node* client = nullptr;
  Node* lb = nullptr;
  Node* backend = nullptr;
  std::unique_ptr<NftTable> nat;
  std::unique_ptr<Server> server;
};

namespace {

// The SNAT statement: with several addresses a new connection takes the next one in turn (numgen),
// the way a balancer spreads its source addresses. (A plain `snat to A-B` range would not: the
// kernel hashes each client address to one address of the range.)
std::string snat_statement(const NatLbSetup& s) {
  std::string ports = fmt::format("{}-{}", s.port_low, s.port_high);
  if (s.addresses == 1) return fmt::format("snat ip to 10.77.2.11:{}", ports);
  std::string map;
  for (int i = 0; i < s.addresses; ++i)
    map += fmt::format("{}{} : 10.77.2.{} . {}", i ? ", " : "", i, 11 + i, ports);
  return fmt::format("snat ip to numgen inc mod {} map {{ {} }}", s.addresses, map);
}

std::string client_address(int i) {
  return i == 0 ? std::string("10.77.1.1") : fmt::format("10.77.1.{}", 10 + i);
}

}  // namespace

NatLbLab::NatLbLab(const NatLbSetup& setup) : setup_(setup), parts_(std::make_unique<Parts>()) {}
NatLbLab::~NatLbLab() = default;
const Netns& NatLbLab::client() const { return *parts_->client->ns; }
const Netns& NatLbLab::balancer() const { return *parts_->lb->ns; }
const Netns& NatLbLab::backend() const { return *parts_->backend->ns; }

Result<std::unique_ptr<NatLbLab>> NatLbLab::build(const NatLbSetup& s) {
  if (s.port_high < s.port_low || s.addresses < 1 || s.addresses > 200 || s.clients < 1 ||
      s.clients > 200)
    return fail("nat-lb: the SNAT port range, address or client count is out of bounds");
  std::unique_ptr<NatLbLab> lab(new NatLbLab(s));
  Parts& p = *lab->parts_;
  for (auto [role, out] :
       {std::pair{"client", &p.client}, std::pair{"lb", &p.lb}, std::pair{"backend", &p.backend}}) {
    auto n = p.topo.add_node(role);
    if (!n) return fail(n.error());
    *out = *n;
  }
  if (auto st = p.topo.link(*p.client, *p.lb, 1); !st) return fail(st.error());
  if (auto st = p.topo.link(*p.lb, *p.backend, 2); !st) return fail(st.error());
  if (auto st = p.client->ns->ip("route add 10.77.2.0/24 via 10.77.1.2"); !st)
    return fail(st.error());
  for (int i = 1; i < s.clients; ++i)
    if (auto st = p.client->ns->ip(fmt::format("addr add {}/24 dev lb", client_address(i))); !st)
      return fail(st.error());
  for (int i = 0; i < s.addresses; ++i)
    if (auto st = p.lb->ns->ip(fmt::format("addr add 10.77.2.{}/24 dev backend", 11 + i)); !st)
      return fail(st.error());
  if (auto st = p.lb->ns->set_sysctl("net.ipv4.ip_forward", "1"); !st) return fail(st.error());
  if (auto st =
          p.client->ns->set_sysctl("net.ipv4.tcp_timestamps", s.client_timestamps ? "1" : "0");
      !st)
    return fail(st.error());
  if (s.backend_rfc1337)
    if (auto st = p.backend->ns->set_sysctl("net.ipv4.tcp_rfc1337", "1"); !st)
      return fail(st.error());
  const std::string dnat = s.dnat ? fmt::format(R"(
  chain pre {{
    type nat hook prerouting priority dstnat; policy accept;
    iifname "client" ip daddr 10.77.1.2 tcp dport 80 dnat ip to 10.77.2.2:{}
  }})",
                                                kNatLbBackendPort)
                                  : std::string();
  auto nat = NftTable::load(*p.lb->ns, "ip twlab_nat",
                            fmt::format(R"({}
  chain post {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "backend" meta l4proto tcp {}
  }})",
                                        dnat, snat_statement(s)));
  if (!nat) return fail(nat.error());
  p.nat = std::move(*nat);
  auto server =
      Server::start(*p.backend->ns, {"10.77.2.2", kNatLbBackendPort, CloseMode::kServerFirst});
  if (!server) return fail(server.error());
  p.server = std::move(*server);
  return lab;
}

PacedConfig NatLbLab::traffic(double rate, double seconds) const {
  PacedConfig pc;
  pc.addr = setup_.dnat ? "10.77.1.2" : "10.77.2.2";
  pc.port = setup_.dnat ? 80 : kNatLbBackendPort;
  pc.rate = rate;
  pc.seconds = seconds;
  pc.timeout_ms = setup_.connect_timeout_ms;
  if (setup_.clients > 1)
    for (int i = 0; i < setup_.clients; ++i) pc.sources.push_back(client_address(i));
  return pc;
}

Result<NatLbStep> NatLbLab::step(double rate) {
  Parts& p = *parts_;
  NatLbStep st;
  st.rate = rate;
  auto c0 = read_counters(*p.client->ns);
  auto b0 = read_counters(*p.backend->ns);
  if (!c0 || !b0) return fail(!c0 ? c0.error() : b0.error());
  auto stats = run_paced_connects(*p.client->ns, traffic(rate, setup_.step_seconds));
  if (!stats) return fail(stats.error());
  st.stats = *stats;
  auto c1 = read_counters(*p.client->ns);
  auto b1 = read_counters(*p.backend->ns);
  if (!c1 || !b1) return fail(!c1 ? c1.error() : b1.error());
  st.syn_retransmits = (*c1 - *c0).get("TCPSynRetrans");
  // A SYN refused by a TIME_WAIT because its timestamp is older: PAWSTimewait on recent kernels,
  // PAWSEstab before that counter existed.
  Counters bd = *b1 - *b0;
  st.backend_paws_timewait = bd.get("PAWSTimewait");
  st.backend_paws = st.backend_paws_timewait + bd.get("PAWSEstab");
  auto census = take_census(*p.backend->ns);
  if (!census) return fail(census.error());
  st.backend_time_wait = census->count(TcpState::kTimeWait);
  auto by_peer = take_census(*p.backend->ns, GroupBy::kPeer);
  if (!by_peer) return fail(by_peer.error());
  for (const GroupRow& row : by_peer->groups())
    if (int64_t tw = row.counts[state_index(TcpState::kTimeWait)])
      st.backend_time_wait_by_peer.push_back({row.key.remote.addr.to_string(), tw});
  std::sort(st.backend_time_wait_by_peer.begin(), st.backend_time_wait_by_peer.end(),
            [](auto& a, auto& b) { return a.time_wait > b.time_wait; });
  if (auto n = p.lb->ns->sysctl("net.netfilter.nf_conntrack_count")) st.conntrack = std::stoll(*n);
  return st;
}

int64_t NatLbRun::pool() const {
  return int64_t(setup.addresses) * (setup.port_high - setup.port_low + 1);
}
double NatLbRun::naive_step_limit() const { return pool() / setup.step_seconds; }
double NatLbRun::naive_sustained() const { return pool() / 60.0; }

double NatLbRun::highest_clean_rate() const {
  double best = 0;
  for (const NatLbStep& s : steps) {
    if (s.failures() > 0) break;
    best = s.rate;
  }
  return best;
}

double NatLbRun::first_failing_rate() const {
  for (const NatLbStep& s : steps)
    if (s.failures() > 0) return s.rate;
  return 0;
}

Result<NatLbRun> measure_nat_lb(const NatLbSetup& setup) {
  NatLbRun run;
  run.setup = setup;
  std::unique_ptr<NatLbLab> lab;
  for (double rate : setup.rates) {
    if (stop_requested()) break;
    if (!lab || setup.fresh_per_step) {
      lab.reset();
      auto built = NatLbLab::build(setup);
      if (!built) return fail(built.error());
      lab = std::move(*built);
    }
    auto st = lab->step(rate);
    if (!st) return fail(st.error());
    run.steps.push_back(*st);
    if (setup.stop_after_failure && st->failures() > 0) break;
  }
  return run;
}

namespace {

std::string label(const NatLbSetup& s) {
  return fmt::format("{} {}, client timestamps {}", s.addresses,
                     s.addresses == 1 ? "source address" : "source addresses",
                     s.client_timestamps ? "on" : "off");
}

std::string peers_text(const NatLbStep& st);

std::string step_measured(const NatLbStep& st) {
  const PacedStats& p = st.stats;
  return fmt::format(
      "{}/{} connected ({:.1f}/s); {} SYN retransmissions, {} refused, {} reset, {} timed out, "
      "{} took > 0.9 s; backend TIME_WAIT {}{}, PAWS rejects {} (PAWSTimewait {}); balancer "
      "conntrack entries {}",
      p.ok, p.attempted, p.rate(), st.syn_retransmits, p.refused, p.reset, p.timed_out, p.slow,
      st.backend_time_wait, peers_text(st), st.backend_paws, st.backend_paws_timewait,
      st.conntrack);
}

// The backend's view: its TIME_WAITs by peer address (the balancer's SNAT addresses).
std::string peers_text(const NatLbStep& st) {
  std::string out;
  for (size_t i = 0; i < st.backend_time_wait_by_peer.size() && i < 4; ++i)
    out += fmt::format("{}{} from {}", i ? ", " : " (", st.backend_time_wait_by_peer[i].time_wait,
                       st.backend_time_wait_by_peer[i].peer);
  return out.empty() ? out : out + ")";
}

// The kernel's model (plan/planner.h snat_dropped_from_empty): from an empty SNAT, each
// connection past the pool reuses a 4-tuple in the backend's TIME_WAIT and PAWS drops half.
double dropped_from_empty(const NatLbRun& run, double rate) {
  return std::max(0.0, rate * run.setup.step_seconds - double(run.pool())) / 2;
}

// Several clients through DNAT + SNAT, the issue's balancer: the kernel's model against the
// backend's PAWS counter, and no connection failed.
void add_clients_rows(const NatLbRun& run, ScenarioResult* r) {
  const NatLbSetup& s = run.setup;
  const std::string name = fmt::format(
      "{} client addresses -> DNAT + SNAT to {} port(s) -> backend", s.clients, run.pool());
  for (const NatLbStep& st : run.steps) {
    const double model = dropped_from_empty(run, st.rate);
    const std::string k = fmt::format("clients{}.rate{:g}.", s.clients, st.rate);
    r->values[k + "paws_timewait"] = st.backend_paws_timewait;
    r->values[k + "model_dropped"] = model;
    r->values[k + "failed"] = st.stats.failures();
    r->values[k + "delayed"] = st.delayed();
    const bool ok = st.stats.failures() == 0 && st.backend_paws_timewait >= model * 0.5 &&
                    st.backend_paws_timewait <= model * 1.5 + 2;
    r->rows.push_back(
        {fmt::format("{}: {:g}/s for {:g} s", name, st.rate, s.step_seconds),
         fmt::format("kernel model: ({:g} connections - {} ports) / 2 = {:.0f} SYNs dropped by "
                     "PAWS, resent at once, none failed (the naive model: {:.0f} failures)",
                     st.rate * s.step_seconds, run.pool(), model,
                     std::max(0.0, st.rate * s.step_seconds - run.pool())),
         step_measured(st), check(ok)});
  }
}

void add_run_rows(const NatLbRun& run, ScenarioResult* r) {
  const NatLbSetup& s = run.setup;
  const std::string name = label(s);
  const std::string key =
      fmt::format("{}addr.ts{}.", s.addresses, s.client_timestamps ? "on" : "off");
  r->values[key + "pool"] = run.pool();
  r->values[key + "naive_step_limit"] = run.naive_step_limit();
  r->values[key + "naive_sustained"] = run.naive_sustained();
  r->values[key + "highest_clean_rate"] = run.highest_clean_rate();
  r->values[key + "first_failing_rate"] = run.first_failing_rate();
  for (const NatLbStep& st : run.steps) {
    std::string k = key + fmt::format("rate{:g}.", st.rate);
    r->values[k + "connected"] = st.stats.ok;
    r->values[k + "syn_retransmits"] = st.syn_retransmits;
    r->values[k + "failures"] = st.failures();
    r->values[k + "backend_time_wait"] = st.backend_time_wait;
    r->values[k + "conntrack"] = st.conntrack;
  }
  for (const NatLbStep& st : run.steps)
    r->rows.push_back({fmt::format("{}: {:g}/s for {:g} s", name, st.rate, s.step_seconds),
                       st.rate * s.step_seconds > run.pool()
                           ? fmt::format("naive: failures ({:.0f} connections > pool {})",
                                         st.rate * s.step_seconds, run.pool())
                           : "naive: no failures (within the pool)",
                       step_measured(st), Verdict::kInfo});
  const double first = run.first_failing_rate(), clean = run.highest_clean_rate();
  const std::string held =
      first > 0
          ? fmt::format("{:g}/s held; first failures at {:g}/s", clean, first)
          : fmt::format("no failures up to {:g}/s", run.steps.empty() ? 0 : run.steps.back().rate);
  const std::string naive = fmt::format(
      "naive: pool {} / TIME_WAIT 60 s = {:.2f}/s sustained; within a {:g} s step, failures above "
      "pool / step = {:.0f}/s",
      run.pool(), run.naive_sustained(), s.step_seconds, run.naive_step_limit());
  if (s.client_timestamps) {
    // Reused tuples meet PAWS: the SYN's timestamp comes from another client connection.
    const bool within =
        first > 0 && first >= run.naive_step_limit() / 2 && first <= run.naive_step_limit() * 2;
    r->rows.push_back({name + ": highest rate without failures",
                       naive + "; expected: first failures within 1/2x-2x of it, once the pool's "
                               "tuples are reused",
                       held, check(within)});
  } else {
    r->rows.push_back({name + ": highest rate without failures",
                       naive + "; expected without timestamps: no failures (SYNs into "
                               "TIME_WAIT accepted on a newer sequence number)",
                       held, check(first == 0)});
  }
}

}  // namespace

Result<ScenarioResult> run_nat_lb(const LabOptions& options) {
  ScenarioResult r;
  r.name = "nat-lb";
  r.title = "Clients behind a load balancer's SNAT: the connection rate one source address holds";
  NatLbSetup base;
  if (options.port_low) base.port_low = options.port_low;
  if (options.port_high) base.port_high = options.port_high;
  if (base.port_high < base.port_low) return fail("--port-range: LOW must not exceed HIGH");
  // Steps longer than 30 s add little: what matters happens within one TIME_WAIT (60 s).
  if (options.duration > 0) base.step_seconds = std::min(options.duration, 30.0);
  const double top = options.rate > 0 ? std::min(options.rate, 20000.0) : 512;
  base.rates.clear();
  for (double rate = 8; rate <= top * 1.0001; rate *= 2) base.rates.push_back(rate);
  if (base.rates.empty()) base.rates.push_back(top);
  const int many = options.count > 1 ? int(std::min<int64_t>(options.count, 200)) : 4;

  NatLbSetup one = base, no_ts = base, several = base;
  no_ts.client_timestamps = false;
  no_ts.stop_after_failure = true;
  several.addresses = many;
  std::vector<NatLbRun> runs;
  for (const NatLbSetup& s : {one, no_ts, several}) {
    auto run = measure_nat_lb(s);
    if (!run) return fail(run.error());
    add_run_rows(*run, &r);
    runs.push_back(*run);
  }
  // The issue's balancer: clients on 4 addresses, DNAT + SNAT, steps long enough to reuse the pool.
  NatLbSetup clients = base;
  clients.clients = 4;
  clients.dnat = true;
  clients.step_seconds = 12;
  clients.rates = {8, 16};
  clients.stop_after_failure = false;
  clients.connect_timeout_ms = 8000;
  if (auto run = measure_nat_lb(clients); run)
    add_clients_rows(*run, &r);
  else
    return fail(run.error());
  const double f1 = runs[0].first_failing_rate(), fn = runs[2].first_failing_rate();
  r.rows.push_back(
      {fmt::format("{} source addresses vs 1 (timestamps on): first failing rate", many),
       fmt::format("higher with {} (the pool grows {}x)", many, many),
       fmt::format("{} vs {}", fn > 0 ? fmt::format("{:g}/s", fn) : "none up to the top rate",
                   f1 > 0 ? fmt::format("{:g}/s", f1) : "none"),
       check(f1 > 0 && (fn == 0 || fn > f1))});
  r.notes.push_back(fmt::format(
      "client 10.77.1.1 -> balancer (nftables table ip twlab_nat: SNAT to 10.77.2.11.. ports "
      "{}-{}, conntrack) -> backend 10.77.2.2:8080, which answers one byte and closes first, so "
      "the TIME_WAITs are on the backend; each rate step runs {:g} s in fresh namespaces; a "
      "failure is a SYN retransmission (TcpExt TCPSynRetrans of the client), a refused, reset or "
      "timed-out (3 s) connection",
      base.port_low, base.port_high, base.step_seconds));
  r.notes.push_back(
      "why the naive model is too pessimistic: a backend accepts a SYN for a tuple in TIME_WAIT "
      "when its sequence number is after the old connection's or its timestamp is newer "
      "(tcp_timewait_state_process, RFC 6191), and the balancer's SNAT, once its ports are used, "
      "evicts a closed conntrack entry (TIME_WAIT, kept nf_conntrack_tcp_timeout_time_wait = "
      "120 s) when the new SYN's sequence number has advanced past it (nf_nat_used_tuple_harder, "
      "2023). Without timestamps that is enough: no failures. With timestamps, the SYN of a reused "
      "tuple carries the timestamp of another client connection, and the client's connections do "
      "not share one timestamp offset: about half the time it is older than the last one the "
      "TIME_WAIT saw, PAWS refuses it (backend TcpExt PAWSTimewait), and the client retransmits "
      "the SYN. The SNAT evicts only in its last 32 probes for a port, so with 32 ports or fewer "
      "per address it evicts even while free ports remain; the lab's default pool is 64 ports.");
  r.notes.push_back(
      "seen from the backend: a SYN PAWS drops into a TIME_WAIT gets an ACK, the client answers "
      "with an RST that ends the TIME_WAIT (tcp_rfc1337=0) and resends the SYN at once (SYN_SENT "
      "re-arms its timer to TCP_TIMEOUT_MIN on a bad ACK): a SYN retransmission, rarely a 1 s "
      "delay, never a failure. With tcp_rfc1337=1 the TIME_WAIT survives, restarts its 60 s, and "
      "the retries fail (measured on 6.18: 39 of 160 not done within 3 s at 8/s). Timestamp "
      "offsets: per address pair from Linux 4.11; 6.18 hashes the ports in again, and one client "
      "through one SNAT address meets the same drops as four. `timewait doctor --interval 10` in "
      "the backend "
      "reports them as syn-into-time-wait, naming the SNAT address");
  r.notes.push_back(
      "several source addresses: the balancer takes them in turn per connection (nftables "
      "numgen); a plain `snat to A-B` range hashes each client address to a single one of them");
  return r;
}

}  // namespace tw::lab
