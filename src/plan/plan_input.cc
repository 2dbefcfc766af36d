// SPDX-License-Identifier: Apache-2.0
#include "plan/plan_input.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "plan/sources.h"

namespace tw::plan {

namespace {

template <class E>
struct Names {
  E value;
  std::string_view name;
};

constexpr Names<Platform> kPlatforms[] = {
    {Platform::kLinux, "linux"}, {Platform::kWindows, "windows"}, {Platform::kOther, "other"}};
constexpr Names<Closer> kClosers[] = {{Closer::kClient, "client"}, {Closer::kServer, "server"}};
constexpr Names<NatKind> kNats[] = {{NatKind::kNone, "none"},
                                    {NatKind::kLinuxSnat, "linux-snat"},
                                    {NatKind::kAws, "aws"},
                                    {NatKind::kAzure, "azure"},
                                    {NatKind::kGcp, "gcp"}};

template <class E, size_t N>
std::string_view name_of(const Names<E> (&table)[N], E v) {
  for (const auto& n : table)
    if (n.value == v) return n.name;
  return "?";
}

template <class E, size_t N>
Result<E> parse_name(const Names<E> (&table)[N], std::string_view text, std::string_view what) {
  std::string all;
  for (const auto& n : table) {
    if (n.name == text) return n.value;
    all += (all.empty() ? "" : ", ") + std::string(n.name);
  }
  return fail(fmt::format("unknown {} '{}'; use {}", what, text, all));
}

bool finite_at_least(double v, double lo) { return std::isfinite(v) && v >= lo; }

}  // namespace

std::string_view platform_name(Platform p) { return name_of(kPlatforms, p); }
std::string_view closer_name(Closer c) { return name_of(kClosers, c); }
std::string_view nat_name(NatKind n) { return name_of(kNats, n); }
Result<Platform> parse_platform(std::string_view t) {
  return parse_name(kPlatforms, t, "platform");
}
Result<Closer> parse_closer(std::string_view t) {
  return parse_name(kClosers, t, "who_closes value");
}
Result<NatKind> parse_nat(std::string_view t) { return parse_name(kNats, t, "NAT kind"); }

uint64_t TracedDemand::failed_total() const {
  uint64_t n = 0;
  for (const auto& [err, count] : failed) n += count;
  return n;
}

double TracedDemand::rate() const {
  return seconds > 0 ? double(connects + failed_total()) / seconds : 0;
}

double TracedDemand::failing_share() const {
  const uint64_t attempts = connects + failed_total();
  return attempts ? double(failed_total()) / double(attempts) : 0;
}

PortPool PlanInput::effective_pool() const {
  if (pool) return *pool;
  PortPool p;  // Linux's default
  if (platform != Platform::kLinux) {
    p.low = 49152;
    p.high = 65535;
  }
  return p;
}

double PlanInput::effective_time_wait() const {
  if (time_wait_s) return *time_wait_s;
  switch (platform) {
    case Platform::kLinux:
      return 60;
    case Platform::kWindows:
      return 120;
    case Platform::kOther:
      return 240;
  }
  return 60;
}

const char* PlanInput::time_wait_source() const {
  switch (platform) {
    case Platform::kLinux:
      return kSrcLinuxTimeWait;
    case Platform::kWindows:
      return kSrcWindowsTimeWait;
    case Platform::kOther:
      return kSrcTwoMsl;
  }
  return kSrcLinuxTimeWait;
}

const char* PlanInput::pool_source() const {
  switch (platform) {
    case Platform::kLinux:
      return kSrcLinuxRange;
    case Platform::kWindows:
      return kSrcWindowsRange;
    case Platform::kOther:
      return kSrcOtherRange;
  }
  return kSrcLinuxRange;
}

Status validate(const PlanInput& in) {
  if (!finite_at_least(in.rate, 0) || in.rate == 0)
    return fail("rate: give the new connections per second toward one destination (> 0)");
  if (!finite_at_least(in.requests_per_connection, 1))
    return fail("requests_per_connection must be a finite number >= 1");
  if (in.source_addrs < 1 || in.dest_addrs < 1 || in.dest_ports < 1 || in.nat_addrs < 1)
    return fail("source_addrs, nat_addrs, dest_addrs and dest_ports must be at least 1");
  // Whole seconds, as TcpTimedWaitDelay and the NATs' timeouts are set.
  auto whole_seconds = [](double v, double lo) {
    return finite_at_least(v, lo) && v <= 3600 && v == std::floor(v);
  };
  if (in.time_wait_s && !whole_seconds(*in.time_wait_s, 1))
    return fail("time_wait: whole seconds from 1 to 3600");
  if (in.tw_reuse < 0 || in.tw_reuse > 2) return fail("tw_reuse: 0, 1 or 2 (as the sysctl)");
  if (!(finite_at_least(in.reuse_delay_s, 0.001) && in.reuse_delay_s <= 60))
    return fail("reuse_delay: from 1 ms to 60000 ms (the sysctl's range)");
  if (in.pool && in.pool->usable() < 1) return fail("port_range: no usable port is left");
  if (in.nat_ports && (*in.nat_ports < 1 || *in.nat_ports > 65535))
    return fail("nat_ports: from 1 to 65535");
  if (in.nat_hold_s && !whole_seconds(*in.nat_hold_s, 0))
    return fail("nat_hold: whole seconds from 0 to 3600");
  if (!finite_at_least(in.growth_percent, 0) || in.growth_percent > 1000)
    return fail("growth: percent per month from 0 to 1000");
  if (!finite_at_least(in.keepalive_requests, 2))
    return fail("keepalive: requests per connection, at least 2");
  return {};
}

Status apply_json(const nlohmann::json& j, PlanInput* in) {
  if (!j.is_object()) return fail("the plan input must be a JSON object (see docs/plan.md)");
  using J = const nlohmann::json&;
  using Setter = std::function<Status(J, const std::string&)>;
  auto number = [](auto* out) -> Setter {
    return [out](J v, const std::string& key) -> Status {
      if (!v.is_number()) return fail(fmt::format("'{}' must be a number", key));
      *out = v.get<double>();
      return {};
    };
  };
  auto whole = [](auto* out, int64_t lo, int64_t hi) -> Setter {
    return [out, lo, hi](J v, const std::string& key) -> Status {
      if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
        return fail(fmt::format("'{}' must be a whole number from {} to {}", key, lo, hi));
      *out = v.get<int64_t>();  // range-checked above
      return {};
    };
  };
  auto flag = [](bool* out) -> Setter {
    return [out](J v, const std::string& key) -> Status {
      if (!v.is_boolean()) return fail(fmt::format("'{}' must be true or false", key));
      *out = v.get<bool>();
      return {};
    };
  };
  // A string turned into a value by `parse` (a name, a port range, ...).
  auto parsed = [](auto parse) -> Setter {
    return [parse](J v, const std::string& key) -> Status {
      if (!v.is_string()) return fail(fmt::format("'{}' must be a string", key));
      if (auto st = parse(v.get<std::string>()); !st)
        return fail(fmt::format("'{}': {}", key, st.error()));
      return {};
    };
  };
  auto assign = [](auto* out, auto parse) {
    return [out, parse](const std::string& s) -> Status {
      auto v = parse(s);
      if (!v) return fail(v.error());
      *out = *v;
      return {};
    };
  };
  std::optional<int64_t> reuse_delay_ms;
  // Each member as docs/plan.md lists it.
  const std::map<std::string, Setter> members = {
      {"rate", number(&in->rate)},
      {"requests_per_connection", number(&in->requests_per_connection)},
      {"who_closes", parsed(assign(&in->who_closes, parse_closer))},
      {"source_addrs", whole(&in->source_addrs, 1, 1 << 20)},
      {"dest_addrs", whole(&in->dest_addrs, 1, 1 << 20)},
      {"dest_ports", whole(&in->dest_ports, 1, 65535)},
      {"platform", parsed(assign(&in->platform, parse_platform))},
      {"port_range", parsed([in](const std::string& s) -> Status {
         auto p = parse_port_range_option(s);
         if (!p) return fail(p.error());
         if (in->pool) p->reserved = in->pool->reserved;
         in->pool = *p;
         return {};
       })},
      {"reserved_ports", parsed([in](const std::string& s) -> Status {
         auto list = parse_port_list(s);
         if (!list) return fail(list.error());
         if (!in->pool) in->pool = in->effective_pool();
         in->pool->reserved = *list;
         return {};
       })},
      {"time_wait", number(&in->time_wait_s)},
      {"tw_reuse", whole(&in->tw_reuse, 0, 2)},
      {"timestamps", flag(&in->timestamps)},
      {"reuse_delay_ms", whole(&reuse_delay_ms, 1, 60000)},
      {"bind_before_connect", flag(&in->bind_before_connect)},
      {"rfc1337", flag(&in->rfc1337)},
      {"nat_addrs", whole(&in->nat_addrs, 1, 1 << 16)},
      {"nat", parsed(assign(&in->nat, parse_nat))},
      {"nat_ports", whole(&in->nat_ports, 1, 65535)},
      {"nat_hold", number(&in->nat_hold_s)},
      {"growth_percent", number(&in->growth_percent)},
      {"max_tw_buckets", whole(&in->max_tw_buckets, 0, int64_t{1} << 40)},
      {"keepalive_requests", number(&in->keepalive_requests)},
  };
  // "platform" first: the defaults under port_range and reserved_ports depend on it.
  if (j.contains("platform"))
    if (auto st = members.at("platform")(j["platform"], "platform"); !st) return st;
  // port_range before reserved_ports: the reservations apply to the range given.
  if (j.contains("port_range"))
    if (auto st = members.at("port_range")(j["port_range"], "port_range"); !st) return st;
  for (auto& [key, value] : j.items()) {
    auto m = members.find(key);
    if (m == members.end()) {
      std::string known;
      for (auto& [name, fn] : members) known += (known.empty() ? "" : ", ") + name;
      return fail(fmt::format("unknown member '{}'; the plan input knows {}", key, known));
    }
    if (key == "platform" || key == "port_range") continue;
    if (auto st = m->second(value, key); !st) return st;
  }
  if (reuse_delay_ms) in->reuse_delay_s = *reuse_delay_ms / 1000.0;
  return {};
}

}  // namespace tw::plan
