// SPDX-License-Identifier: Apache-2.0
// HTTP load for the lab: a few client connections with keep-alive, each sending GET requests one
// after another (the way browsers and API clients reuse connections), bounded in count and time.
#pragma once

#include <cstdint>
#include <string>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

struct HttpLoadConfig {
  std::string addr;
  uint16_t port = 0;
  int64_t requests = 1000;  // in total, over all connections
  int connections = 4;      // client connections, each kept alive
  double seconds = 20;      // bound on the whole run
};

struct HttpLoadStats {
  int64_t ok = 0;      // 200 responses read whole
  int64_t errors = 0;  // connect failures, resets, other statuses
  std::string first_error;
  int64_t connections_opened = 0;  // by the client (more than `connections` if the proxy closes)
  double seconds = 0;
  double rate() const { return seconds > 0 ? ok / seconds : 0; }
};

// Runs the load from threads inside `client`.
Result<HttpLoadStats> run_http_load(const Netns& client, const HttpLoadConfig& config);

// The length of one HTTP response at the start of `data` (head + Content-Length body), 0 while
// incomplete; *status gets the status code.
size_t http_response_length(const std::string& data, int* status);

}  // namespace tw::lab
