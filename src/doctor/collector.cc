// SPDX-License-Identifier: Apache-2.0
#include "doctor/collector.h"

#include <algorithm>

#include "doctor/socket_owners.h"

namespace tw {

namespace {
// Enough inodes to name the owners of a CLOSE_WAIT leak without growing with the leak.
constexpr size_t kMaxInodes = 100000;
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
}

void DoctorCollector::add(const Socket& s) {
  sockets_->add(s);
  by_local_port_->add(s);
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

DoctorInput DoctorCollector::input(HostFacts facts, bool look_up_owners) {
  DoctorInput in;
  in.facts = std::move(facts);
  in.sockets = sockets_.get();
  in.by_local_port = by_local_port_.get();
  in.pool = pool_;
  in.pool_assumed = pool_assumed_;
  auto pids = close_wait_pids_;
  in.owners_known = !pids.empty();
  if (look_up_owners && inode_count_) {
    std::set<uint64_t> all;
    for (auto& [port, inodes] : close_wait_inodes_) all.insert(inodes.begin(), inodes.end());
    auto owner = pids_of_inodes(all);
    for (auto& [port, inodes] : close_wait_inodes_)
      for (uint64_t i : inodes)
        if (auto it = owner.find(i); it != owner.end()) pids[port][it->second]++;
    in.owners_known = true;
  }
  for (auto& [port, by_pid] : pids) {
    auto& list = in.close_wait_owners[port];
    // A dump's pids belong to another machine: only name processes of this one.
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
  return in;
}

}  // namespace tw
