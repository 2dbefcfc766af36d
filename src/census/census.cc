#include "census/census.h"

#include <algorithm>

#include <fmt/format.h>

namespace tw {

namespace {
constexpr std::pair<std::string_view, GroupBy> kGroupNames[] = {
    {"state", GroupBy::kState},         {"peer", GroupBy::kPeer},
    {"peer-port", GroupBy::kPeerPort},  {"local", GroupBy::kLocal},
    {"local-port", GroupBy::kLocalPort}, {"tuple", GroupBy::kTuple},
};

bool key_less(const GroupKey& a, const GroupKey& b) {
  return std::tie(a.local, a.remote) < std::tie(b.local, b.remote);
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

size_t GroupKeyHash::operator()(const GroupKey& k) const {
  AddressHash h;
  return h(k.local.addr) * 31 + h(k.remote.addr) * 17 + (size_t{k.local.port} << 16) +
         k.remote.port;
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
      break;
    case GroupBy::kLocal:
      k.local.addr = s.local.addr;
      break;
    case GroupBy::kLocalPort:
      k.local.port = s.local.port;
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
      return fmt::format("{}", k.remote.port);
    case GroupBy::kLocal:
      return k.local.addr.to_string();
    case GroupBy::kLocalPort:
      return fmt::format("{}", k.local.port);
    case GroupBy::kTuple:
      return fmt::format("{} -> {}", k.local.addr.to_string(), k.remote.to_string());
  }
  return "?";
}

void TimeWaitAges::add(int64_t timer_ms) {
  if (timer_ms < 0) {
    ++without_timer;
    return;
  }
  int64_t age_ms = int64_t{kLinuxTimeWaitSeconds} * 1000 - timer_ms;
  // A timer longer than 60 s is not Linux's TIME_WAIT (another OS's dump): park it at the end.
  int64_t sec = age_ms < 0 ? kLinuxTimeWaitSeconds : age_ms / 1000;
  by_second[std::min<int64_t>(sec, kLinuxTimeWaitSeconds)]++;
  ++with_timer;
}

double TimeWaitAges::rate(int seconds) const {
  seconds = std::clamp(seconds, 1, kLinuxTimeWaitSeconds);
  int64_t n = 0;
  for (int i = 0; i < seconds; ++i) n += by_second[i];
  if (seconds == kLinuxTimeWaitSeconds) n += by_second[kLinuxTimeWaitSeconds];
  return static_cast<double>(n) / seconds;
}

Census::Census(CensusOptions options) : options_(std::move(options)) {}

void Census::add(const Socket& s) {
  if (!options_.states.has(s.state)) return;
  int i = state_index(s.state);
  counts_[i]++;
  total_++;
  if (s.mini && s.state == TcpState::kFinWait2) fin_wait2_mini_++;
  if (s.state == TcpState::kTimeWait) ages_.add(s.timer_ms);
  if (options_.by != GroupBy::kState) {
    GroupKey k = group_key(s, options_.by);
    GroupRow& row = groups_[k];
    row.key = k;
    row.counts[i]++;
    row.total++;
  }
  // Port pressure: an outbound socket holds a source port of the ephemeral pool toward one
  // (local address, remote address, remote port) tuple, whatever its state, TIME_WAIT included.
  if (options_.pool && s.state != TcpState::kListen && s.remote.port != 0 &&
      options_.pool->contains(s.local.port)) {
    GroupKey k = group_key(s, GroupBy::kTuple);
    TuplePressure& t = tuples_[k];
    t.key = k;
    t.in_use++;
    if (s.state == TcpState::kTimeWait) t.time_wait++;
  }
}

std::vector<GroupRow> Census::groups(size_t top) const {
  std::vector<GroupRow> rows;
  rows.reserve(groups_.size());
  for (auto& [k, row] : groups_) rows.push_back(row);
  auto better = [](const GroupRow& a, const GroupRow& b) {
    return a.total != b.total ? a.total > b.total : key_less(a.key, b.key);
  };
  if (top && top < rows.size()) {
    std::partial_sort(rows.begin(), rows.begin() + top, rows.end(), better);
    rows.resize(top);
  } else {
    std::sort(rows.begin(), rows.end(), better);
  }
  return rows;
}

std::vector<TuplePressure> Census::pressure(size_t top) const {
  std::vector<TuplePressure> rows;
  const int64_t available = options_.pool ? options_.pool->usable() : 0;
  for (auto [k, t] : tuples_) {
    t.available = available;
    rows.push_back(t);
  }
  auto worse = [](const TuplePressure& a, const TuplePressure& b) {
    return a.in_use != b.in_use ? a.in_use > b.in_use : key_less(a.key, b.key);
  };
  std::sort(rows.begin(), rows.end(), worse);
  if (top && top < rows.size()) rows.resize(top);
  return rows;
}

}  // namespace tw
