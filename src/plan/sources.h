// SPDX-License-Identifier: Apache-2.0
// Where the planner's numbers come from: one sentence per fact, quoted in its output next to the
// number it supports, so a user can check every figure. Each names its origin in the project's
// kernel facts (FACTS.md), an RFC, or a lab scenario that measured it.
#pragma once

namespace tw::plan {

inline constexpr const char* kSrcLinuxTimeWait =
    "Linux TIME_WAIT lasts TCP_TIMEWAIT_LEN = 60 s, fixed at compile time; no sysctl changes it "
    "(tcp_fin_timeout governs orphaned FIN_WAIT2)";
inline constexpr const char* kSrcWindowsTimeWait =
    "Windows TcpTimedWaitDelay: 120 s by default since Server 2003 (range 0-300), 240 s on "
    "Windows 2000 (range 30-300); the value in force is what counts";
inline constexpr const char* kSrcTwoMsl =
    "RFC 793 holds TIME_WAIT for 2 MSL and RFC 1122 sets MSL to 2 minutes: 240 s; use "
    "--time-wait for a system whose value differs";
inline constexpr const char* kSrcLinuxRange =
    "Linux ip_local_port_range defaults to 32768-60999 (28,232 ports); ip_local_reserved_ports "
    "are taken out of it";
inline constexpr const char* kSrcWindowsRange =
    "Windows Vista and later: dynamic port range 49152-65535 (16,384 ports), netsh int ipv4 "
    "show dynamicport tcp";
inline constexpr const char* kSrcOtherRange =
    "RFC 6335 dynamic port range 49152-65535 (16,384 ports), assumed for other systems";
inline constexpr const char* kSrcTuple =
    "one (source IP, destination IP, destination port) tuple sustains usable ports / TIME_WAIT "
    "new connections per second without reuse (28,232 / 60 s = 470/s with Linux's default "
    "range); measured by `timewait lab run churn`";
inline constexpr const char* kSrcActiveCloser =
    "the side that closes first holds TIME_WAIT (RFC 793); measured by `timewait lab run "
    "who-closes`";
inline constexpr const char* kSrcServerCloses =
    "when the server closes first the client's port is free at once; a SYN for a 4-tuple the "
    "server holds in TIME_WAIT is accepted when its sequence number or timestamp is newer "
    "(RFC 6191, tcp_timewait_state_process)";
inline constexpr const char* kSrcTwReuse =
    "tcp_tw_reuse=1 lets an outgoing connect() take a TIME_WAIT's port once it is older than "
    "tcp_tw_reuse_delay (default 1000 ms, Linux 6.14; fixed 1 s before), and only with TCP "
    "timestamps; it does nothing for the side that accepts; 2 (the default) is loopback only; "
    "measured by `timewait lab run churn`";
inline constexpr const char* kSrcBindNoPort =
    "bind(addr, 0) before connect() reserves a port for that address alone: one pool per source "
    "address across all destinations; IP_BIND_ADDRESS_NO_PORT (Linux 4.2) delays the choice to "
    "connect() so a port serves several destinations (envoy #44747); measured by `timewait lab "
    "run bind-before-connect`";
inline constexpr const char* kSrcSourceAddrs =
    "each source address brings its own ports toward a destination: N addresses carry N times "
    "the connections (Bernat 2014: more quadruplets); measured by `timewait lab run "
    "source-addresses` and `nat-lb`";
inline constexpr const char* kSrcTracedDemand =
    "the demand is every connect() attempt toward the tuple: those that reached ESTABLISHED and "
    "those that failed, counted in the kernel by `timewait trace` (sys_enter/exit_connect, "
    "sock:inet_sock_set_state) over its duration; a connect() that fails with EADDRNOTAVAIL "
    "leaves no TIME_WAIT and no kernel counter counts it, so a snapshot of an exhausted pool "
    "shows only what the pool let through";
inline constexpr const char* kSrcKeepalive =
    "a persistent connection serves many requests and leaves one TIME_WAIT; measured by "
    "`timewait lab run keepalive` and `nginx-proxy` (625x fewer upstream connections)";
inline constexpr const char* kSrcWiderRange =
    "a wider ip_local_port_range that keeps every port of today's (never a narrower pool), with "
    "listening ports reserved in the same change (the doctor's range proposal)";
inline constexpr const char* kSrcMemory =
    "a TIME_WAIT socket is a tcp_timewait_sock (~168 B) in slab tw_sock_TCP, whose objects are "
    "256 B on Linux 6.18 (/proc/slabinfo), plus a bind bucket per port";
inline constexpr const char* kSrcMaxTwBuckets =
    "past tcp_max_tw_buckets a closing socket gets no TIME_WAIT and TCPTimeWaitOverflow grows";
inline constexpr const char* kSrcLinuxSnat =
    "a Linux SNAT (nftables/conntrack) shares its port range per (NAT address, destination) "
    "among every client behind it and never runs out: it evicts a closed conntrack entry for a "
    "new connection (nf_nat_used_tuple_harder). Behind it a server that closes first meets "
    "reused 4-tuples in TIME_WAIT; RFC 6191 takes a SYN with a newer timestamp, PAWS drops about "
    "half (unrelated clocks), the backend's ACK draws the client's RST, which ends the TIME_WAIT "
    "unless tcp_rfc1337=1, and the SYN is resent at once: retransmitted, rarely delayed 1 s, not "
    "failed (measured by `timewait lab run nat-lb`, from the backend's PAWSTimewait)";
inline constexpr const char* kSrcAws =
    "AWS NAT gateway: 55,000 simultaneous connections per unique destination (ip, port, "
    "protocol); beyond it ErrorPortAllocation grows";
inline constexpr const char* kSrcAzure =
    "Azure NAT gateway: 64,512 SNAT ports per public IP, 50,000 concurrent connections per IP to "
    "one destination";
inline constexpr const char* kSrcGcp =
    "GCP Cloud NAT: minimum ports per VM defaults to 64; its own TCP TIME_WAIT timeout defaults "
    "to 120 s";
inline constexpr const char* kSrcNatHoldAssumed =
    "assumed: FACTS.md documents no time this NAT keeps a closed connection's port, so the "
    "planner holds it for the closer's TIME_WAIT; set nat_hold in the input file to override";

}  // namespace tw::plan
