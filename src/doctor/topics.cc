// SPDX-License-Identifier: Apache-2.0
#include "doctor/topics.h"

#include <fmt/format.h>

#include <cctype>

namespace tw {

namespace {

const Topic kStates{
    "states",
    "The 11 TCP states, and who ends in TIME_WAIT",
    R"(LISTEN       a server socket waiting for SYNs
SYN-SENT     the active opener sent SYN and waits for SYN-ACK
SYN-RECV     a SYN arrived and SYN-ACK was sent; waiting for the final ACK (half-open)
ESTABLISHED  data flows both ways
FIN-WAIT-1   this side closed first: FIN sent, not yet acknowledged
FIN-WAIT-2   our FIN was acknowledged; waiting for the peer's FIN (an orphan waits at most
             tcp_fin_timeout)
CLOSING      both sides sent FIN at once (simultaneous close); waiting for the ACK of ours
TIME-WAIT    the side that closed first, after the peer's FIN: waits 2MSL (60 s on Linux)
CLOSE-WAIT   the peer closed; waiting for this application to call close() (forever if it never
             does: an application bug, not a kernel setting)
LAST-ACK     the peer closed first, then we did; waiting for the ACK of our FIN
CLOSE        no connection (ss: UNCONN)

Only the active closer reaches TIME-WAIT (from FIN-WAIT-2, or from CLOSING on a simultaneous
close); the passive closer goes CLOSE-WAIT -> LAST-ACK -> CLOSE and keeps nothing. So who closes
first decides who holds TIME_WAIT: a client that closes holds it on its ephemeral ports; a server
that closes (HTTP/1.0, `Connection: close`) holds it on its listening port.)",
    {"RFC 793 section 3.2 (state diagram)", "Linux include/net/tcp_states.h (numbering)"}};

const Topic kTimeWait{
    "time-wait",
    "Why TIME_WAIT exists: its two purposes",
    R"(1. The lost last ACK. The active closer's final ACK may be lost; the peer then resends its
   FIN. In TIME_WAIT the closer still knows the connection and answers with the ACK again; without
   it, it would answer with RST and the peer would report an error for a clean close.
2. Old duplicates. Segments of the connection may still wander the network. Until they have
   expired (2 x MSL), a new connection with the same 4-tuple (addresses and ports) could accept
   them as its own data. TIME_WAIT keeps the 4-tuple taken that long.

A TIME_WAIT socket is a small mini-socket (~168 bytes, no process, no file descriptor). It costs
memory and a slot in tcp_max_tw_buckets; on a client it also holds the source port toward that
destination, which is what runs the ephemeral range dry (see port-pressure).
Linux lets a new SYN reuse a 4-tuple in TIME_WAIT when its sequence number or timestamp is newer
than the old connection's (RFC 6191; RFC 1122 4.2.2.13), and an in-window RST ends TIME_WAIT early
unless tcp_rfc1337=1 ("TIME_WAIT assassination", RFC 1337).)",
    {"RFC 793 (2MSL)", "RFC 1122 4.2.2.13", "RFC 1337", "RFC 6191",
     "kernel tcp_timewait_state_process()"}};

const Topic k2msl{
    "2msl",
    "How long TIME_WAIT lasts on each system (2 x MSL)",
    R"(RFC 793 and RFC 1122 set MSL, the maximum segment lifetime, to 2 minutes: 2MSL = 4 minutes.
Implementations use less:
  Linux     60 s, TCP_TIMEWAIT_LEN, fixed at compile time; no sysctl changes it
            (tcp_fin_timeout does NOT: it is for orphaned FIN_WAIT2)
  FreeBSD   2 x net.inet.tcp.msl; MSL 30 s by default, so 60 s
  Solaris   tcp_time_wait_interval (milliseconds, ndd /dev/tcp); 60 s by default
  Windows   TcpTimedWaitDelay (seconds) under HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\
            Parameters; documents disagree on range and default (Windows 2000: 30-300,
            default 240; Server 2003: 0-300, default 120): report the value present.)",
    {"RFC 793", "RFC 1122 4.2.2.13 (MSL 2 minutes)", "Linux include/net/tcp.h TCP_TIMEWAIT_LEN",
     "Oracle Solaris Tunable Parameters: tcp_time_wait_interval",
     "Microsoft: TcpTimedWaitDelay (Windows 2000, Server 2003)"}};

const Topic kPressure{
    "port-pressure",
    "Ephemeral-port pressure per destination, and the fixes in order",
    R"(connect() without bind() takes a source port from ip_local_port_range (minus
ip_local_reserved_ports). A port only has to be unique per 4-tuple, so the unit of exhaustion is
(source address, destination address, destination port). The closer keeps the port in TIME_WAIT
for 60 s, so one tuple sustains about usable ports / 60 s new connections:
28,232 / 60 = ~470 per second with the default range. Made faster, the free ports run out and
connect() fails with EADDRNOTAVAIL ("Cannot assign requested address"; Windows: event 4231).
The census and the doctor read each TIME_WAIT's timer, so they know each tuple's rate over the last
10 s and 60 s and say when, at the 10 s rate, its free ports are gone ("exhausted in ~14 s"),
before the first connect() fails.
Fixes, best first:
  1. Reuse connections: HTTP keep-alive, connection pools (nginx upstream `keepalive`,
     `proxy_http_version 1.1`, `proxy_set_header Connection "";`).
  2. More tuples: more destination addresses or ports, or several source addresses; with
     IP_BIND_ADDRESS_NO_PORT (Linux 4.2) before bind(), the port is chosen at connect() per
     4-tuple, so one port serves many destinations.
  3. A wider ip_local_port_range, reserving listening ports inside it.
  4. Last: tcp_tw_reuse=1, for outgoing connections, with timestamps on (a trade-off: PAWS
     guards the reused port instead of TIME_WAIT; `timewait doctor --apply` leaves it to you).
Not fixes: tcp_fin_timeout, tcp_tw_recycle, lowering tcp_max_tw_buckets, SO_LINGER 0 everywhere.)",
    {"28,232 usable ports / 60 s = ~470 connections/s per tuple (default range)", "RFC 6056",
     "Linux 4.2: IP_BIND_ADDRESS_NO_PORT",
     "Cloudflare (2022), \"How to stop running out of ephemeral ports\"",
     "V. Bernat (2014), \"Coping with the TCP TIME-WAIT state on busy Linux servers\""}};

const Topic kTwReuse{
    "tcp_tw_reuse",
    "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only (default)",
    R"(Lets an outgoing connect() take a source port still held by a TIME_WAIT socket toward the same
destination, if the new connection's timestamp is newer (PAWS then guards against old
duplicates instead of TIME_WAIT). It needs tcp_timestamps on both ends (tcp_twsk_unique()
checks the TIME_WAIT socket's recorded timestamp) and does nothing for incoming connections, so it
never reduces TIME_WAIT on a server. 2, loopback only, is the default since 2018
(commit 79e9fed46038). TcpExt TWRecycled counts reuses (despite its name).
Set 1 only where outgoing connections to one destination run short of ports, after connection
reuse: `sysctl -w net.ipv4.tcp_tw_reuse=1`.)",
    {"kernel commit 79e9fed46038 (2018)", "kernel tcp_twsk_unique()", "RFC 7323 (PAWS)"}};

const Topic kTwReuseDelay{
    "tcp_tw_reuse_delay",
    "net.ipv4.tcp_tw_reuse_delay: how old a TIME_WAIT must be to reuse it",
    R"(Milliseconds (default 1000, max 60000) a TIME_WAIT socket must have existed before
tcp_tw_reuse may take its port. Added in net-next commit 154dee7c3265 (December 2024, about
Linux 6.14); older kernels use a fixed 1 s. The new connection is told apart from the old one only
by its timestamps: below the peer's timestamp tick they may be equal, and PAWS drops the new
connection's segments. Do not lower it.)",
    {"net-next commit 154dee7c3265 (December 2024)", "RFC 7323 section 5 (PAWS)"}};

const Topic kTwRecycle{
    "tcp_tw_recycle",
    "net.ipv4.tcp_tw_recycle: removed in Linux 4.12; never set it",
    R"(On kernels before 4.12, tcp_tw_recycle=1 remembered the last timestamp per remote address and
dropped SYNs whose timestamp was older (PAWS per host). Clients behind one NAT have unrelated
clocks, so their connections failed at random; 4.10 gave each connection a random timestamp
offset (95a22caee396), which made it unusable, and 4.12 removed it (4396e46187ca); since 4.11
(28ee1b746f49) the offset is one per address pair.
Tuning guides that still set it are obsolete: the key does not exist on current kernels.)",
    {"kernel commit 4396e46187ca (Linux 4.12)", "kernel commit 95a22caee396 (Linux 4.10)",
     "RFC 7323"}};

const Topic kTimestamps{
    "tcp_timestamps",
    "net.ipv4.tcp_timestamps: RFC 7323 timestamps (keep on)",
    R"(0 off; 1 on with a random offset (default); 2 on without offsets. The offset was random per
connection in 4.10 (95a22caee396) and one per (source, destination) address pair from 4.11
(28ee1b746f49): a client's connections to one server shared one clock. Newer kernels hash the
ports in again (secure_tcp_seq_and_ts_off; measured on 6.18: one client's connections through
one SNAT address had unrelated clocks). Timestamps give PAWS (Protection Against Wrapped
Sequences: old duplicates are rejected by their older timestamp) and are what tcp_tw_reuse relies
on. With 0, tcp_tw_reuse does nothing. Keep 1.
Behind a SNAT load balancer the server sees unrelated clocks from one peer address: clients on
different addresses share the balancer's (and with per-connection offsets every connection
differs). When the server closes first, a client's SYN that reuses a 4-tuple in TIME_WAIT is
taken only if its sequence number or timestamp is newer (RFC 6191); about half look older and
PAWS drops them (TcpExt PAWSTimewait, ~6.15; PAWSEstab before). `timewait doctor` reports it as
syn-into-time-wait. Fixes: the clients or the balancer close first or keep connections to the
backend alive, more SNAT addresses, and timestamps kept on end to end (off at the clients the
SYNs pass on sequence numbers, at the cost of PAWS for every connection). Never tcp_tw_recycle.)",
    {"RFC 7323", "RFC 6191", "kernel commit 95a22caee396 (Linux 4.10)",
     "kernel commit 28ee1b746f49 (Linux 4.11, per address pair offsets)"}};

const Topic kRange{
    "ip_local_port_range",
    "net.ipv4.ip_local_port_range: the ephemeral port pool",
    R"(The ports connect() chooses source ports from: 32768-60999 (28,232 ports) by default. Since
2015 (07f4c90062f8) connect() prefers even ports and leaves odd ones to bind(), and the kernel
warns when both ends have the same parity; since 2021-22 the choice follows RFC 6056 algorithm 4
(double hash, random increments). A per-socket range exists since Linux 6.3
(IP_LOCAL_PORT_RANGE). Widening the range (e.g. 10000 65535) raises every tuple's capacity; ports
your services listen on inside it must go into ip_local_reserved_ports.)",
    {"RFC 6056", "kernel commit 07f4c90062f8 (2015)", "Linux 6.3: IP_LOCAL_PORT_RANGE"}};

const Topic kReserved{
    "ip_local_reserved_ports",
    "net.ipv4.ip_local_reserved_ports: keep service ports out of the pool",
    R"(A list like "8080,40000-40010". connect() never picks these ports, but a service can still
bind() them. A service listening inside ip_local_port_range without a reservation can fail to
restart: while it is down, an outgoing connection may take its port (EADDRINUSE at bind()).
Reserve the port instead of shrinking the range (merge with the list already set, which
`sysctl net.ipv4.ip_local_reserved_ports` prints):
  sysctl -w net.ipv4.ip_local_reserved_ports=40000
To keep it across reboots, `timewait doctor --apply` writes it to its own file
/etc/sysctl.d/60-timewait.conf (leave that file to it); by hand, use a file of your own:
  echo 'net.ipv4.ip_local_reserved_ports = 40000' > /etc/sysctl.d/70-reserved-ports.conf)",
    {"kernel Documentation/networking/ip-sysctl.rst"}};

const Topic kMaxTw{
    "tcp_max_tw_buckets",
    "net.ipv4.tcp_max_tw_buckets: the TIME_WAIT limit",
    R"(The most TIME_WAIT mini-sockets a namespace keeps. Past it, a closing connection gets no
TIME_WAIT at all ("TCP: time wait bucket table overflow"; TcpExt TCPTimeWaitOverflow grows),
losing both of TIME_WAIT's protections. Raising it is cheap (~168 bytes per socket plus a bind
bucket, slab tw_sock_TCP); lowering it to be rid of TIME_WAIT trades a visible number for silent
data corruption risks. /proc/net/sockstat "tw" counts against it, orphaned FIN_WAIT2
mini-sockets included.)",
    {"kernel inet_twsk_alloc()", "RFC 1337"}};

const Topic kFinTimeout{
    "tcp_fin_timeout",
    "net.ipv4.tcp_fin_timeout: orphaned FIN_WAIT2, not TIME_WAIT",
    R"(How long a socket the application has closed waits in FIN_WAIT2 for the peer's FIN (60 s by
default). It is widely advised as a TIME_WAIT fix and is not one: Linux's TIME_WAIT is
TCP_TIMEWAIT_LEN = 60 s, fixed at compile time. Such orphaned FIN_WAIT2 sockets are kept as
TIME_WAIT mini-sockets: `ss` shows them as FIN-WAIT-2 with timer:(timewait,...), and
/proc/net/sockstat "tw" counts them.)",
    {"Linux include/net/tcp.h", "kernel Documentation/networking/ip-sysctl.rst"}};

const Topic kRfc1337{
    "tcp_rfc1337",
    "net.ipv4.tcp_rfc1337: TIME_WAIT assassination",
    R"(With 0 (default) an in-window RST received in TIME_WAIT ends it early ("TIME_WAIT
assassination", RFC 1337), so an old duplicate RST can reopen the 4-tuple to the hazards TIME_WAIT
guards against. 1 ignores RSTs in TIME_WAIT as RFC 1337 recommends.)",
    {"RFC 1337", "kernel tcp_timewait_state_process()"}};

const Topic kSynBacklog{
    "syn-backlog",
    "SYN_RECV, backlogs and SYN cookies",
    R"(Half-open connections (SYN-RECV) wait in a listener's SYN queue for the client's ACK; complete
ones wait in the accept queue for accept(). The listen() backlog, capped by net.core.somaxconn,
bounds the accept queue; net.ipv4.tcp_max_syn_backlog bounds the SYN queue. When they fill,
connections are dropped (TcpExt ListenOverflows, ListenDrops) unless SYN cookies
(net.ipv4.tcp_syncookies=1, the default) answer without keeping state.)",
    {"RFC 4987", "kernel Documentation/networking/ip-sysctl.rst"}};

const Topic kConntrack{
    "conntrack",
    "netfilter conntrack and TIME_WAIT",
    R"(With nf_conntrack loaded every connection has an entry, also after it closes: TIME_WAIT entries
live net.netfilter.nf_conntrack_tcp_timeout_time_wait (120 s by default). nf_conntrack_count near
nf_conntrack_max means drops ("nf_conntrack: table full, dropping packet"). Fewer short
connections shrink it; `notrack` rules exempt traffic that needs no state or NAT.)",
    {"kernel Documentation/networking/nf_conntrack-sysctl.rst"}};

const Topic kLinger{
    "so_linger",
    "SO_LINGER: close() with a timeout, or with RST",
    R"(SO_LINGER {on, N s} makes close() wait up to N s for unsent data to be acknowledged.
SO_LINGER {on, 0 s} aborts: close() sends RST, discards unsent data and skips TIME_WAIT (Linux
counts it in TcpExt TCPAbortOnData). The peer sees ECONNRESET and may lose the response it was
reading; nothing protects a new connection on that 4-tuple from the old one's duplicates
(RFC 1337). Use it only as a last resort, for connections already known broken; reuse connections
and let clients close first instead.)",
    {"RFC 793 (reset processing)", "RFC 1337", "kernel tcp_close()",
     "V. Bernat (2014): SO_LINGER 0 only as an exception"}};

const Topic kReuseAddr{
    "so_reuseaddr",
    "SO_REUSEADDR and SO_REUSEPORT",
    R"(SO_REUSEADDR (Linux): a server may bind() its port while old connections on it are still in
TIME_WAIT; without it, a restart fails with EADDRINUSE for up to 60 s. It does not shorten or
remove TIME_WAIT, and two listeners still cannot share a port. Every server should set it.
SO_REUSEPORT (Linux 3.9): several sockets of the same user bind the same address and port; the
kernel spreads incoming connections over them. Neither helps outgoing connections run short of
ephemeral ports (see port-pressure).
Windows differs: there SO_REUSEADDR lets another socket take a port in use; SO_EXCLUSIVEADDRUSE
prevents that.)",
    {"socket(7)", "Linux 3.9: SO_REUSEPORT",
     "Microsoft: Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"}};

const Topic kWindows{"windows",
                     "Windows: TcpTimedWaitDelay, MaxUserPort, the dynamic port range",
                     R"(TIME_WAIT length: TcpTimedWaitDelay (seconds, REG_DWORD) under
HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters; documents disagree (Windows 2000: 30-300,
default 240; Server 2003: 0-300, default 120). A short delay frees ports sooner at the cost of
TIME_WAIT's protections.
Ephemeral ports: Vista and later use the dynamic range 49152-65535 (16,384 ports):
  netsh int ipv4 show dynamicport tcp
  netsh int ipv4 set dynamicport tcp start=10000 num=55536
MaxUserPort (5000-65534, default 5000) applies only to Windows Server 2003 and earlier.
`netstat -ano` shows TIME_WAIT rows with pid 0; event 4227 is a TIME_WAIT collision, 4231 means the
ephemeral port space is exhausted.)",
                     {"Microsoft: TcpTimedWaitDelay, MaxUserPort", "netsh int ipv4 set dynamicport",
                      "Windows events 4227 and 4231"}};

std::string normalize(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(c)));
  for (std::string_view p : {"net.ipv4.", "net.netfilter.", "net.core.", "net.ipv4/"})
    if (out.starts_with(p)) out = out.substr(p.size());
  return out;
}

}  // namespace

const std::vector<Topic>& all_topics() {
  static const std::vector<Topic> kAll = {
      kStates,    kTimeWait,   k2msl,      kPressure, kTwReuse,   kTwReuseDelay,
      kTwRecycle, kTimestamps, kRange,     kReserved, kMaxTw,     kFinTimeout,
      kRfc1337,   kSynBacklog, kConntrack, kLinger,   kReuseAddr, kWindows};
  return kAll;
}

const Topic* find_topic(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"so_reuseport", "so_reuseaddr"},  {"tw_reuse", "tcp_tw_reuse"},
      {"tw_recycle", "tcp_tw_recycle"},  {"msl", "2msl"},
      {"timewait", "time_wait"},         {"state", "states"},
      {"somaxconn", "syn_backlog"},      {"tcp_max_syn_backlog", "syn_backlog"},
      {"tcp_syncookies", "syn_backlog"}, {"syn_recv", "syn_backlog"},
      {"nf_conntrack_max", "conntrack"}, {"tcptimedwaitdelay", "windows"},
      {"maxuserport", "windows"},        {"dynamicport", "windows"},
      {"close_wait", "states"},          {"ephemeral", "ip_local_port_range"}};
  std::string n = normalize(name);
  for (auto& [a, t] : kAliases)
    if (n == a) n = std::string(t);
  for (const Topic& t : all_topics())
    if (normalize(t.name) == n) return &t;
  return nullptr;
}

std::string render_topic(const Topic& t) {
  std::string out = fmt::format("{}: {}\n\n{}\n", t.name, t.title, t.text);
  if (!t.sources.empty()) {
    out += "\nSources:\n";
    for (auto s : t.sources) out += fmt::format("  - {}\n", s);
  }
  return out;
}

std::string render_topic_list() {
  std::string out = "Topics (timewait explain TOPIC):\n";
  for (const Topic& t : all_topics()) out += fmt::format("  {:<24} {}\n", t.name, t.title);
  return out;
}

}  // namespace tw
