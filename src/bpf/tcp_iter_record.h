/* What the socket-table iterator (tcp_iter.bpf.c) and its reader (src/sources/tcp_iter_bpf.cc)
 * share: one fixed-size record per socket and the configuration. Plain C, fixed layout. */
#ifndef TIMEWAIT_TCP_ITER_RECORD_H
#define TIMEWAIT_TCP_ITER_RECORD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum tw_iter_flag {
  TW_ITER_MINI = 1,     /* a TIME_WAIT mini-socket (state is its tw_substate) */
  TW_ITER_TS = 2,       /* TIME_WAIT: the connection used TCP timestamps (tw_ts_recent_stamp) */
  TW_ITER_REUSABLE = 4, /* TIME_WAIT: tcp_tw_reuse, where it applies, could take its port now */
};

/* One socket. Addresses in network order (IPv4 in the first 4 bytes, the rest zero), ports in
 * host order. timer_ms: milliseconds left on a mini-socket's or request's timer, -1 otherwise. */
struct tw_iter_sock {
  __u8 family;
  __u8 state; /* TCP_NEW_SYN_RECV is reported as TCP_SYN_RECV, as inet_diag does */
  __u8 flags;
  __u8 pad;
  __u16 lport;
  __u16 rport;
  __s32 timer_ms;
  __u32 uid;
  __u64 inode;
  __u8 laddr[16];
  __u8 raddr[16];
};

#endif
