// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the kernel side of `timewait trace` (trace.bpf.c) and its loader (src/trace/) share: the
 * streamed event, the in-kernel aggregation keys and the configuration. Plain C, fixed layout. */
#ifndef TIMEWAIT_TRACE_EVENTS_H
#define TIMEWAIT_TRACE_EVENTS_H

#if defined(_WIN32)
/* The Windows build shares the summary types but never loads the tracer; mingw has no
 * <linux/types.h>. */
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int32_t __s32;
#elif !defined(__VMLINUX_H__)
#include <linux/types.h>
#endif

#define TW_COMM_LEN 16

enum tw_event_kind {
  TW_EV_STATE = 1,          /* a TCP state transition (sock:inet_sock_set_state) */
  TW_EV_CONNECT_FAILED = 2, /* connect() returned an error (sys_exit_connect) */
  TW_EV_BIND_CONNECT = 3,   /* connect() on a socket that already holds a local port */
  TW_EV_BIND_FAILED = 4,    /* bind() returned an error (sys_exit_bind) */
};

/* Which call a failure count is of (tw_fail_key.call). */
enum tw_call {
  TW_CALL_CONNECT = 0,
  TW_CALL_BIND = 1,
};

/* Which end of the connection the socket is: known from how it was opened while tracing. */
enum tw_role {
  TW_ROLE_UNKNOWN = 0, /* opened before the tracer started */
  TW_ROLE_CLIENT = 1,  /* connect(): CLOSE -> SYN_SENT */
  TW_ROLE_SERVER = 2,  /* accepted: -> SYN_RECV */
};

/* Counters the kernel side keeps in a per-CPU array, indexed by this. */
enum tw_stat {
  TW_STAT_LOST_EVENTS = 0,  /* ring buffer full: an event was not delivered */
  TW_STAT_LOST_KEYS = 1,    /* a summary map was full: a count was not kept */
  TW_STAT_LOST_SOCKETS = 2, /* the socket-owner map was full: an owner was not remembered */
  TW_STAT_COUNT = 3,
};

/* One streamed event. Addresses in network order (IPv4 in the first 4 bytes), ports in host
 * order. pid/comm: the process the event is attributed to, 0/"" when none is known. */
struct tw_event {
  __u64 ts_ns; /* bpf_ktime_get_ns() */
  __u64 skaddr;
  __u32 pid;
  __s32 err; /* TW_EV_CONNECT_FAILED, TW_EV_BIND_FAILED: errno (positive) */
  __u8 kind;
  __u8 family;
  __u8 oldstate;
  __u8 newstate;
  __u8 role;
  __u8 attributed_here; /* 1: the pid is the caller's, taken at this transition */
  __u16 sport;
  __u16 dport;
  __u16 pad;
  __u8 saddr[16];
  __u8 daddr[16];
  char comm[TW_COMM_LEN];
  __u32 pad2;
  __u64 cgroup_id; /* the process's cgroup v2 id (bpf_get_current_cgroup_id), 0 when unknown */
};

/* The --summary aggregation key: a process and the tuple it works on. Clients: local address,
 * remote address, remote port (lport 0). Servers: local address and port, remote address (rport
 * 0). Unknown role: both ports. */
struct tw_flow_key {
  __u32 pid;
  char comm[TW_COMM_LEN];
  __u8 family;
  __u8 role;
  __u16 lport;
  __u16 rport;
  __u16 pad;
  __u8 laddr[16];
  __u8 raddr[16];
  __u32 pad2;
  __u64 cgroup_id; /* the process's cgroup v2 id: names its pod and container */
};

struct tw_flow_counts {
  __u64 connects;       /* connect() that reached ESTABLISHED */
  __u64 active_closes;  /* ESTABLISHED -> FIN_WAIT1 by this process: it owns the TIME_WAIT */
  __u64 passive_closes; /* CLOSE_WAIT -> LAST_ACK by this process: the peer closed first */
  __u64 bind_connects;  /* connect() on a socket bound to a port beforehand */
};

/* Failed connects, per process, tuple and errno; failed binds (call TW_CALL_BIND) per process,
 * address and requested port (0: any) with rport 0. */
struct tw_fail_key {
  struct tw_flow_key flow;
  __s32 err;
  __u32 call; /* enum tw_call */
};

#endif
