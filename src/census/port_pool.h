// SPDX-License-Identifier: Apache-2.0
// Which ephemeral port pool applies to a host: its own sysctls when captured, else the
// documented default of its OS (and the caller says it was assumed).
#pragma once

#include <optional>
#include <string>

#include "model/host_facts.h"
#include "model/port_range.h"

namespace tw {

struct PoolChoice {
  std::optional<PortPool> pool;
  bool assumed = false;  // no setting was captured; the OS default is used
  std::string error;     // a captured setting that could not be parsed
};

// Linux: net.ipv4.ip_local_port_range minus ip_local_reserved_ports (default 32768-60999).
// Windows: windows_params DynamicPortStart/DynamicPortNumber (Vista+ default 49152-65535).
PoolChoice port_pool_for(const HostFacts& facts);

// The pool port pressure is measured against, for every front end (census, doctor, plan, the
// sampler): `given` (--port-range) when there is one, else the host's (port_pool_for).
PoolChoice choose_pool(const HostFacts& facts, const std::optional<PortPool>& given);

// Whether the input shows sockets that are bound but neither listening nor connected (they hold
// ports bind() and connect() skip): inet_diag dumps them from Linux 6.8 (TCP_BOUND_INACTIVE),
// /proc/net/tcp and the bpf iterator never; Windows lists them as BOUND.
struct BoundVisibility {
  std::optional<bool> visible;  // nullopt: the input does not say
  std::string note;             // when not visible: why, and what it means
};
BoundVisibility bound_only_visibility(const HostFacts& facts, int64_t bound_only_seen);

}  // namespace tw
