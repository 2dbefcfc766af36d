// SPDX-License-Identifier: Apache-2.0
#include "census/census.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tw {

namespace {
constexpr std::pair<std::string_view, GroupBy> kGroupNames[] = {
    {"state", GroupBy::kState},          {"peer", GroupBy::kPeer},
    {"peer-port", GroupBy::kPeerPort},   {"local", GroupBy::kLocal},
    {"local-port", GroupBy::kLocalPort}, {"tuple", GroupBy::kTuple},
};

bool key_less(const GroupKey& a, const GroupKey& b) {
  return std::tie(a.local, a.remote) < std::tie(b.local, b.remote);
}

// Sorts by `first`, keeping only the first `top` rows when top > 0 (partial sort: a report shows
// 20 rows of what may be a million groups).
template <class Row, class Less>
void sort_top(std::vector<Row>* rows, size_t top, Less first) {
  if (top && top < rows->size()) {
    std::partial_sort(rows->begin(), rows->begin() + top, rows->end(), first);
    rows->resize(top);
  } else {
    std::sort(rows->begin(), rows->end(), first);
  }
}
}  // namespace

Result<GroupBy> parse_group_by(std::string_view name) {
  for (auto& [n, by] : kGroupNames)
    if (n == name) return by;
  return fail(fmt::format(
      "unknown grouping '{}'; use one of: state, peer, peer-port, local, local-port, tuple", name));
}

std::string_view group_by_name(GroupBy by) {
  for (auto& [n, b] : kGroupNames)
    if (b == by) return n;
  return "?";
}

std::vector<std::string_view> group_by_names() {
  std::vector<std::string_view> names;
  for (auto& [n, b] : kGroupNames) names.push_back(n);
  return names;
}

namespace {
// Ports as keys: the number, and above it the service name a dump without -n printed (0 if none).
inline uint32_t port_key(const Endpoint& e) { return e.port | uint32_t{e.port_name} << 16; }

inline size_t mix(const Address& local, const Address& remote, uint32_t lport, uint32_t rport) {
  uint64_t w[4];
  std::memcpy(w, local.bytes.data(), 16);
  std::memcpy(w + 2, remote.bytes.data(), 16);
  uint64_t h = (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
  h ^= (w[2] ^ (w[3] * 0xc4ceb9fe1a85ec53ULL)) + (uint64_t{lport} << 32) + rport;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}
}  // namespace

size_t GroupKeyHash::operator()(const GroupKey& k) const {
  return mix(k.local.addr, k.remote.addr, port_key(k.local), port_key(k.remote));
}

namespace {
// The fields of a socket that a grouping keeps; the others read as zero, as in group_key().
struct Fields {
  const Address& local;
  const Address& remote;
  uint32_t local_port, remote_port;  // port_key()
};
const Address kNoAddress{};
inline Fields fields_of(KeyOf k) {
  const Socket& s = *k.s;
  const bool local = k.by == GroupBy::kLocal || k.by == GroupBy::kTuple;
  const bool remote = k.by == GroupBy::kPeer || k.by == GroupBy::kTuple;
  return {local ? s.local.addr : kNoAddress, remote ? s.remote.addr : kNoAddress,
          k.by == GroupBy::kLocalPort ? port_key(s.local) : 0,
          k.by == GroupBy::kPeerPort || k.by == GroupBy::kTuple ? port_key(s.remote) : 0};
}
}  // namespace

size_t GroupKeyHash::operator()(KeyOf k) const {
  Fields f = fields_of(k);
  return mix(f.local, f.remote, f.local_port, f.remote_port);
}

bool GroupKeyEq::operator()(KeyOf a, const GroupKey& b) const {
  Fields f = fields_of(a);
  return port_key(b.local) == f.local_port && port_key(b.remote) == f.remote_port &&
         b.local.addr == f.local && b.remote.addr == f.remote;
}

GroupKey group_key(const Socket& s, GroupBy by) {
  GroupKey k;
  switch (by) {
    case GroupBy::kState:
      break;
    case GroupBy::kPeer:
      k.remote.addr = s.remote.addr;
      break;
    case GroupBy::kPeerPort:
      k.remote.port = s.remote.port;
      k.remote.port_name = s.remote.port_name;
      break;
    case GroupBy::kLocal:
      k.local.addr = s.local.addr;
      break;
    case GroupBy::kLocalPort:
      k.local.port = s.local.port;
      k.local.port_name = s.local.port_name;
      break;
    case GroupBy::kTuple:
      k.local.addr = s.local.addr;
      k.remote = s.remote;
      break;
  }
  return k;
}

std::string describe_key(const GroupKey& k, GroupBy by) {
  switch (by) {
    case GroupBy::kState:
      return "all";
    case GroupBy::kPeer:
      return k.remote.addr.to_string();
    case GroupBy::kPeerPort:
      return k.remote.port_string();
    case GroupBy::kLocal:
      return k.local.addr.to_string();
    case GroupBy::kLocalPort:
      return k.local.port_string();
    case GroupBy::kTuple:
      return fmt::format("{} -> {}", k.local.addr.to_string(), k.remote.to_string());
  }
  return "?";
}

Census::Census(CensusOptions options) : options_(std::move(options)) {
  if (!options_.pool || !options_.pool->split_parity) return;
  const PortPool& p = *options_.pool;
  for (uint32_t port = p.low; port <= p.high; ++port)
    if ((port & 1) != (p.low & 1) && p.contains(static_cast<uint16_t>(port)))
      bind_parity_[port] = true;
}

StateMask Census::source_states() const {
  return options_.pool
             ? options_.states | StateMask::of(TcpState::kListen) | StateMask::of(TcpState::kClose)
             : options_.states;
}

void Census::add(const Socket& s) {
  if (s.state == TcpState::kListen && !listening_[s.local.port]) {
    listening_[s.local.port] = true;
    if (options_.pool && options_.pool->contains(s.local.port)) {
      ++listening_in_pool_;
      if (wildcard_bound_[s.local.port]) --wildcard_bound_in_pool_;
    }
  }
  // A bound-only socket (bind() without listen() or connect()) holds its port as a bind bucket:
  // bind() on its address and connect() toward any destination skip it.
  if (options_.pool && s.state == TcpState::kClose && s.remote.port == 0 && s.local.port != 0 &&
      !s.local.is_named() && options_.pool->contains(s.local.port)) {
    const Address a = s.local.addr.unmapped_v4();
    if (a.is_unspecified()) {
      if (!wildcard_bound_[s.local.port] && !listening_[s.local.port]) ++wildcard_bound_in_pool_;
      wildcard_bound_[s.local.port] = true;
      ++bound_only_;
    } else {
      auto held = ports_held_.find(a);
      if (held == ports_held_.end() && ports_held_.size() < kMaxSourcePools)
        held = ports_held_.try_emplace(a).first;
      if (held != ports_held_.end()) {
        PortsHeld& h = held->second;
        h.once[s.local.port] = h.live[s.local.port] = h.bound[s.local.port] = true;
      }
      ++bound_only_;
    }
  }
  if (!options_.states.has(s.state)) return;
  int i = state_index(s.state);
  counts_[i]++;
  total_++;
  if (s.mini && s.state == TcpState::kFinWait2) fin_wait2_mini_++;
  if (s.state == TcpState::kTimeWait) {
    ages_.add(s.timer_ms);
    reuse_.add(s.reuse);
  }
  if (options_.by != GroupBy::kState) {
    auto it = groups_.find(KeyOf{&s, options_.by});
    if (it == groups_.end()) {
      GroupKey k = group_key(s, options_.by);
      it = groups_.emplace(k, GroupRow{.key = k}).first;
    }
    it->second.counts[i]++;
    it->second.total++;
    if (s.state == TcpState::kTimeWait) it->second.time_wait_ages.add(s.timer_ms);
  }
  // Port pressure: an outbound socket holds a source port of the ephemeral pool toward one
  // (local address, remote address, remote port) tuple, whatever its state, TIME_WAIT included.
  if (options_.pool && s.state != TcpState::kListen &&
      (s.local.is_named() || s.remote.is_named())) {
    // A name may stand for several addresses, and an address may be printed as a name or a
    // number: such a tuple's count could be split or merged, so it is not measured but listed.
    if ((s.remote.port != 0 || s.remote.port_name) &&
        (s.local.port_name || options_.pool->contains(s.local.port))) {
      auto it = unmeasured_.find(KeyOf{&s, GroupBy::kTuple});
      if (it == unmeasured_.end()) {
        GroupKey k = group_key(s, GroupBy::kTuple);
        it = unmeasured_.emplace(k, GroupRow{.key = k}).first;
      }
      it->second.counts[i]++;
      it->second.total++;
    }
  } else if (options_.pool && s.state != TcpState::kListen && s.remote.port != 0 &&
             options_.pool->contains(s.local.port)) {
    add_pressure(s.remote.addr.is_v4_mapped() ? unmapped(s) : s);
  }
}

// A dual-stack (AF_INET6) socket connected to an IPv4-mapped address is hashed and given its
// port as IPv4 (tcp_v6_connect hands it to tcp_v4_connect), so it draws on the same ports as
// IPv4 sockets toward that destination: measured here, 60 IPv4 connections to 127.0.0.1:8080 in
// a 100-port range left 40 for ::ffff:127.0.0.1, then EADDRNOTAVAIL. One tuple, as IPv4.
Socket Census::unmapped(const Socket& s) {
  Socket v4 = s;
  v4.local.addr = s.local.addr.unmapped_v4();
  v4.remote.addr = s.remote.addr.unmapped_v4();
  return v4;
}

void Census::add_pressure(const Socket& s) {
  auto it = tuples_.find(KeyOf{&s, GroupBy::kTuple});
  if (it == tuples_.end()) {
    GroupKey k = group_key(s, GroupBy::kTuple);
    it = tuples_.emplace(k, TuplePressure{.key = k, .local_port = s.local.port}).first;
    if (destinations_.size() < kMaxSourcePools || destinations_.count(k.local.addr))
      destinations_[k.local.addr]++;
  }
  TuplePressure& t = it->second;
  t.in_use++;
  t.mixed_local_ports |= t.local_port != s.local.port;
  // bind(0) takes ports of the parity opposite to the range's low end first (connect() the same).
  t.bind_parity += bind_parity_[s.local.port];
  // Two sockets on one local address and port are toward two destinations (a 4-tuple is
  // unique), so a port counted twice serves several.
  auto held = ports_held_.find(s.local.addr);
  if (held == ports_held_.end() && ports_held_.size() < kMaxSourcePools)
    held = ports_held_.try_emplace(s.local.addr).first;
  if (held != ports_held_.end()) {
    PortsHeld& h = held->second;
    if (h.once[s.local.port] && !h.bound[s.local.port]) h.twice[s.local.port] = true;
    h.once[s.local.port] = true;
    if (s.state == TcpState::kTimeWait)
      h.ages.add(s.timer_ms);
    else
      h.live[s.local.port] = true;
  }
  if (s.state == TcpState::kTimeWait) {
    t.time_wait++;
    t.ages.add(s.timer_ms);
    t.reuse.add(s.reuse);
  }
}

std::vector<GroupRow> Census::groups(size_t top) const {
  std::vector<GroupRow> rows;
  rows.reserve(groups_.size());
  for (auto& [k, row] : groups_) rows.push_back(row);
  sort_top(&rows, top, [](const GroupRow& a, const GroupRow& b) {
    return a.total != b.total ? a.total > b.total : key_less(a.key, b.key);
  });
  return rows;
}

// A listening socket's port has a bind bucket that connect() never shares (__inet_hash_connect
// skips ports bound with bind()), whatever the destination: measured here, a 100-port range with
// 60 listeners inside it gives connect() 40 ports toward one destination.
int64_t Census::available() const {
  return options_.pool ? std::max<int64_t>(0, options_.pool->usable() - listening_in_pool_ -
                                                  wildcard_bound_in_pool_)
                       : 0;
}

namespace {
// Below this many ports held, an address's parities say nothing about who took them.
constexpr int64_t kMinPortsForParity = 4;
}  // namespace

bool Census::binds(const PortsHeld& h, int64_t destinations) const {
  if (h.bound.any()) return true;
  const std::bitset<65536>& parity = bind_parity_;
  const int64_t held = static_cast<int64_t>(h.once.count());
  const int64_t odd = static_cast<int64_t>((h.once & parity).count());
  const int64_t shared = static_cast<int64_t>(h.twice.count());
  // connect() alone holds at least as many ports of its own parity as of bind()'s (it takes
  // bind()'s only once its own are all held), so more of bind()'s parity is bind()'s doing. So is
  // all of them (a full pool, where the two are even) toward several destinations with hardly a
  // port shared: connect() alone would share them. Toward one destination a full pool is the
  // tuple's own.
  const int64_t even = held - odd;
  const int64_t odd_capacity = static_cast<int64_t>(bind_parity_.count());
  return options_.pool->split_parity && held >= kMinPortsForParity && 10 * shared <= held &&
         (odd > even || (odd >= odd_capacity && destinations >= 2));
}

Census::BindView Census::bind_view() const {
  BindView v;
  if (!options_.pool) return v;
  std::bitset<65536> listening;
  for (size_t p = 0; p < listening_.size(); ++p) listening[p] = listening_[p];
  const std::bitset<65536>& parity = bind_parity_;
  std::bitset<65536> made;
  for (auto& [addr, h] : ports_held_) {
    auto d = destinations_.find(addr);
    const bool b = binds(h, d == destinations_.end() ? 0 : d->second);
    v.binds[addr] = b;
    if (b) made |= (h.once & parity) | h.bound;
  }
  v.bind_made = static_cast<int64_t>((made & ~listening & ~wildcard_bound_).count()) +
                listening_in_pool_ + wildcard_bound_in_pool_;
  return v;
}

int64_t Census::bind_made_ports() const { return bind_view().bind_made; }

// connect() toward the tuple skips every bind()-made port but those the tuple holds itself (they
// are in its in_use).
int64_t Census::tuple_available(const TuplePressure& t, const BindView& v) const {
  if (!options_.pool) return 0;
  auto it = v.binds.find(t.key.local.addr);
  const int64_t own = it != v.binds.end() && it->second ? t.bind_parity : 0;
  return std::max<int64_t>(0, options_.pool->usable() - v.bind_made + own);
}

std::vector<TuplePressure> Census::pressure(size_t top) const {
  std::vector<TuplePressure> rows;
  const BindView view = bind_view();
  for (auto [k, t] : tuples_) {
    if (inbound(t)) continue;
    t.available = tuple_available(t, view);
    rows.push_back(t);
  }
  sort_top(&rows, top, [](const TuplePressure& a, const TuplePressure& b) {
    return a.in_use != b.in_use ? a.in_use > b.in_use : key_less(a.key, b.key);
  });
  return rows;
}

std::optional<TuplePressure> Census::pressure_of(const GroupKey& tuple) const {
  GroupKey k = tuple;
  k.local.addr = k.local.addr.unmapped_v4();
  k.remote.addr = k.remote.addr.unmapped_v4();
  auto it = tuples_.find(k);
  if (it == tuples_.end() || inbound(it->second)) return std::nullopt;
  TuplePressure t = it->second;
  t.available = tuple_available(t, bind_view());
  return t;
}

std::vector<GroupRow> Census::unmeasured_pressure(size_t top) const {
  std::vector<GroupRow> rows;
  for (auto& [k, row] : unmeasured_) rows.push_back(row);
  sort_top(&rows, top, [](const GroupRow& a, const GroupRow& b) {
    return a.total != b.total ? a.total > b.total : key_less(a.key, b.key);
  });
  return rows;
}

std::vector<SourcePool> Census::source_pools() const {
  std::vector<SourcePool> out;
  if (!options_.pool) return out;
  std::bitset<65536> listening;
  for (size_t p = 0; p < listening_.size(); ++p) listening[p] = listening_[p];
  listening |= wildcard_bound_;
  const std::bitset<65536>& parity = bind_parity_;
  std::map<Address, int64_t> tuples;
  for (auto& [k, t] : tuples_)
    if (!inbound(t)) tuples[k.local.addr]++;
  for (auto& [addr, h] : ports_held_) {
    SourcePool p;
    p.local = addr;
    p.tuples = tuples[addr];
    p.ports_held = static_cast<int64_t>((h.once & ~listening).count());
    p.ports_shared = static_cast<int64_t>((h.twice & ~listening).count());
    p.bound_only = static_cast<int64_t>((h.bound & ~listening).count());
    p.bind_parity = static_cast<int64_t>((h.once & parity & ~listening).count());
    p.available = available();
    p.binds = binds(h, p.tuples);
    TuplePressure& t = p.pressure;
    t.key.local.addr = addr;
    t.kind = PoolKind::kAddress;
    t.in_use = p.ports_held;
    t.time_wait = static_cast<int64_t>((h.once & ~h.live & ~listening).count());
    t.available = p.available;
    t.ages = h.ages;
    t.bind_parity = p.bind_parity;
    if (p.tuples || p.bound_only) out.push_back(p);
  }
  std::sort(out.begin(), out.end(), [](const SourcePool& a, const SourcePool& b) {
    return a.ports_held != b.ports_held ? a.ports_held > b.ports_held : a.local < b.local;
  });
  return out;
}

size_t Census::pressure_count() const {
  size_t n = 0;
  for (auto& [k, t] : tuples_) n += !inbound(t);
  return n;
}

}  // namespace tw
