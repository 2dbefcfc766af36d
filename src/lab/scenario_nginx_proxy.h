// SPDX-License-Identifier: Apache-2.0
// Scenario `nginx-proxy`: short upstream connections. A real nginx in a proxy namespace forwards
// client requests (client keep-alive on) to the lab's HTTP backend, first with nginx's default
// upstream (HTTP/1.0, a new connection per request, closed after it), then with upstream
// keep-alive (`keepalive 32; proxy_http_version 1.1; proxy_set_header Connection "";`).
#pragma once

#include <cstdint>

#include "lab/http_load.h"
#include "lab/scenario.h"

namespace tw::lab {

struct ProxyVariant {
  bool upstream_keepalive = false;
  HttpLoadStats load;
  int64_t upstream_connections = 0;  // accepted by the backend
  int64_t backend_requests = 0;
  int64_t backend_closed_first = 0;  // connections the backend closed first
  int64_t proxy_time_wait = 0;       // census of the proxy namespace (both sides of nginx)
  int64_t backend_time_wait = 0;     // census of the backend namespace
  int64_t proxy_resets_sent = 0;     // Tcp.OutRsts of the proxy namespace
};

// One variant in fresh namespaces: `requests` over `connections` keep-alive client connections.
Result<ProxyVariant> measure_nginx_proxy(bool upstream_keepalive, int64_t requests,
                                         int connections);

Result<ScenarioResult> run_nginx_proxy(const LabOptions& options);

}  // namespace tw::lab
