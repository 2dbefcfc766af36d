// SPDX-License-Identifier: Apache-2.0
// Builds the doctor's input in one pass over the sockets: each socket feeds every census the
// rules need (different groupings) and the CLOSE_WAIT inode list, so live and offline inputs are
// read once and memory follows groups, not sockets.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "census/census.h"
#include "doctor/doctor_input.h"
#include "model/socket.h"
#include "sources/input.h"

namespace tw {

class DoctorCollector final : public SocketReceiver {
 public:
  explicit DoctorCollector(std::optional<PortPool> pool, bool pool_assumed = false);

  void add(const Socket& s) override;
  // An interrupted live dump starts over: forget everything counted.
  void restart() override;

  // The input for the rules; the collector must outlive it. Owners of CLOSE_WAIT sockets are
  // filled from the sockets' pids (dumps) and, when `look_up_owners`, from /proc/PID/fd.
  DoctorInput input(HostFacts facts, bool look_up_owners);

 private:
  void fill_server_peers(DoctorInput* in) const;
  template <class Key>
  std::map<Key, std::vector<ProcessRef>> owners(const std::map<Key, std::set<uint64_t>>& inodes,
                                                std::map<Key, std::map<int, int64_t>> pids,
                                                size_t inode_count, bool look_up_owners,
                                                bool* known) const;
  std::optional<PortPool> pool_;
  bool pool_assumed_;
  std::unique_ptr<Census> sockets_, by_local_port_;
  // CLOSE_WAIT sockets by local port: their inodes (live) and pids (dumps), bounded.
  std::map<uint16_t, std::set<uint64_t>> close_wait_inodes_;
  std::map<uint16_t, std::map<int, int64_t>> close_wait_pids_;
  std::map<int, std::string> dump_names_;  // pid -> command, as a snapshot recorded it
  size_t inode_count_ = 0;
  // TIME_WAIT sockets by (local port, peer address), bounded: input() keeps the listening ports.
  struct PeerKeyHash {
    size_t operator()(const std::pair<uint16_t, Address>& k) const {
      return AddressHash{}(k.second) * 31 + k.first;
    }
  };
  std::unordered_map<std::pair<uint16_t, Address>, int64_t, PeerKeyHash> time_wait_peers_;
  // Sockets holding pool ports (not TIME_WAIT: those have no owner), by local address: their
  // inodes (live) and pids (dumps), bounded; whose application snippet a fix may show.
  std::map<Address, std::set<uint64_t>> outbound_inodes_;
  std::map<Address, std::map<int, int64_t>> outbound_pids_;
  size_t outbound_inode_count_ = 0;
};

}  // namespace tw
