// SPDX-License-Identifier: Apache-2.0
// What `timewait plan` plans for: the traffic (new connections per second toward each
// destination, requests per connection), the hosts (platform, port pool, TIME_WAIT length,
// tcp_tw_reuse) and the NAT in the path. Filled from flags, a small JSON file (docs/plan.md) or a
// census snapshot; every field has the documented default of its platform.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "model/endpoint.h"
#include "model/port_range.h"
#include "model/result.h"

namespace tw::plan {

enum class Platform { kLinux, kWindows, kOther };
enum class Closer { kClient, kServer };
enum class NatKind { kNone, kLinuxSnat, kAws, kAzure, kGcp };

std::string_view platform_name(Platform p);  // "linux", "windows", "other"
std::string_view closer_name(Closer c);      // "client", "server"
std::string_view nat_name(NatKind n);        // "none", "linux-snat", "aws", "azure", "gcp"
Result<Platform> parse_platform(std::string_view text);
Result<Closer> parse_closer(std::string_view text);
Result<NatKind> parse_nat(std::string_view text);

// The tuple --from took the rate of: the source address and the destination.
struct MeasuredTuple {
  Address local;
  Endpoint remote;
};

// --trace: the connect() calls `timewait trace` counted toward the measured tuple.
struct TracedDemand {
  std::string file;
  double seconds = 0;
  uint64_t connects = 0;                   // reached ESTABLISHED
  std::map<std::string, uint64_t> failed;  // errno name -> failed connect() calls
  uint64_t lost = 0;                       // what the tracer could not keep
  uint64_t failed_total() const;
  double rate() const;           // attempts (connects + failed) per second
  double failing_share() const;  // failed / attempts
};

struct PlanInput {
  double rate = 0;                     // new connections per second toward each destination
  double requests_per_connection = 1;  // keep-alive today (1: a connection per request)
  Closer who_closes = Closer::kClient;
  int source_addrs = 1;  // the client's own addresses
  int dest_addrs = 1, dest_ports = 1;
  Platform platform = Platform::kLinux;
  std::optional<PortPool> pool;       // nullopt: the platform's default range
  std::optional<double> time_wait_s;  // nullopt: the platform's default
  int tw_reuse = 2;                   // Linux tcp_tw_reuse (2, loopback only, is the default)
  bool timestamps = true;             // tcp_timestamps on both sides
  double reuse_delay_s = 1;           // tcp_tw_reuse_delay
  bool bind_before_connect = false;   // clients bind(addr, 0) without IP_BIND_ADDRESS_NO_PORT
  NatKind nat = NatKind::kNone;
  int nat_addrs = 1;                 // the NAT's public (SNAT) addresses
  std::optional<int64_t> nat_ports;  // linux-snat: SNAT ports per address; gcp: ports per VM
  std::optional<double>
      nat_hold_s;             // whole seconds: how long the NAT keeps a closed connection's port
  double growth_percent = 0;  // growth of the rate per month, for time to exhaustion
  std::optional<int64_t> max_tw_buckets;  // tcp_max_tw_buckets of the side holding TIME_WAIT
  double keepalive_requests = 100;        // the keep-alive lever: requests per connection
  bool rfc1337 = false;  // the server's tcp_rfc1337: a TIME_WAIT survives the client's RST
  // Where the pool and the TIME_WAIT length came from when not from flags: "the input" when
  // --from measured them (render says so instead of "given").
  bool pool_from_input = false, time_wait_from_input = false;
  // --from: the measured rate is a lower bound (the pool was exhausted when the input was taken:
  // connect() calls that failed left no TIME_WAIT); the reason, empty otherwise.
  std::string rate_lower_bound;
  std::optional<MeasuredTuple> tuple;         // --from: the busiest tuple
  std::optional<TracedDemand> traced_demand;  // --trace: the rate is the attempts it counted
  std::string from;                           // what the input came from ("flags", a file, ...)

  int64_t destinations() const { return int64_t(dest_addrs) * dest_ports; }
  // The pool in force: the given one or the platform's default.
  PortPool effective_pool() const;
  // TIME_WAIT length in force, and the sentence saying where it comes from.
  double effective_time_wait() const;
  const char* time_wait_source() const;
  const char* pool_source() const;
};

// Checks ranges (a rate that is finite and positive, counts >= 1, ...); the message names the
// field as the user spelled it.
Status validate(const PlanInput& in);

// Applies the members of a JSON object (docs/plan.md) to `in`; an unknown member or a value of
// the wrong type is an error naming it.
Status apply_json(const nlohmann::json& j, PlanInput* in);

}  // namespace tw::plan
