// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The fast path of the `bpf` census source: walks the TCP hash tables of the calling thread's
 * network namespace (listening, then established with TIME_WAIT and request sockets) the way the
 * kernel's own lookups do, under RCU and without locks, and writes the same records as the
 * socket-table iterator (tcp_iter.bpf.c) into a batch in .bss that the reader maps.
 *
 * Why not the iterator alone: on Linux 6.18, at 1M TIME_WAIT, iter/tcp running an empty program
 * costs as much as a whole inet_diag dump (it takes a reference on every socket, runs a seq_file
 * step per socket and re-finds its place by cookie after each batch), while the bare walk costs a
 * third of it. A raw_tp program run by BPF_PROG_TEST_RUN runs under rcu_read_lock(): sockets,
 * TIME_WAIT and request sockets come from SLAB_TYPESAFE_BY_RCU caches, so what the walk reads is
 * a socket, maybe reused; hlist_nulls says when a chain was left for another (the nulls value at
 * its end is not this bucket's), and the bucket is then read again from its start (its records
 * dropped). A bucket that keeps moving, or one longer than the batch, makes the reader fall back:
 * never a wrong count.
 *
 * One call (BPF_PROG_TEST_RUN, ctx[0] = a slot) walks the slot's buckets from `first` until `end`
 * or until its batch cannot hold the next bucket whole, and says where to go on (`next`). Calls on
 * different slots run at once, on different CPUs: the reader splits the table between them. */
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
const volatile __u32 cfg_states = 0xffffffff;   /* reported states: bit (1 << state) */
const volatile __u32 cfg_reuse_delay_ms = 1000; /* tcp_tw_reuse_delay of the namespace */
/* 0: the calling thread's namespace alone. 1: every namespace whose established table is the
 * calling thread's (`--all-netns`): no filter on skc_net, each record tagged with its namespace's
 * inode, listeners (lhash2 is one table for every namespace, also those with an ehash of their
 * own: inet_pernet_hashinfo_alloc copies the lhash2 pointer) kept only for those namespaces. */
const volatile __u32 cfg_all_netns = 0;
/* 0: read every socket's namespace (bench/all_netns measures what the cache saves). */
const volatile __u32 cfg_net_cache = 1;

extern unsigned int CONFIG_HZ __kconfig __weak;

/* One per concurrent caller; see tw_walk_slot. */
struct tw_walk_slot slots[TW_WALK_SLOTS] = {};

struct walk_state {
  struct hlist_nulls_head* heads; /* ehash[i].chain or lhash2[i].nulls_head, stride apart */
  __u64 stride;
  __u32 nulls_base; /* the nulls value ending bucket i is nulls_base + i */
  struct net* net;
  struct inet_hashinfo* hi; /* the walked table */
  __u32 gen;                /* this call's tag in the slot's namespace cache */
  __u32 slot;
  __u32 end;
  int bulk;          /* the heads are an array of bare pointers (read a chunk of them at once) */
  __u64 now_jiffies; /* the clock, read once per call: see tcp_iter.bpf.c */
  __u32 now_ms, now_s;
  /* per bucket */
  __u32 len;                   /* the batch's length as the bucket is being read */
  struct hlist_nulls_node* at; /* the chain position */
  int full;                    /* the batch cannot hold this bucket */
  int bad;                     /* a socket on the chain could not be read */
};

static __always_inline __s32 jiffies_to_ms(__s64 delta) {
  if (!CONFIG_HZ) return -1;
  if (delta < 0) delta = 0;
  return (__s32)(delta * 1000 / CONFIG_HZ);
}

/* Each socket is read with two copies instead of a helper call per field (at 1M sockets the
 * per-field reads cost more than the walk): first what every socket needs (its sock_common up to
 * the chain link: two cache lines), then, for a TIME_WAIT or request socket in a wanted state, the
 * rest up to the last field used. Fields are taken from the copy at the kernel's own offsets
 * (CO-RE relocated, so constants after load); a field that lies beyond TW_WALK_READ is read on
 * its own. */
#define OFF(type, field) bpf_core_field_offset(type, field)
#define IN_COPY(type, field) (OFF(type, field) + bpf_core_field_size(type, field) <= TW_WALK_READ)
#define COPIED(ctype, type, field) (*(ctype*)(buf + (OFF(type, field) & (TW_WALK_READ - 1))))
#define END(type, field) (OFF(type, field) + bpf_core_field_size(type, field))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* Bytes of the first copy: the sock_common fields read for every socket. */
#define HEAD_LEN                                                                               \
  MAX(MAX(END(struct sock_common, skc_nulls_node), END(struct sock_common, skc_v6_rcv_saddr)), \
      MAX(END(struct sock_common, skc_v6_daddr), END(struct sock_common, skc_net)))
/* Bytes of a TIME_WAIT or request socket's second copy, both copies together. */
#define TW_LEN                                                                                    \
  MAX(MAX(END(struct inet_timewait_sock, tw_substate), END(struct inet_timewait_sock, tw_timer)), \
      MAX(END(struct inet_timewait_sock, tw_entry_stamp),                                         \
          END(struct tcp_timewait_sock, tw_ts_recent_stamp)))
#define REQ_LEN END(struct request_sock, rsk_timer)

/* Copies bytes [from, to) of the socket at c into buf, at most TW_WALK_READ; 0 on success. */
static __always_inline long copy_more(__u8* buf, const void* c, __u32 from, __u32 to) {
  if (to > TW_WALK_READ) to = TW_WALK_READ;
  if (from >= to || from >= TW_WALK_READ) return 0;
  return bpf_probe_read_kernel(buf + from, to - from, c + from);
}

/* As tcp_iter.bpf.c's reuse_flags (tcp_twsk_unique), from the copy where it holds the fields. */
static __always_inline __u8 reuse_flags(struct tcp_timewait_sock* ttw, const __u8* buf,
                                        const struct walk_state* w, struct tw_iter_sock* r) {
  __s32 stamp = IN_COPY(struct tcp_timewait_sock, tw_ts_recent_stamp)
                    ? COPIED(__s32, struct tcp_timewait_sock, tw_ts_recent_stamp)
                    : BPF_CORE_READ(ttw, tw_ts_recent_stamp);
  if (!stamp) return 0;
  __u8 f = TW_ITER_TS;
  struct inet_timewait_sock* tw = &ttw->tw_sk;
  if (bpf_core_field_exists(tw->tw_entry_stamp)) {
    __u32 entry = IN_COPY(struct inet_timewait_sock, tw_entry_stamp)
                      ? COPIED(__u32, struct inet_timewait_sock, tw_entry_stamp)
                      : BPF_CORE_READ(tw, tw_entry_stamp);
    if (cfg_all_netns) {
      /* tcp_twsk_unique: time_after32(now, entry + delay) <=> (s32)(now - entry) > delay */
      r->age_ms = (__s32)(w->now_ms - entry);
      f |= TW_ITER_AGE;
    } else if ((__s32)(entry + cfg_reuse_delay_ms - w->now_ms) < 0) {
      f |= TW_ITER_REUSABLE;
    }
  } else {
    if ((__s32)((__u32)stamp - w->now_s) < 0) f |= TW_ITER_REUSABLE;
  }
  return f;
}

/* All-netns walk: whether the namespace at `net` uses the walked established table, and its
 * inode. Sockets of one namespace come in runs (a chain, a listener bucket), but the table mixes
 * them all: a cache per walker and call spares two probe reads per socket. Measured in
 * bench/all_netns: 100 namespaces, 1,012,065 sockets: 12,522 namespaces read a walk instead of
 * 1,012,322, the kernel side's CPU 16 % less (0.435 s against 0.519); 1,000 namespaces of 1,000
 * sockets: 163,302 instead of 1,001,270, 9 % less (a call ends every 8,192 records, and its
 * cache with it: an address is one namespace only within an RCU read section). */
static __always_inline int netns_of(struct net* net, const struct walk_state* w, __u32* inum) {
  __u32 slot = w->slot;
  if (slot >= TW_WALK_SLOTS) return 0;
  struct tw_walk_slot* o = &slots[slot];
  __u32 h = (__u32)(((__u64)net * 0x9E3779B97F4A7C15ull) >> (64 - TW_WALK_NET_CACHE_BITS)) &
            (TW_WALK_NET_CACHE - 1);
  struct tw_walk_net* e = &o->nets[h];
  if (cfg_net_cache && e->net == (__u64)net && e->gen == w->gen) {
    *inum = e->inum;
    return e->ours;
  }
  o->net_reads++;
  struct inet_hashinfo* hi = BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
  e->inum = BPF_CORE_READ(net, ns.inum);
  e->ours = hi == w->hi;
  e->net = (__u64)net;
  e->gen = w->gen;
  *inum = e->inum;
  return e->ours;
}

/* Fills r from the socket at c, whose first HEAD_LEN bytes are copied in buf; 0 when it is not
 * reported (another namespace, a state not asked for), -1 when it could not be read. */
static __always_inline int fill(struct sock_common* c, __u8* buf, struct tw_iter_sock* r,
                                const struct walk_state* w) {
  struct net* net = COPIED(struct net*, struct sock_common, skc_net);
  if (cfg_all_netns) {
    __u32 inum = 0;
    if (!netns_of(net, w, &inum)) return 0;
    r->netns = inum;
  } else {
    if (net != w->net) return 0;
    r->netns = 0;
  }
  __u8 state = COPIED(__u8, struct sock_common, skc_state);
  r->age_ms = 0;
  r->timer_ms = -1;
  r->uid = 0;
  r->inode = 0;
  r->flags = 0;
  if (state == TCP_TIME_WAIT) {
    struct tcp_timewait_sock* ttw = (void*)c;
    if (!(cfg_states & (1u << TCP_TIME_WAIT | 1u << TCP_FIN_WAIT2))) return 0;
    if (copy_more(buf, c, HEAD_LEN, TW_LEN)) return -1;
    if (IN_COPY(struct inet_timewait_sock, tw_substate))
      state = COPIED(__u8, struct inet_timewait_sock, tw_substate);
    else
      state = BPF_CORE_READ(ttw, tw_sk.tw_substate);
    if (state >= 32 || !(cfg_states & (1u << state))) return 0;
    r->flags = TW_ITER_MINI;
    if (state == TCP_TIME_WAIT) r->flags |= reuse_flags(ttw, buf, w, r);
    unsigned long expires = IN_COPY(struct inet_timewait_sock, tw_timer)
                                ? COPIED(unsigned long, struct inet_timewait_sock, tw_timer.expires)
                                : BPF_CORE_READ(ttw, tw_sk.tw_timer.expires);
    r->timer_ms = jiffies_to_ms((__s64)(expires - w->now_jiffies));
  } else if (state == TCP_NEW_SYN_RECV) {
    if (!(cfg_states & (1u << TCP_SYN_RECV))) return 0;
    if (copy_more(buf, c, HEAD_LEN, REQ_LEN)) return -1;
    struct request_sock* req = (void*)c;
    state = TCP_SYN_RECV;
    unsigned long expires = IN_COPY(struct request_sock, rsk_timer)
                                ? COPIED(unsigned long, struct request_sock, rsk_timer.expires)
                                : BPF_CORE_READ(req, rsk_timer.expires);
    r->timer_ms = jiffies_to_ms((__s64)(expires - w->now_jiffies));
  } else {
    if (state >= 32 || !(cfg_states & (1u << state))) return 0;
    struct sock* sk = (void*)c;
    r->uid = BPF_CORE_READ(sk, sk_uid.val);
    struct socket* so = BPF_CORE_READ(sk, sk_socket);
    if (so) {
      struct socket_alloc* sa = container_of(so, struct socket_alloc, socket);
      r->inode = BPF_CORE_READ(sa, vfs_inode.i_ino);
    }
  }
  r->state = state;
  r->family = COPIED(unsigned short, struct sock_common, skc_family);
  r->lport = COPIED(__u16, struct sock_common, skc_num);
  r->rport = bpf_ntohs(COPIED(__u16, struct sock_common, skc_dport));
  if (r->family == AF_INET6) {
    __builtin_memcpy(r->laddr, buf + (OFF(struct sock_common, skc_v6_rcv_saddr) & 0x7f), 16);
    __builtin_memcpy(r->raddr, buf + (OFF(struct sock_common, skc_v6_daddr) & 0x7f), 16);
  } else {
    __u32 l = COPIED(__u32, struct sock_common, skc_rcv_saddr);
    __u32 d = COPIED(__u32, struct sock_common, skc_daddr);
    __builtin_memset(r->laddr, 0, sizeof r->laddr);
    __builtin_memset(r->raddr, 0, sizeof r->raddr);
    __builtin_memcpy(r->laddr, &l, 4);
    __builtin_memcpy(r->raddr, &d, 4);
  }
  return 1;
}

/* One socket of the chain; 1 ends the chain (its end reached, or the batch full). */
static long chain_step(__u32 i, void* ctx) {
  struct walk_state* w = ctx;
  /* Locals, not w->...: CO-RE relocates whole expressions, and walk_state is not the kernel's. */
  struct hlist_nulls_node* at = w->at;
  if ((unsigned long)at & 1) return 1;
  __u32 k = w->len;
  if (k >= TW_WALK_BATCH) {
    w->full = 1;
    return 1;
  }
  struct sock_common* c = container_of(at, struct sock_common, skc_nulls_node);
  __u8 buf[TW_WALK_READ];
  if (HEAD_LEN > TW_WALK_READ || bpf_probe_read_kernel(buf, HEAD_LEN, c)) {
    w->bad = 1;
    return 1;
  }
  __u32 slot = w->slot;
  if (slot >= TW_WALK_SLOTS) return 1;
  slots[slot].steps++;
  int filled = fill(c, buf, &slots[slot].out[k], w);
  if (filled < 0) {
    w->bad = 1;
    return 1;
  }
  if (filled) w->len = k + 1;
  w->at = COPIED(struct hlist_nulls_node*, struct sock_common, skc_nulls_node.next);
  return 0;
}

/* One bucket; 1 stops the call (its range done, batch full, or a status to report). */
static long bucket_step(__u32 i, void* ctx) {
  struct walk_state* w = ctx;
  __u32 slot = w->slot;
  if (slot >= TW_WALK_SLOTS) return 1;
  struct tw_walk_slot* o = &slots[slot];
  __u32 b = o->first + i;
  if (b >= w->end) return 1;
  /* A call holds the RCU read lock: it ends after so much work, whatever it found (the table may
   * be mostly other namespaces' sockets or empty buckets), and the reader calls again. */
  if (o->steps >= TW_WALK_MAX_STEPS) return 1;
  o->steps++;
  /* Where the table is an array of bare heads (the established one), they are read a chunk at a
   * time: most buckets are empty, and one copy per bucket cost more than the rest of the walk
   * of an empty table. heads[k] is bucket b; a chunk starts at the call's first bucket. */
  __u32 k = i % TW_WALK_CHUNK;
  if (w->bulk && k == 0) {
    __u32 n = w->end - b;
    if (n > TW_WALK_CHUNK) n = TW_WALK_CHUNK;
    if (bpf_probe_read_kernel(o->heads, (n * sizeof(__u64)) & (2 * TW_WALK_CHUNK * 8 - 1),
                              (void*)w->heads + (__u64)b * sizeof(__u64))) {
      o->status = TW_WALK_UNSTABLE;
      return 1;
    }
  }
  struct hlist_nulls_head* h = (void*)w->heads + (__u64)b * w->stride;
  if (w->bulk)
    w->at = (void*)o->heads[k];
  else
    w->at = BPF_CORE_READ(h, first);
  w->len = o->len;
  w->full = 0;
  w->bad = 0;
  /* A chain is a few sockets on average (sockets / buckets); TW_WALK_MAX_CHAIN bounds the loop,
   * and a chain that long is reported, not cut. */
  bpf_loop(TW_WALK_MAX_CHAIN, chain_step, w, 0);
  if (w->bad) {
    o->status = TW_WALK_UNSTABLE;
    return 1;
  }
  if (w->full) {
    if (o->len == 0) o->status = TW_WALK_BUCKET_TOO_LONG;
    return 1; /* next stays at b: the next call starts it with an empty batch */
  }
  if (!((unsigned long)w->at & 1)) {
    o->status = TW_WALK_BUCKET_TOO_LONG;
    return 1;
  }
  if (((unsigned long)w->at >> 1) != w->nulls_base + b) {
    /* The chain led into another bucket (a socket on it was freed and reused meanwhile): its
     * records are dropped, and the reader calls again from this bucket. */
    o->status = TW_WALK_AGAIN;
    return 1;
  }
  o->len = w->len;
  o->next = b + 1;
  return 0;
}

SEC("raw_tp")
int walk_tcp(__u64* ctx) {
  __u32 slot = ctx[0];
  if (slot >= TW_WALK_SLOTS) return 1;
  struct tw_walk_slot* o = &slots[slot];
  struct task_struct* task = (void*)bpf_get_current_task();
  struct net* net = BPF_CORE_READ(task, nsproxy, net_ns);
  struct inet_hashinfo* hi = BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo);
  struct walk_state w = {.net = net, .hi = hi, .slot = slot, .gen = ++o->gen};
  o->len = 0;
  o->steps = 0;
  o->net_reads = 0;
  o->next = o->first;
  if (!hi) {
    o->status = TW_WALK_NO_TABLE;
    return 0;
  }
  if (o->table == TW_WALK_LISTENING) {
    struct inet_listen_hashbucket* lb = BPF_CORE_READ(hi, lhash2);
    w.heads = (void*)lb + bpf_core_field_offset(struct inet_listen_hashbucket, nulls_head);
    w.stride = bpf_core_type_size(struct inet_listen_hashbucket);
    w.nulls_base = TW_WALK_LISTENING_NULLS_BASE;
    o->buckets = BPF_CORE_READ(hi, lhash2_mask) + 1;
  } else {
    struct inet_ehash_bucket* eb = BPF_CORE_READ(hi, ehash);
    w.heads = (void*)eb + bpf_core_field_offset(struct inet_ehash_bucket, chain);
    w.stride = bpf_core_type_size(struct inet_ehash_bucket);
    w.nulls_base = 0;
    o->buckets = BPF_CORE_READ(hi, ehash_mask) + 1;
  }
  w.end = o->end < o->buckets ? o->end : o->buckets;
  __u64 ns = bpf_ktime_get_ns();
  w.now_jiffies = bpf_jiffies64();
  w.now_ms = (__u32)(ns / 1000000);
  w.now_s = (__u32)(ns / 1000000000);
  o->status = TW_WALK_OK;
  w.bulk = w.stride == sizeof(__u64);
  bpf_loop(TW_WALK_MAX_BUCKETS, bucket_step, &w, 0);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
