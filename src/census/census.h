// SPDX-License-Identifier: Apache-2.0
// The census: counts sockets by state and by a chosen group, measures ephemeral-port pressure per
// destination tuple and the TIME_WAIT creation rate, all while the sockets stream past. Memory is
// proportional to the groups and tuples, never to the sockets.
#pragma once

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/port_range.h"
#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw {

// Linux holds a socket in TIME_WAIT for TCP_TIMEWAIT_LEN = 60 s, fixed at compile time
// (include/net/tcp.h); no sysctl changes it.
inline constexpr int kLinuxTimeWaitSeconds = 60;

enum class GroupBy { kState, kPeer, kPeerPort, kLocal, kLocalPort, kTuple };

Result<GroupBy> parse_group_by(std::string_view name);
std::string_view group_by_name(GroupBy by);
std::vector<std::string_view> group_by_names();  // every name parse_group_by() takes

// What a group is: fields the grouping does not use stay zero. For kTuple: local.addr,
// remote.addr and remote.port — the unit of ephemeral-port pressure.
struct GroupKey {
  Endpoint local, remote;
  bool operator==(const GroupKey&) const = default;
};

// A socket seen as the key of a grouping, without building that GroupKey: the census looks each
// socket up this way (C++20 heterogeneous lookup) and builds a key only for a new group.
struct KeyOf {
  const Socket* s;
  GroupBy by;
};
struct GroupKeyHash {
  using is_transparent = void;
  size_t operator()(const GroupKey& k) const;
  size_t operator()(KeyOf k) const;
};
struct GroupKeyEq {
  using is_transparent = void;
  bool operator()(const GroupKey& a, const GroupKey& b) const { return a == b; }
  bool operator()(KeyOf a, const GroupKey& b) const;
  bool operator()(const GroupKey& a, KeyOf b) const { return (*this)(b, a); }
};

using StateCounts = std::array<int64_t, kStateCount>;

// How long ago TIME_WAIT sockets entered TIME_WAIT, from their remaining timers (age = 60 s -
// timer), in buckets of `BucketSeconds`. Every socket now in TIME_WAIT was made within the last
// 60 s, so the count over 60 s is the creation rate, with no tracing (less whatever tw_reuse took
// over or tcp_max_tw_buckets refused).
template <int BucketSeconds, class Count>
struct AgeHistogram {
  static constexpr int kBucketSeconds = BucketSeconds;
  static constexpr int kBuckets = kLinuxTimeWaitSeconds / BucketSeconds;
  // [i]: entered TIME_WAIT i*B to (i+1)*B seconds ago; [kBuckets]: a timer beyond 60 s (not
  // Linux's TIME_WAIT: another OS's dump).
  std::array<Count, kBuckets + 1> by_bucket{};
  int64_t with_timer = 0;     // TIME_WAIT sockets whose timer was known
  int64_t without_timer = 0;  // from sources that do not give timers

  void add(int64_t timer_ms) {
    if (timer_ms < 0) {
      ++without_timer;
      return;
    }
    const int64_t age_ms = int64_t{kLinuxTimeWaitSeconds} * 1000 - timer_ms;
    const int64_t b = age_ms < 0 ? kBuckets : age_ms / (1000 * BucketSeconds);
    by_bucket[std::min<int64_t>(b, kBuckets)]++;
    ++with_timer;
  }
  // TIME_WAITs made per second over the last `seconds` seconds (rounded down to whole buckets,
  // at least one; at most 60).
  double rate(int seconds) const {
    const int n = std::clamp(seconds / BucketSeconds, 1, kBuckets);
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += by_bucket[i];
    if (n == kBuckets) sum += by_bucket[kBuckets];
    return static_cast<double>(sum) / (n * BucketSeconds);
  }
  // TIME_WAITs whose timer runs out within the next `seconds` (those older than 60 s - seconds),
  // taking ages as spread evenly inside a bucket. Timers beyond 60 s are not counted.
  double expiring_within(double seconds) const {
    const double threshold = kLinuxTimeWaitSeconds - std::clamp<double>(seconds, 0, 60);
    double n = 0;
    for (int i = 0; i < kBuckets; ++i) {
      const double lo = i * BucketSeconds, hi = lo + BucketSeconds;
      if (threshold <= lo)
        n += by_bucket[i];
      else if (threshold < hi)
        n += by_bucket[i] * (hi - threshold) / BucketSeconds;
    }
    return n;
  }
};

// The host's TIME_WAITs, second by second (the census JSON's ages_by_second).
using TimeWaitAges = AgeHistogram<1, int64_t>;
// One tuple's TIME_WAITs in 5 s buckets: exact 10 s and 60 s rates and the expiry profile the
// forecast needs, in 68 bytes per tuple (memory follows the tuples, not the sockets).
using TupleAges = AgeHistogram<5, uint32_t>;

// A pool's TIME_WAITs: the 5 s histogram, and those made in the last kYoungSeconds, so the ETA
// follows a sudden rise within a few seconds (a 10 s average lags it by up to 10 s: measured,
// "~50 s" when 22 s were left).
struct PoolAges : TupleAges {
  static constexpr int kYoungSeconds = 3;
  uint32_t young = 0;  // TIME_WAITs made in the last kYoungSeconds
  void add(int64_t timer_ms) {
    TupleAges::add(timer_ms);
    if (timer_ms >= 0 && timer_ms <= int64_t{kLinuxTimeWaitSeconds} * 1000 &&
        int64_t{kLinuxTimeWaitSeconds} * 1000 - timer_ms < kYoungSeconds * 1000)
      ++young;
  }
  double young_rate() const { return static_cast<double>(young) / kYoungSeconds; }
};

// TIME_WAIT sockets by what tcp_tw_reuse could do with their ports now (Socket::reuse). All zero
// unless the source knows (the bpf source): then reusable + not_yet + no_timestamps = TIME_WAIT.
struct ReuseCounts {
  int64_t reusable = 0;       // has a timestamp and is older than tcp_tw_reuse_delay
  int64_t not_yet = 0;        // has a timestamp, younger than tcp_tw_reuse_delay
  int64_t no_timestamps = 0;  // reuse can never take it
  int64_t known() const { return reusable + not_yet + no_timestamps; }
  void add(TwReuse r) {
    reusable += r == TwReuse::kReusable;
    not_yet += r == TwReuse::kNotYet;
    no_timestamps += r == TwReuse::kNoTimestamps;
  }
};

struct GroupRow {
  GroupKey key;
  StateCounts counts{};
  int64_t total = 0;
  TupleAges time_wait_ages;  // of the group's TIME_WAIT sockets (rates per group)
};

// Which ports a pool is: those connect() can take toward one destination tuple, or those bind(addr,
// 0) can take on one local address (for every destination: a port bound before connect() serves
// one socket).
enum class PoolKind : uint8_t { kTuple, kAddress };

// Ephemeral-port use toward one destination tuple (local address, remote address, remote port), or
// (kind kAddress, key.local.addr only) on one local address that bind() draws from.
struct TuplePressure {
  GroupKey key;
  PoolKind kind = PoolKind::kTuple;
  uint16_t local_port = 0;  // of the first socket seen; see mixed_local_ports
  bool mixed_local_ports = false;
  int64_t in_use = 0;     // sockets of this tuple whose local port is in the pool, any state
  int64_t time_wait = 0;  // of which in TIME_WAIT
  // The pool's usable ports connect() can take: bind()-owned ports (listeners, bound-only sockets,
  // ports bound before connect()) are skipped by connect() for every destination, so they are not
  // available to any tuple (except the tuple's own, counted in in_use).
  int64_t available = 0;
  int64_t bind_parity = 0;  // of in_use, sockets on ports of bind()'s parity (SourcePool::binds)
  PoolAges ages;            // of its TIME_WAIT sockets
  ReuseCounts reuse;        // of its TIME_WAIT sockets, where the source knows
  double percent() const { return available ? 100.0 * in_use / available : 0; }
  // Ports a new connect() to this tuple could take now with tcp_tw_reuse on: the free ones and
  // those of reusable TIME_WAITs. Only meaningful when reuse.known() == time_wait.
  int64_t free_with_reuse() const {
    return std::max<int64_t>(0, available - in_use) + reuse.reusable;
  }
};

// The pool ports that outbound sockets from one local address hold, over all its destinations.
// connect() alone shares a port between destinations; a port taken by bind() before connect()
// (without IP_BIND_ADDRESS_NO_PORT) serves one socket, and connect() toward any other
// destination skips it (__inet_hash_connect skips bind()-made buckets): measured here, 25
// bind()-then-connect() sockets toward each of 4 destinations in a 100-port range left none for
// connect() and bind() failed with EADDRINUSE, while each tuple was only 25 % in use.
//
// bind(addr, 0) takes a port no socket on that address (or the wildcard) holds, in any state, so
// this is the pool it draws from. It decides only where bind() does draw from it (`binds`): a
// bound-only socket on the address, or most of its ports of the parity bind() takes first (since
// Linux 4.2 connect() takes ports of the range's low end's parity first and bind(0) the other, so
// connect() alone never holds more of bind()'s parity than of its own) with hardly any shared.
struct SourcePool {
  Address local;
  int64_t tuples = 0;        // its tuples holding pool ports (inbound ones left out)
  int64_t ports_held = 0;    // distinct pool ports its sockets hold, bound-only ones included
  int64_t ports_shared = 0;  // of them, held toward two or more destinations
  int64_t bound_only = 0;    // of them, held by sockets bound but neither listening nor connected
  int64_t bind_parity = 0;   // of them, ports of the parity bind() takes first
  int64_t available = 0;     // as for a tuple: the pool less the listeners' ports
  bool binds = false;        // bind() draws from this pool (see above)
  // The pool for forecast(): in_use = ports_held, time_wait = ports only TIME_WAITs hold.
  TuplePressure pressure;
  double percent() const { return available ? 100.0 * ports_held / available : 0; }
};

inline constexpr double kPressureWarnPercent = 50;
inline constexpr double kPressureCriticalPercent = 90;

struct CensusOptions {
  StateMask states = StateMask::all();  // sockets outside are not counted
  GroupBy by = GroupBy::kState;
  std::optional<PortPool> pool;  // without it, no port pressure is measured
};

class Census {
 public:
  explicit Census(CensusOptions options);

  // Counts a socket in the requested states. LISTEN sockets and bound-only ones (CLOSE with a
  // local port and no peer) are noted even when not requested (port pressure needs to know the
  // ports bind() holds): ask the source for them too.
  void add(const Socket& s);
  // The states to ask a source for: the requested ones, plus LISTEN and CLOSE (bound-only
  // sockets) when pressure is measured.
  StateMask source_states() const;
  // Sockets bound to a pool port but neither listening nor connected (Linux: inet_diag state
  // CLOSE, dumped by kernels that know TCP_BOUND_INACTIVE; Windows: BOUND).
  int64_t bound_only() const { return bound_only_; }

  const CensusOptions& options() const { return options_; }
  const StateCounts& counts() const { return counts_; }
  int64_t count(TcpState s) const { return counts_[state_index(s)]; }
  int64_t total() const { return total_; }
  // Orphaned FIN_WAIT2 sockets held as TIME_WAIT mini-sockets: ss shows them as FIN-WAIT-2 and
  // `ss state time-wait` misses them, yet /proc/net/sockstat "tw" counts them.
  int64_t fin_wait2_mini() const { return fin_wait2_mini_; }
  const TimeWaitAges& time_wait_ages() const { return ages_; }
  // What tcp_tw_reuse could do with the TIME_WAIT ports now; known() is 0 unless the source told.
  const ReuseCounts& time_wait_reuse() const { return reuse_; }

  // Groups sorted by total, largest first (ties by key); top = 0 means all.
  std::vector<GroupRow> groups(size_t top = 0) const;
  size_t group_count() const { return groups_.size(); }
  // Tuples sorted by percent, worst first; top = 0 means all. An IPv4-mapped IPv6 address
  // (::ffff:10.0.0.1, a dual-stack socket) counts as its IPv4 address: the kernel gives such a
  // socket its port from the IPv4 tuple's. A tuple whose sockets all sit on
  // one local port that has a listener is inbound traffic to that service (a listener inside the
  // ephemeral range), not source-port use, and is left out.
  std::vector<TuplePressure> pressure(size_t top = 0) const;
  size_t pressure_count() const;
  // The pressure of one tuple (a GroupBy::kTuple key; an IPv4-mapped address is its IPv4 one, as
  // in pressure()), or nullopt when it holds no port of the
  // pool or is inbound traffic to a listener.
  std::optional<TuplePressure> pressure_of(const GroupKey& tuple) const;
  // Tuples that port pressure could not measure because the dump printed host or service names
  // (captured without -n), with their sockets by state; worst first, top = 0 means all.
  std::vector<GroupRow> unmeasured_pressure(size_t top = 0) const;
  size_t unmeasured_pressure_count() const { return unmeasured_.size(); }
  // Per local address, the ports its outbound sockets hold over all destinations, most first
  // (the first kMaxSourcePools addresses seen; a host has few).
  std::vector<SourcePool> source_pools() const;
  static constexpr size_t kMaxSourcePools = 64;
  // The ports bind() has made buckets of (listeners, bound-only sockets, the bind()-parity ports of
  // the addresses bind() draws from): connect() skips them toward every destination.
  int64_t bind_made_ports() const;

 private:
  // All of a tuple's sockets on one local port that has a listener: traffic to that service.
  bool inbound(const TuplePressure& t) const {
    return !t.mixed_local_ports && listening_[t.local_port];
  }
  int64_t available() const;
  static Socket unmapped(const Socket& s);
  void add_pressure(const Socket& s);
  struct PortsHeld;
  // Per-address bind summary for pressure(): the bind()-made ports of every address, and which
  // addresses bind() draws from.
  struct BindView {
    int64_t bind_made = 0;
    std::map<Address, bool> binds;
  };
  BindView bind_view() const;
  // `destinations`: the address's tuples holding pool ports.
  bool binds(const PortsHeld& h, int64_t destinations) const;
  int64_t tuple_available(const TuplePressure& t, const BindView& v) const;
  CensusOptions options_;
  StateCounts counts_{};
  int64_t total_ = 0;
  int64_t fin_wait2_mini_ = 0;
  TimeWaitAges ages_;
  ReuseCounts reuse_;
  std::unordered_map<GroupKey, GroupRow, GroupKeyHash, GroupKeyEq> groups_;
  std::unordered_map<GroupKey, TuplePressure, GroupKeyHash, GroupKeyEq> tuples_;
  std::unordered_map<GroupKey, GroupRow, GroupKeyHash, GroupKeyEq> unmeasured_;
  struct PortsHeld {
    std::bitset<65536> once, twice;  // a socket on the port; sockets toward two destinations
    std::bitset<65536> live;         // a socket not in TIME_WAIT on the port
    std::bitset<65536> bound;        // a bound-only socket on the port
    PoolAges ages;                   // of its TIME_WAIT sockets
  };
  std::map<Address, PortsHeld> ports_held_;                 // map nodes: 32 KB each on the heap
  std::vector<bool> listening_ = std::vector<bool>(65536);  // local ports with a LISTEN socket
  int64_t listening_in_pool_ = 0;                           // of them, usable ports of the pool
  // Tuples per local address, counted as they appear (so pressure_of() stays cheap with a million
  // tuples); inbound ones to a listener inside the range are among them.
  std::map<Address, int64_t> destinations_;
  // Pool ports bound-only on the wildcard address: lost to every address and destination, as a
  // listener's.
  std::bitset<65536> wildcard_bound_;
  std::bitset<65536> bind_parity_;      // the pool's ports of the parity bind(0) takes first
  int64_t wildcard_bound_in_pool_ = 0;  // of them, not also listening
  int64_t bound_only_ = 0;
};

// The key a socket falls under for a grouping.
GroupKey group_key(const Socket& s, GroupBy by);
// "10.0.0.1 -> 10.0.0.2:80" for a tuple, "10.0.0.2" for a peer, ...
std::string describe_key(const GroupKey& key, GroupBy by);

}  // namespace tw
