// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel side of the `bpf` census source: a BPF iterator over the TCP socket table of the
 * network namespace that created it (SEC("iter/tcp"), Linux 5.9), full sockets, TIME_WAIT
 * mini-sockets and request sockets alike. Each socket in a wanted state is written as one
 * fixed-size record: about a third of what inet_diag fills and copies per socket, with no
 * netlink framing, and with what only the kernel knows (whether tcp_tw_reuse could take a
 * TIME_WAIT's port now). Aggregation stays in user space (census/Census), so every grouping and
 * every front end gets the same numbers from any source. */
// clang-format off
#include "vmlinux.h"
// clang-format on
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tcp_iter_record.h"

#define AF_INET 2
#define AF_INET6 10

/* Set by the reader before load. */
const volatile __u32 cfg_states = 0xffffffff; /* reported states: bit (1 << state) */
const volatile __u32 cfg_reuse_delay_ms = 1000; /* tcp_tw_reuse_delay of the namespace */

/* Jiffies to milliseconds: the kernel's HZ, from its config (libbpf reads /proc/config.gz or
 * /boot/config-*). 0 when unknown: timers are then not reported and the reader falls back. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/* Records written, for the reader's consistency check. A record that does not fit the seq_file
 * buffer fails (-EOVERFLOW) and the kernel shows the same socket again in the next read, so only
 * successful writes count. */
__u64 written = 0;

/* The clock, read once at the first socket: a census is one moment, and reading it per socket
 * is a helper call per socket. Ages and reuse are then as of the walk's start, at most the
 * walk's duration (~0.5 s at 1M sockets) early: a TIME_WAIT that becomes reusable meanwhile shows
 * as not yet, never the other way. */
__u64 now_jiffies = 0;
__u32 now_ms = 0, now_s = 0;
bool now_read = false;

static __always_inline void read_clock(void) {
  if (now_read) return;
  __u64 ns = bpf_ktime_get_ns();
  now_jiffies = bpf_jiffies64();
  now_ms = (__u32)(ns / 1000000);
  now_s = (__u32)(ns / 1000000000);
  now_read = true;
}

static __always_inline __s32 jiffies_to_ms(__s64 delta) {
  if (!CONFIG_HZ) return -1;
  if (delta < 0) delta = 0;
  return (__s32)(delta * 1000 / CONFIG_HZ);
}

static __always_inline void fill_addrs(struct tw_iter_sock *r, const struct sock_common *c) {
  r->family = c->skc_family;
  r->lport = c->skc_num;
  r->rport = bpf_ntohs(c->skc_dport);
  if (r->family == AF_INET6) {
    BPF_CORE_READ_INTO(&r->laddr, c, skc_v6_rcv_saddr);
    BPF_CORE_READ_INTO(&r->raddr, c, skc_v6_daddr);
  } else {
    __u32 l = c->skc_rcv_saddr, d = c->skc_daddr;
    __builtin_memcpy(r->laddr, &l, 4);
    __builtin_memcpy(r->raddr, &d, 4);
  }
}

/* Whether tcp_tw_reuse, where it applies, could give this TIME_WAIT's port to a new connect()
 * now (tcp_twsk_unique): the connection used timestamps, and since 6.14 the socket has been in
 * TIME_WAIT longer than tcp_tw_reuse_delay (tw_entry_stamp, ms of tcp_clock_ms()); before, the
 * last timestamp must be over a second old (tw_ts_recent_stamp, seconds). */
static __always_inline __u8 reuse_flags(const struct tcp_timewait_sock *ttw) {
  __s32 stamp = BPF_CORE_READ(ttw, tw_ts_recent_stamp);
  if (!stamp) return 0;
  __u8 f = TW_ITER_TS;
  const struct inet_timewait_sock *tw = &ttw->tw_sk;
  if (bpf_core_field_exists(tw->tw_entry_stamp)) {
    __u32 entry = BPF_CORE_READ(tw, tw_entry_stamp);
    if ((__s32)(entry + cfg_reuse_delay_ms - now_ms) < 0) f |= TW_ITER_REUSABLE;
  } else {
    if ((__s32)((__u32)stamp - now_s) < 0) f |= TW_ITER_REUSABLE;
  }
  return f;
}

static __always_inline long inode_of(const struct sock *sk) {
  const struct socket *so = BPF_CORE_READ(sk, sk_socket);
  if (!so) return 0;
  const struct inode *ino = &container_of(so, struct socket_alloc, socket)->vfs_inode;
  return BPF_CORE_READ(ino, i_ino);
}

SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx) {
  struct sock_common *c = ctx->sk_common;
  if (!c) return 0;
  read_clock();
  struct tw_iter_sock r = {};
  __u8 state = c->skc_state;
  r.timer_ms = -1;
  r.uid = ctx->uid;
  /* The state filter comes first: a socket not asked for costs the walk and nothing more. */
  if (state == TCP_TIME_WAIT) {
    struct tcp_timewait_sock *ttw = bpf_skc_to_tcp_timewait_sock(c);
    if (!ttw) return 0;
    state = ttw->tw_sk.tw_substate;
    if (state >= 32 || !(cfg_states & (1u << state))) return 0;
    r.flags = TW_ITER_MINI;
    if (state == TCP_TIME_WAIT) r.flags |= reuse_flags(ttw);
    r.timer_ms = jiffies_to_ms((__s64)(ttw->tw_sk.tw_timer.expires - now_jiffies));
    r.uid = 0;
  } else if (state == TCP_NEW_SYN_RECV) {
    if (!(cfg_states & (1u << TCP_SYN_RECV))) return 0;
    struct tcp_request_sock *req = bpf_skc_to_tcp_request_sock(c);
    if (!req) return 0;
    state = TCP_SYN_RECV;
    r.timer_ms = jiffies_to_ms((__s64)(req->req.req.rsk_timer.expires - now_jiffies));
    r.uid = 0;
  } else {
    if (state >= 32 || !(cfg_states & (1u << state))) return 0;
    struct tcp_sock *tp = bpf_skc_to_tcp_sock(c);
    if (!tp) return 0;
    r.inode = inode_of(&tp->inet_conn.icsk_inet.sk);
  }
  r.state = state;
  fill_addrs(&r, c);
  if (bpf_seq_write(ctx->meta->seq, &r, sizeof(r)) == 0) __sync_fetch_and_add(&written, 1);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
