// SPDX-License-Identifier: Apache-2.0
// Test helpers for talking to a server on 127.0.0.1 with raw bytes (the exporter's HTTP tests):
// connect, send a request and read until the server closes, all bounded in time.
#pragma once

#include <netinet/in.h>

#include <string>

#include "os/unique_fd.h"

namespace tw::testing {

// 127.0.0.1:port (port 0: any, for bind()).
sockaddr_in loopback(int port);
// A connected TCP socket to 127.0.0.1:port, or none.
os::UniqueFd connect_loopback(int port);
// Reads until the peer closes or `seconds` pass; what came.
std::string read_until_close(int fd, double seconds);
// Sends `raw` on a new connection and returns the whole response ("(connect failed)" if none).
std::string loopback_request(int port, const std::string& raw, double seconds = 10);
// A loopback port nobody listens on now (the kernel's choice, released).
int free_loopback_port();

}  // namespace tw::testing
