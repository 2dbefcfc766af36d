// SPDX-License-Identifier: Apache-2.0
// The Host rule of RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without a Host
// header field, and to any request with more than one Host field line or an invalid Host value.
// Neither HTTP library checks it (cpp-httplib did not; libmicrohttpd only in its strict mode).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tw {

// What is wrong with a request's Host fields (`count` lines, the first `value`, in a request of
// `version` "HTTP/1.0" or "HTTP/1.1"), or nullopt when nothing is.
std::optional<std::string> host_problem(std::string_view version, size_t count,
                                        std::string_view value);

// Whether `value` is uri-host [":" port] (RFC 3986 3.2.2-3.2.3), empty included (RFC 9110 7.2:
// a client with no authority sends an empty Host).
bool valid_host_value(std::string_view value);

}  // namespace tw
