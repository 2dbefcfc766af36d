// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel side of `timewait trace`: TCP state transitions (sock:inet_sock_set_state) attributed
 * to the process that caused them, failed connects and bind-before-connect (sys_enter_connect /
 * sys_exit_connect). Streams events to a ring buffer, or (cfg_summary) counts them in maps.
 *
 * Attribution: the tracepoint reports whoever is on the CPU, which in softirq is unrelated (bcc
 * PR #2305). Only these transitions run in the caller's context and take the current process:
 * CLOSE -> SYN_SENT (connect), ESTABLISHED -> FIN_WAIT1 (active close: that process owns the
 * TIME_WAIT), CLOSE_WAIT -> LAST_ACK (passive close) and CLOSE -> LISTEN (listen). Every other
 * transition is attributed through the owner remembered for the socket address at those moments,
 * or to nobody. */
/* vmlinux.h first: the libbpf headers use its types. */
// clang-format off
#include "vmlinux.h"
// clang-format on
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "trace_events.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EINPROGRESS 115
#define S_IFMT 00170000
#define S_IFSOCK 0140000
/* TCP states: vmlinux.h has them (enum with TCP_ESTABLISHED = 1, ...). */

/* Set by the loader before load (read-only data: the verifier prunes what is off). */
const volatile __u32 cfg_netns = 0; /* network namespace inode; 0 = all */
const volatile __u32 cfg_pid = 0;   /* 0 = all */
const volatile __u8 cfg_has_comm = 0;
const volatile char cfg_comm[TW_COMM_LEN] = {};
const volatile __u16 cfg_dport = 0;  /* 0 = all */
const volatile __u32 cfg_states = 0; /* streamed transitions: bit (1 << new state); 0 = all */
const volatile __u8 cfg_summary = 0; /* 1: count in maps, stream nothing */
const volatile __u32 cfg_wakeup_bytes = 65536;
/* 1: only the processes of one pod (trace --pod of a hostNetwork pod): their cgroup v2 ids in
 * pod_cgroups, and their pids in pod_pids for those whose cgroup is not in the v2 hierarchy. */
const volatile __u8 cfg_pod_filter = 0;

/* Who a socket belongs to, by socket address, from the moments the owner is known. */
struct owner {
  __u32 pid;
  __u8 role;
  __u8 pad[3];
  char comm[TW_COMM_LEN];
  __u64 cgroup_id;
};

/* A connect() or bind() in progress on one thread, from sys_enter to sys_exit. */
struct pending {
  struct tw_flow_key flow;
  __u16 bound_port; /* local port held before connect() (bind-before-connect); 0 = none */
  __u16 call;       /* enum tw_call */
  __u16 pad[2];
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, struct owner);
} owners SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, struct pending);
} pendings SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct tw_flow_key);
  __type(value, struct tw_flow_counts);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct tw_fail_key);
  __type(value, __u64);
} fails SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u64);
  __type(value, __u8);
} pod_cgroups SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u8);
} pod_pids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TW_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

static __always_inline void count_stat(__u32 which) {
  __u64* v = bpf_map_lookup_elem(&stats, &which);
  if (v) (*v)++;
}

static __always_inline bool netns_ok(const struct sock* sk) {
  if (!cfg_netns) return true;
  return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) == cfg_netns;
}

static __always_inline bool process_ok(__u32 pid, const char* comm, __u64 cgroup_id) {
  if (cfg_pid && pid != cfg_pid) return false;
  if (cfg_pod_filter && !bpf_map_lookup_elem(&pod_cgroups, &cgroup_id) &&
      !bpf_map_lookup_elem(&pod_pids, &pid))
    return false;
  if (cfg_has_comm) {
    for (int i = 0; i < TW_COMM_LEN; i++) {
      if (comm[i] != cfg_comm[i]) return false;
      if (!comm[i]) break;
    }
  }
  return true;
}

/* The address and port a connect() or bind() names (user memory): its family, AF_INET or
 * AF_INET6, with `addr` (4 or 16 bytes) and `port` filled; another family is returned untouched. */
static __always_inline __u16 read_user_sockaddr(const void* uaddr, __u8* addr, __u16* port) {
  __u16 family = 0;
  bpf_probe_read_user(&family, sizeof(family), uaddr);
  if (family == AF_INET) {
    struct sockaddr_in sin = {};
    bpf_probe_read_user(&sin, sizeof(sin), uaddr);
    __builtin_memcpy(addr, &sin.sin_addr, 4);
    *port = bpf_ntohs(sin.sin_port);
  } else if (family == AF_INET6) {
    struct sockaddr_in6 sin6 = {};
    bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
    __builtin_memcpy(addr, &sin6.sin6_addr, 16);
    *port = bpf_ntohs(sin6.sin6_port);
  }
  return family;
}

/* A connect() or bind() of a traced process: its pid and name, as the client side. */
static __always_inline bool client_call(struct pending* p, __u64 id) {
  p->flow.pid = id >> 32;
  bpf_get_current_comm(p->flow.comm, sizeof(p->flow.comm));
  p->flow.role = TW_ROLE_CLIENT;
  p->flow.cgroup_id = bpf_get_current_cgroup_id();
  return process_ok(p->flow.pid, p->flow.comm, p->flow.cgroup_id);
}

static __always_inline void* find_counts(void* map, const void* key, const void* zero) {
  void* v = bpf_map_lookup_elem(map, key);
  if (v) return v;
  if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key)) {
    count_stat(TW_STAT_LOST_KEYS);
    return NULL;
  }
  return bpf_map_lookup_elem(map, key);
}

static __always_inline struct tw_flow_counts* flow_counts(const struct tw_flow_key* key) {
  static const struct tw_flow_counts zero = {};
  return find_counts(&flows, key, &zero);
}

/* Wake the reader only once a batch has piled up; it also polls on a timer. */
static __always_inline void submit(struct tw_event* e) {
  __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  bpf_ringbuf_submit(e, avail >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline struct tw_event* reserve(void) {
  struct tw_event* e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    count_stat(TW_STAT_LOST_EVENTS);
    return NULL;
  }
  __builtin_memset(e, 0, sizeof(*e));
  e->ts_ns = bpf_ktime_get_ns();
  return e;
}

/* The socket behind a file descriptor of the calling process, or NULL. */
static __always_inline struct sock* sock_of_fd(int fd) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* f = NULL;
  bpf_core_read(&f, sizeof(f), &fds[fd]);
  if (!f) return NULL;
  if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK) return NULL;
  struct socket* sock = BPF_CORE_READ(f, private_data);
  return BPF_CORE_READ(sock, sk);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int tw_enter_connect(struct trace_event_raw_sys_enter* ctx) {
  struct sock* sk = sock_of_fd((int)ctx->args[0]);
  if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return 0;
  /* Only a fresh connect: a repeated call on a socket already connecting is not an attempt. */
  if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_CLOSE) return 0;
  if (!netns_ok(sk)) return 0;

  struct pending p = {};
  __u64 id = bpf_get_current_pid_tgid();
  if (!client_call(&p, id)) return 0;

  __u16 family = read_user_sockaddr((const void*)ctx->args[1], p.flow.raddr, &p.flow.rport);
  if (family == AF_INET) {
    __u32 bound = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __builtin_memcpy(p.flow.laddr, &bound, 4);
  } else if (family == AF_INET6) {
    BPF_CORE_READ_INTO(&p.flow.laddr, sk, __sk_common.skc_v6_rcv_saddr);
  } else {
    return 0;
  }
  p.flow.family = family;
  if (cfg_dport && p.flow.rport != cfg_dport) return 0;
  /* Without IP_BIND_ADDRESS_NO_PORT, bind() took a port already: one pool per source address. */
  p.bound_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  bpf_map_update_elem(&pendings, &id, &p, BPF_ANY);
  return 0;
}

static __always_inline void stream_connect(const struct pending* p, __u8 kind, __s32 err) {
  struct tw_event* e = reserve();
  if (!e) return;
  e->kind = kind;
  e->err = err;
  e->pid = p->flow.pid;
  e->attributed_here = 1;
  e->role = TW_ROLE_CLIENT;
  e->family = p->flow.family;
  e->sport = p->bound_port;
  e->dport = p->flow.rport;
  __builtin_memcpy(e->saddr, p->flow.laddr, 16);
  __builtin_memcpy(e->daddr, p->flow.raddr, 16);
  __builtin_memcpy(e->comm, p->flow.comm, TW_COMM_LEN);
  e->cgroup_id = p->flow.cgroup_id;
  submit(e);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tw_exit_connect(struct trace_event_raw_sys_exit* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  struct pending* p = bpf_map_lookup_elem(&pendings, &id);
  if (!p || p->call != TW_CALL_CONNECT) return 0;
  long ret = ctx->ret;
  bool failed = ret < 0 && ret != -EINPROGRESS;
  if (cfg_summary) {
    if (p->bound_port) {
      struct tw_flow_counts* c = flow_counts(&p->flow);
      if (c) __sync_fetch_and_add(&c->bind_connects, 1);
    }
    if (failed) {
      struct tw_fail_key k = {};
      k.flow = p->flow;
      k.err = (__s32)-ret;
      static const __u64 zero = 0;
      __u64* n = find_counts(&fails, &k, &zero);
      if (n) __sync_fetch_and_add(n, 1);
    }
  } else {
    if (p->bound_port) stream_connect(p, TW_EV_BIND_CONNECT, 0);
    if (failed) stream_connect(p, TW_EV_CONNECT_FAILED, (__s32)-ret);
  }
  bpf_map_delete_elem(&pendings, &id);
  return 0;
}

/* bind() on a TCP socket: its address and requested port, so a failure (EADDRINUSE when no port
 * of the address is free, EADDRNOTAVAIL) is counted per process and address as connect()'s. */
SEC("tracepoint/syscalls/sys_enter_bind")
int tw_enter_bind(struct trace_event_raw_sys_enter* ctx) {
  struct sock* sk = sock_of_fd((int)ctx->args[0]);
  if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return 0;
  if (!netns_ok(sk)) return 0;
  struct pending p = {};
  __u64 id = bpf_get_current_pid_tgid();
  if (!client_call(&p, id)) return 0;
  p.call = TW_CALL_BIND;
  __u16 family = read_user_sockaddr((const void*)ctx->args[1], p.flow.laddr, &p.flow.lport);
  if (family != AF_INET && family != AF_INET6) return 0;
  p.flow.family = family;
  bpf_map_update_elem(&pendings, &id, &p, BPF_ANY);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int tw_exit_bind(struct trace_event_raw_sys_exit* ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  struct pending* p = bpf_map_lookup_elem(&pendings, &id);
  if (!p) return 0;
  long ret = ctx->ret;
  if (ret < 0 && p->call == TW_CALL_BIND) {
    if (cfg_summary) {
      struct tw_fail_key k = {};
      k.flow = p->flow;
      k.err = (__s32)-ret;
      k.call = TW_CALL_BIND;
      static const __u64 zero = 0;
      __u64* n = find_counts(&fails, &k, &zero);
      if (n) __sync_fetch_and_add(n, 1);
    } else {
      struct tw_event* e = reserve();
      if (e) {
        e->kind = TW_EV_BIND_FAILED;
        e->err = (__s32)-ret;
        e->pid = p->flow.pid;
        e->attributed_here = 1;
        e->role = TW_ROLE_CLIENT;
        e->family = p->flow.family;
        e->sport = p->flow.lport;
        __builtin_memcpy(e->saddr, p->flow.laddr, 16);
        __builtin_memcpy(e->comm, p->flow.comm, TW_COMM_LEN);
        e->cgroup_id = p->flow.cgroup_id;
        submit(e);
      }
    }
  }
  bpf_map_delete_elem(&pendings, &id);
  return 0;
}

/* The tracepoint's addresses; the verifier forbids copying from an offset context pointer, so
 * they are read like kernel memory (as libbpf-tools' tcpstates does). */
static __always_inline void ctx_addrs(const struct trace_event_raw_inet_sock_set_state* ctx,
                                      __u8* local, __u8* remote) {
  if (ctx->family == AF_INET) {
    if (local) bpf_probe_read_kernel(local, 4, ctx->saddr);
    if (remote) bpf_probe_read_kernel(remote, 4, ctx->daddr);
  } else {
    if (local) bpf_probe_read_kernel(local, 16, ctx->saddr_v6);
    if (remote) bpf_probe_read_kernel(remote, 16, ctx->daddr_v6);
  }
}

/* The summary key of a socket for its owner and role, from the tracepoint's tuple. */
static __always_inline void flow_key(struct tw_flow_key* k, const struct owner* o,
                                     const struct trace_event_raw_inet_sock_set_state* ctx) {
  k->pid = o->pid;
  __builtin_memcpy(k->comm, o->comm, TW_COMM_LEN);
  k->family = ctx->family;
  k->role = o->role;
  k->cgroup_id = o->cgroup_id;
  ctx_addrs(ctx, k->laddr, k->raddr);
  if (o->role != TW_ROLE_SERVER) k->rport = ctx->dport;
  if (o->role != TW_ROLE_CLIENT) k->lport = ctx->sport;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tw_set_state(struct trace_event_raw_inet_sock_set_state* ctx) {
  if (ctx->protocol != IPPROTO_TCP) return 0;
  const struct sock* sk = ctx->skaddr;
  if (!netns_ok(sk)) return 0;
  __u64 skaddr = (__u64)sk;
  int old = ctx->oldstate, new = ctx->newstate;

  struct owner o = {};
  struct owner* known = bpf_map_lookup_elem(&owners, &skaddr);
  if (known) o = *known;
  bool here = (old == TCP_CLOSE && new == TCP_SYN_SENT) ||
              (old == TCP_CLOSE && new == TCP_LISTEN) ||
              (old == TCP_ESTABLISHED && new == TCP_FIN_WAIT1) ||
              (old == TCP_CLOSE_WAIT && new == TCP_LAST_ACK);
  if (here) {
    o.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(o.comm, sizeof(o.comm));
    o.cgroup_id = bpf_get_current_cgroup_id();
  }
  if (old == TCP_CLOSE && new == TCP_SYN_SENT) {
    o.role = TW_ROLE_CLIENT;
    /* connect() has chosen the source address by now (not yet the port). */
    __u64 id = bpf_get_current_pid_tgid();
    struct pending* p = bpf_map_lookup_elem(&pendings, &id);
    if (p) ctx_addrs(ctx, p->flow.laddr, NULL);
  } else if (new == TCP_SYN_RECV) {
    o.role = TW_ROLE_SERVER;
  }
  if (new == TCP_CLOSE) {
    if (known) bpf_map_delete_elem(&owners, &skaddr);
  } else if (here || new == TCP_SYN_RECV) {
    if (bpf_map_update_elem(&owners, &skaddr, &o, BPF_ANY)) count_stat(TW_STAT_LOST_SOCKETS);
  }

  if (!o.pid && (cfg_pid || cfg_has_comm || cfg_pod_filter)) return 0;
  if (!process_ok(o.pid, o.comm, o.cgroup_id)) return 0;
  if (cfg_dport && ctx->dport != cfg_dport &&
      !(o.role == TW_ROLE_SERVER && ctx->sport == cfg_dport))
    return 0;

  if (cfg_summary) {
    if (!o.pid) return 0;
    struct tw_flow_key k = {};
    flow_key(&k, &o, ctx);
    struct tw_flow_counts* c = NULL;
    if (old == TCP_SYN_SENT && new == TCP_ESTABLISHED && o.role == TW_ROLE_CLIENT) {
      if ((c = flow_counts(&k))) __sync_fetch_and_add(&c->connects, 1);
    } else if (old == TCP_ESTABLISHED && new == TCP_FIN_WAIT1) {
      if ((c = flow_counts(&k))) __sync_fetch_and_add(&c->active_closes, 1);
    } else if (old == TCP_CLOSE_WAIT && new == TCP_LAST_ACK) {
      if ((c = flow_counts(&k))) __sync_fetch_and_add(&c->passive_closes, 1);
    }
    return 0;
  }

  if (cfg_states && !(cfg_states & (1u << new))) return 0;
  struct tw_event* e = reserve();
  if (!e) return 0;
  e->kind = TW_EV_STATE;
  e->skaddr = skaddr;
  e->pid = o.pid;
  __builtin_memcpy(e->comm, o.comm, TW_COMM_LEN);
  e->cgroup_id = o.cgroup_id;
  e->attributed_here = here;
  e->role = o.role;
  e->family = ctx->family;
  e->oldstate = old;
  e->newstate = new;
  e->sport = ctx->sport;
  e->dport = ctx->dport;
  ctx_addrs(ctx, e->saddr, e->daddr);
  submit(e);
  return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
