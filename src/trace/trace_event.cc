// SPDX-License-Identifier: Apache-2.0
#include "trace/trace_event.h"

#include <fmt/format.h>
#include <string.h>

#include "model/portable.h"

namespace tw {

std::string_view role_name(TraceRole r) {
  switch (r) {
    case TraceRole::kClient:
      return "client";
    case TraceRole::kServer:
      return "server";
    case TraceRole::kUnknown:
      break;
  }
  return "unknown";
}

Address decode_address(uint8_t family, const uint8_t bytes[16]) {
  if (family == AF_INET) {
    uint32_t v4;
    std::memcpy(&v4, bytes, 4);
    return Address::v4(v4);
  }
  if (family == AF_INET6) return Address::v6(bytes);
  return {};
}

std::string decode_comm(const char comm[TW_COMM_LEN]) {
  return std::string(comm, strnlen(comm, TW_COMM_LEN));
}

std::string errno_name(int err) {
#ifdef __GLIBC__
  const char* name = strerrorname_np(err);
#else  // the Windows build: these are Linux's errno values, which its C library does not name
  const char* name = nullptr;
#endif
  return name ? std::string(name) : fmt::format("errno {}", err);
}

std::string state_label(uint8_t state) {
  if (state >= 1 && state <= kStateCount)
    return std::string(netstat_name(static_cast<TcpState>(state)));
  return fmt::format("state {}", state);
}

TraceEvent decode_event(const tw_event& raw) {
  TraceEvent e;
  e.kind = static_cast<TraceEventKind>(raw.kind);
  e.ts_ns = raw.ts_ns;
  e.skaddr = raw.skaddr;
  e.pid = static_cast<int>(raw.pid);
  e.comm = decode_comm(raw.comm);
  e.attribution = raw.attributed_here ? Attribution::kCaller
                  : raw.pid           ? Attribution::kOwner
                                      : Attribution::kNone;
  e.role = raw.role <= TW_ROLE_SERVER ? static_cast<TraceRole>(raw.role) : TraceRole::kUnknown;
  e.local = Endpoint{decode_address(raw.family, raw.saddr), raw.sport};
  e.remote = Endpoint{decode_address(raw.family, raw.daddr), raw.dport};
  if (e.kind == TraceEventKind::kState) {
    e.from = raw.oldstate;
    e.to = raw.newstate;
  }
  e.err = raw.err;
  e.cgroup_id = raw.cgroup_id;
  return e;
}

}  // namespace tw
