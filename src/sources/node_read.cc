// SPDX-License-Identifier: Apache-2.0
#include "sources/node_read.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <memory>
#include <thread>
#include <unordered_map>

#include "sources/host_reader.h"
#include "sources/live_input.h"
#include "sources/netns.h"

namespace tw {

namespace {

// net.ipv4.tcp_ehash_entries of the calling thread's namespace: negative when the namespace
// shares the host's established table, positive for the initial namespace and for one made with
// tcp_child_ehash_entries set (its own table); none before Linux 6.1, where every namespace
// shares the host's.
std::optional<int64_t> ehash_entries() {
  auto v = read_sysctl("net.ipv4.tcp_ehash_entries");
  if (!v) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc()) return std::nullopt;
  return n;
}

// Which table a namespace's sockets are hashed in, named by the inode of the namespace that owns
// it: the host's (initial namespace's) unless the namespace has its own.
uint64_t table_of(uint64_t inode, std::optional<int64_t> ehash, uint64_t host_inode) {
  return !ehash || *ehash < 0 ? host_inode : inode;
}

uint32_t reuse_delay_of(const HostFacts& f) {
  auto v = f.sysctl_int("net.ipv4.tcp_tw_reuse_delay");
  return v && *v >= 0 && *v <= UINT32_MAX ? static_cast<uint32_t>(*v) : 1000;
}

// Runs fn(i) for each of `indexes`, each on a thread of its own (it may enter a namespace:
// setns() moves only that thread, which ends with it; a target without a namespace reads the
// thread's own, so a thread never serves two), a few at a time: the dumps of the namespaces read
// apart each walk the whole table, CPU-bound. An exception becomes that namespace's error.
void each_on_own_thread(const std::vector<size_t>& indexes, NodeReport& node,
                        const std::vector<InputTarget>& targets,
                        const std::function<void(size_t)>& fn) {
  const size_t at_once = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  for (size_t from = 0; from < indexes.size(); from += at_once) {
    std::vector<std::thread> batch;
    for (size_t k = from; k < indexes.size() && k < from + at_once; ++k)
      batch.emplace_back([&, i = indexes[k]] {
        try {
          fn(i);
        } catch (const std::exception& e) {
          node.members[i].error =
              fmt::format("reading {} failed: {}", targets[i].label(), e.what());
        }
      });
    for (auto& t : batch) t.join();
  }
}

// Adds the time from its making to its end to the namespace's.
class Timer {
 public:
  explicit Timer(NodeMemberReport& m) : m_(m), started_(std::chrono::steady_clock::now()) {}
  ~Timer() {
    m_.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  NodeMemberReport& m_;
  std::chrono::steady_clock::time_point started_;
};

// The namespace's own read, in it, into `to`.
void read_apart(NodeMemberReport& m, Input& input, SocketReceiver& to, StateMask mask) {
  auto r = input.stream(mask, to);
  if (!r) {
    m.error = r.error();
    return;
  }
  m.read = *r;
  m.facts.source = r->source;
}

// Target i's live input on this thread, entered through `enter` when given (the input then reads
// the thread's namespace, named as the target).
Result<std::unique_ptr<Input>> open_member(const InputTarget& target, SourceKind kind,
                                           const NodeEnterFn& enter, uint64_t& inode) {
  if (!enter) {
    if (auto ino = target_netns_inode(target)) inode = *ino;
    return open_live_input(target, kind);
  }
  auto ino = enter(target);
  if (!ino) return fail(ino.error());
  inode = *ino;
  return open_live_input(InputTarget{}, kind);
}

}  // namespace

NodeReport read_node(const std::vector<InputTarget>& targets, SourceKind kind, StateMask mask,
                     const NodeOpenFn& open, const NodeWalkFn& walk, const NodeEnterFn& enter) {
  NodeReport node;
  node.members.resize(targets.size());

  // The walk reads the table of the caller's namespace: the namespaces hashed in it.
  const auto caller_inode = netns_inode_of_self();
  const auto identity = netns_identity_of_self();
  const uint64_t host_inode = identity ? identity->host_inode : 0;
  const uint64_t caller_table =
      caller_inode ? table_of(*caller_inode, ehash_entries(), host_inode) : 0;
  std::string why_apart;
  if (kind == SourceKind::kNetlink || kind == SourceKind::kProc)
    why_apart = fmt::format("--source {} reads each namespace apart",
                            kind == SourceKind::kNetlink ? "netlink" : "proc");
  else if (!caller_inode)
    why_apart = fmt::format("{}; each namespace is read apart", caller_inode.error());

  // Facts first, each in its namespace; those that cannot share the walk are read there at once.
  std::vector<SocketReceiver*> receivers(targets.size(), nullptr);
  std::vector<char> walks(targets.size(), 0);
  std::vector<size_t> all(targets.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  each_on_own_thread(all, node, targets, [&](size_t i) {
    NodeMemberReport& m = node.members[i];
    const Timer timer(m);
    auto input = open_member(targets[i], kind, enter, m.inode);
    if (!input) {
      m.error = input.error();
      return;
    }
    auto facts = (*input)->facts();
    if (!facts) {
      m.error = facts.error();
      return;
    }
    m.facts = **facts;
    m.facts.netns = targets[i].label();
    m.own_table = table_of(m.inode, ehash_entries(), host_inode) != caller_table;
    auto to = open(i, m.facts);
    if (!to) {
      m.error = to.error();
      return;
    }
    receivers[i] = *to;
    if (!why_apart.empty() || m.own_table || !m.inode)
      read_apart(m, **input, **to, mask);
    else
      walks[i] = 1;
  });
  std::vector<size_t> pending;
  for (size_t i = 0; i < walks.size(); ++i)
    if (walks[i]) pending.push_back(i);

  if (why_apart.empty() && kind == SourceKind::kAuto && pending.size() < 2)
    why_apart = "fewer than two namespaces share the table: read apart";
  if (why_apart.empty() && !pending.empty()) {
    std::unordered_multimap<uint64_t, size_t> by_inode;
    std::unordered_map<uint64_t, uint32_t> delays;
    for (size_t i : pending) {
      by_inode.emplace(node.members[i].inode, i);
      delays[node.members[i].inode] = reuse_delay_of(node.members[i].facts);
    }
    std::vector<int64_t> counted(targets.size(), 0);
    auto restart_all = [&] {
      for (size_t i : pending) {
        receivers[i]->restart();
        counted[i] = 0;
      }
    };
    AllNetnsOptions o;
    o.reuse_delay_ms = [&delays](uint64_t inode) {
      auto it = delays.find(inode);
      return it == delays.end() ? 1000u : it->second;
    };
    o.restart = restart_all;
    const auto walk_started = std::chrono::steady_clock::now();
    DumpResult r = walk(
        mask,
        [&](uint64_t inode, const Socket& s) {
          // Namespaces made after the targets were found, and those read apart, are not ours.
          auto [a, b] = by_inode.equal_range(inode);
          for (auto it = a; it != b; ++it) {
            receivers[it->second]->add(s);
            ++counted[it->second];
          }
        },
        o);
    if (r.failure == DumpFailure::kNone) {
      node.source = kNodeSourceWalk;
      node.one_walk = true;
      const double walk_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - walk_started).count();
      for (size_t i : pending) {
        NodeMemberReport& m = node.members[i];
        m.seconds += walk_seconds;
        m.read = StreamReport{kNodeSourceWalk, "", counted[i], nullptr};
        m.facts.source = kNodeSourceWalk;
      }
      return node;
    }
    // Whatever the walk handed out is dropped: each namespace counts again from zero.
    restart_all();
    why_apart = fmt::format("{}; each namespace is read apart", r.message);
  }
  each_on_own_thread(pending, node, targets, [&](size_t i) {
    NodeMemberReport& m = node.members[i];
    const Timer timer(m);
    uint64_t inode = 0;
    auto input = open_member(targets[i], kind, enter, inode);
    if (!input) {
      m.error = input.error();
      return;
    }
    read_apart(m, **input, *receivers[i], mask);
  });
  node.source = kNodeSourcePerNetns;
  node.note = why_apart;
  return node;
}

}  // namespace tw
