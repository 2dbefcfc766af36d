// SPDX-License-Identifier: Apache-2.0
// A whole node read at once (`--all-netns`): every namespace's facts read inside it (the live
// input's own facts path), then one walk of the host's shared TCP table for every namespace that
// shares it (sources/tcp_iter.h read_tcp_all_netns), each socket handed to its namespace's
// receiver by nsfs inode; a namespace with a table of its own (tcp_child_ehash_entries) is read
// apart, by the live input in it. Where the walk cannot run (not built, --source netlink or proc,
// an old kernel, no permission) every namespace is read apart, and the report says so.
//
// Source names (StreamReport::source of each namespace, NodeReport::source of the node; in
// --json, census headers and the exporter's timewait_census_source_info):
//   kNodeSourceWalk     "bpf:all-netns"  read by the one walk of the shared table
//   kNodeSourcePerNetns "per-netns"      (the node) one read per namespace: each namespace
//                                        then says its own source ("netlink", "proc", "bpf")
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/host_facts.h"
#include "model/result.h"
#include "sources/input.h"
#include "sources/live_sockets.h"
#include "sources/tcp_iter.h"

namespace tw {

inline constexpr const char* kNodeSourceWalk = "bpf:all-netns";
inline constexpr const char* kNodeSourcePerNetns = "per-netns";

// Told a namespace's facts (read inside it, before its first socket), the caller says where its
// sockets go, or fails: that namespace is then left out with the error. Called on a thread that
// is in the namespace; calls for different namespaces may run at the same time (a few threads).
using NodeOpenFn = std::function<Result<SocketReceiver*>(size_t index, const HostFacts& facts)>;

struct NodeMemberReport {
  std::string error;       // not read (entering, facts, the caller's open, the read); "" when read
  HostFacts facts;         // as read in the namespace; facts.source is where its sockets came from
  StreamReport read;       // source kNodeSourceWalk, or the namespace's own read
  uint64_t inode = 0;      // nsfs inode of the namespace (0 when it could not be found)
  bool own_table = false;  // a table of its own (tcp_child_ehash_entries): read apart
  // Reading it: its facts and its own read; the walk's namespaces share the walk's time too.
  double seconds = 0;
};

struct NodeReport {
  std::string source;     // kNodeSourceWalk when the walk read the shared table, else per-netns
  bool one_walk = false;  // the namespaces sharing the host's table were read by one walk
  std::string note;       // why every namespace was read apart; "" when the walk ran
  std::vector<NodeMemberReport> members;  // in target order
};

// The walk, injectable so tests can play a kernel whose walk fails or is interrupted.
using NodeWalkFn =
    std::function<DumpResult(StateMask, const NetnsSocketSink&, const AllNetnsOptions&)>;

// Moves the calling thread into a target's namespace and says the namespace's nsfs inode. Null:
// /run/netns/NAME or /proc/PID/ns/net (a target with neither: the thread's own). The exporter
// passes its own: the host's files under --path.procfs/--path.rootfs, and the check that the
// namespace is still the one it discovered (exporter/netns_labels.h).
using NodeEnterFn = std::function<Result<uint64_t>(const InputTarget&)>;

// Reads every target. The calling thread's namespace decides which table the walk reads (the
// caller stays where it is; namespaces are entered on threads of their own). kBpf: the walk (or,
// where it cannot run, the bpf source in each namespace); kNetlink and kProc: one read per
// namespace; kAuto: the walk when two targets or more share the caller's table, else as kAuto
// per namespace. An interrupted walk restarts every receiver it fed. Failures are per namespace.
NodeReport read_node(const std::vector<InputTarget>& targets, SourceKind kind, StateMask mask,
                     const NodeOpenFn& open, const NodeWalkFn& walk = read_tcp_all_netns,
                     const NodeEnterFn& enter = {});

}  // namespace tw
