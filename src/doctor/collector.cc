// SPDX-License-Identifier: Apache-2.0
#include "doctor/collector.h"

#include <algorithm>

#include "sources/socket_owners.h"

namespace tw {

namespace {
// Enough inodes to name the owners of a CLOSE_WAIT leak without growing with the leak.
constexpr size_t kMaxInodes = 100000;
// (port, peer) pairs of TIME_WAIT sockets kept to find the peers behind a server's TIME_WAITs; a
// NAT shows as few pairs with many sockets, which a bound that drops only the long tail keeps.
constexpr size_t kMaxPeerPairs = 65536;
// Peers listed in DoctorInput::server_time_wait_peers.
constexpr size_t kTopPeers = 5;
// Enough to name who holds a pool's ports (a few processes) without growing with the pool.
constexpr size_t kMaxOutboundInodes = 20000;
}  // namespace

DoctorCollector::DoctorCollector(std::optional<PortPool> pool, bool pool_assumed)
    : pool_(std::move(pool)), pool_assumed_(pool_assumed) {
  restart();
}

void DoctorCollector::restart() {
  CensusOptions all;
  all.pool = pool_;
  sockets_ = std::make_unique<Census>(all);
  CensusOptions ports;
  ports.by = GroupBy::kLocalPort;
  by_local_port_ = std::make_unique<Census>(ports);
  close_wait_inodes_.clear();
  close_wait_pids_.clear();
  dump_names_.clear();
  inode_count_ = 0;
  time_wait_peers_.clear();
  outbound_inodes_.clear();
  outbound_pids_.clear();
  outbound_inode_count_ = 0;
}

void DoctorCollector::add(const Socket& s) {
  sockets_->add(s);
  by_local_port_->add(s);
  if (s.state == TcpState::kTimeWait) {
    auto key = std::pair{s.local.port, s.remote.addr};
    if (auto it = time_wait_peers_.find(key); it != time_wait_peers_.end())
      ++it->second;
    else if (time_wait_peers_.size() < kMaxPeerPairs)
      time_wait_peers_.emplace(key, 1);
  }
  if (pool_ && s.state != TcpState::kTimeWait && s.state != TcpState::kListen &&
      pool_->contains(s.local.port) && !s.local.is_named()) {
    const Address a = s.local.addr.unmapped_v4();
    if (s.pid > 0) {
      auto& n = outbound_pids_[a][s.pid];
      if (!n && !s.command.empty()) dump_names_.emplace(s.pid, s.command);
      ++n;
    }
    if (s.inode && outbound_inode_count_ < kMaxOutboundInodes &&
        outbound_inodes_[a].insert(s.inode).second)
      ++outbound_inode_count_;
  }
  if (s.state != TcpState::kCloseWait) return;
  if (s.pid > 0) {
    auto& n = close_wait_pids_[s.local.port][s.pid];
    // A snapshot names the process (saved on its own machine); the first name seen is kept.
    if (!n && !s.command.empty()) dump_names_.emplace(s.pid, s.command);
    ++n;
  }
  if (s.inode && inode_count_ < kMaxInodes &&
      close_wait_inodes_[s.local.port].insert(s.inode).second)
    ++inode_count_;
}

void DoctorCollector::fill_server_peers(DoctorInput* in) const {
  // The total from the census (exact, whatever the bound dropped): the peers' shares stay true.
  std::set<uint16_t> listening;
  for (const GroupRow& row : by_local_port_->groups())
    if (row.counts[state_index(TcpState::kListen)]) {
      listening.insert(row.key.local.port);
      in->server_time_wait_total += row.counts[state_index(TcpState::kTimeWait)];
    }
  std::map<Address, int64_t> by_peer;
  for (const auto& [key, n] : time_wait_peers_)
    if (listening.contains(key.first)) by_peer[key.second] += n;
  for (const auto& [peer, n] : by_peer) in->server_time_wait_peers.push_back({peer, n});
  in->server_time_wait_peer_count = static_cast<int64_t>(by_peer.size());
  auto& v = in->server_time_wait_peers;
  const size_t keep = std::min(v.size(), kTopPeers);
  std::partial_sort(
      v.begin(), v.begin() + keep, v.end(), [](const PeerTimeWait& a, const PeerTimeWait& b) {
        return a.time_wait != b.time_wait ? a.time_wait > b.time_wait : a.peer < b.peer;
      });
  v.resize(keep);
}

// Who holds the sockets kept by `key` (a local port, a local address), most sockets first: the
// pids a dump recorded, or, looking up this machine's /proc, the owners of their inodes. A dump's
// pids belong to another machine: only processes of this one are named.
template <class Key>
std::map<Key, std::vector<ProcessRef>> DoctorCollector::owners(
    const std::map<Key, std::set<uint64_t>>& inodes, std::map<Key, std::map<int, int64_t>> pids,
    size_t inode_count, bool look_up_owners, bool* known) const {
  *known = !pids.empty();
  if (look_up_owners && inode_count) {
    std::set<uint64_t> all;
    for (auto& [key, set] : inodes) all.insert(set.begin(), set.end());
    auto owner = pids_of_inodes(all);
    for (auto& [key, set] : inodes)
      for (uint64_t i : set)
        if (auto it = owner.find(i); it != owner.end()) pids[key][it->second]++;
    *known = true;
  }
  std::map<Key, std::vector<ProcessRef>> out;
  for (auto& [key, by_pid] : pids) {
    auto& list = out[key];
    for (auto& [pid, n] : by_pid) {
      auto saved = dump_names_.find(pid);
      list.push_back({pid,
                      look_up_owners               ? process_name(pid)
                      : saved != dump_names_.end() ? saved->second
                                                   : "",
                      n});
    }
    std::sort(list.begin(), list.end(),
              [](const ProcessRef& a, const ProcessRef& b) { return a.sockets > b.sockets; });
  }
  return out;
}

DoctorInput DoctorCollector::input(HostFacts facts, bool look_up_owners) {
  DoctorInput in;
  in.facts = std::move(facts);
  in.sockets = sockets_.get();
  in.by_local_port = by_local_port_.get();
  in.pool = pool_;
  in.pool_assumed = pool_assumed_;
  fill_server_peers(&in);
  in.close_wait_owners =
      owners(close_wait_inodes_, close_wait_pids_, inode_count_, look_up_owners, &in.owners_known);
  in.outbound_owners = owners(outbound_inodes_, outbound_pids_, outbound_inode_count_,
                              look_up_owners, &in.outbound_owners_known);
  return in;
}

}  // namespace tw
