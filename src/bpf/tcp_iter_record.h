// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
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
  TW_ITER_AGE = 8,      /* TIME_WAIT with timestamps, all-netns walk: age_ms holds its age and the
                         * reader decides TW_ITER_REUSABLE with the namespace's tcp_tw_reuse_delay
                         * (one walk crosses namespaces whose delays differ) */
};

/* One socket. Addresses in network order (IPv4 in the first 4 bytes, the rest zero), ports in
 * host order. timer_ms: milliseconds left on a mini-socket's or request's timer, -1 otherwise.
 * netns: the socket's namespace's nsfs inode (net->ns.inum) in the all-netns walk, 0 otherwise.
 * age_ms: with TW_ITER_AGE, milliseconds since the socket entered TIME_WAIT (tw_entry_stamp).
 * 64 bytes. */
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
  __u32 netns;
  __s32 age_ms;
};

/* The hash walk (tcp_walk.bpf.c): records per call, tables, and what a call says. */
#define TW_WALK_BATCH 8192
#define TW_WALK_SLOTS 4  /* concurrent walkers */
#define TW_WALK_READ 256 /* bytes of each socket copied at once (a power of two) */
#define TW_WALK_MAX_CHAIN 4096
#define TW_WALK_CHUNK 64 /* bucket heads read at once */
#define TW_WALK_MAX_BUCKETS (1 << 23)
#define TW_WALK_MAX_STEPS (1 << 16) /* buckets + sockets per call: ~10-20 ms */
#define TW_WALK_LISTENING_NULLS_BASE \
  (1u << 29) /* LISTENING_NULLS_BASE, include/net/inet_hashtables.h */

/* Namespaces remembered per walker and call: 2^12 (1,000 namespaces of 1,000 sockets read 437,715
 * namespaces a walk with 256 entries, ~23,000 with 4,096; see tcp_walk.bpf.c's netns_of). */
#define TW_WALK_NET_CACHE_BITS 12
#define TW_WALK_NET_CACHE (1u << TW_WALK_NET_CACHE_BITS)

enum tw_walk_table { TW_WALK_LISTENING = 0, TW_WALK_ESTABLISHED = 1 };

enum tw_walk_status {
  TW_WALK_OK = 0,              /* `next` says where to go on */
  TW_WALK_UNSTABLE = 1,        /* a socket or the bucket heads could not be read */
  TW_WALK_BUCKET_TOO_LONG = 2, /* a bucket holds more sockets than a batch, or than a chain walk */
  TW_WALK_NO_TABLE = 3,        /* the namespace has no TCP hash table pointer */
  TW_WALK_AGAIN = 4,           /* the bucket at `next` changed while read: call again from it */
};

/* A namespace seen by the all-netns walk: its nsfs inode, and whether its established table is
 * the walked one. Valid for the call that wrote it (gen): a struct net is freed only after an RCU
 * grace period, and a call is one RCU read section, so within it an address is one namespace. */
struct tw_walk_net {
  __u64 net;
  __u32 inum;
  __u16 ours;
  __u16 pad;
  __u32 gen;
  __u32 pad2;
};

/* One walker's call: what it asks (in) and what it gets (out). */
struct tw_walk_slot {
  __u32 table;     /* in: enum tw_walk_table */
  __u32 first;     /* in: first bucket */
  __u32 end;       /* in: end of its range (exclusive; beyond the table = to its end) */
  __u32 buckets;   /* out: buckets of the table */
  __u32 next;      /* out: where the next call goes on; >= end when the range is done */
  __u32 status;    /* out: enum tw_walk_status */
  __u32 len;       /* out: records in out[] */
  __u32 steps;     /* buckets and sockets visited by this call (kept here, not on the stack:
                    * the verifier then need not follow every count apart) */
  __u32 gen;       /* calls made on this slot: tags the namespace cache */
  __u32 net_reads; /* namespaces read by this call (cache misses of the all-netns walk) */
  struct tw_walk_net nets[TW_WALK_NET_CACHE];
  __u64 heads[TW_WALK_CHUNK]; /* scratch: a chunk of bucket heads */
  struct tw_iter_sock out[TW_WALK_BATCH];
};

#endif
