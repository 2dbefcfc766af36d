// SPDX-License-Identifier: Apache-2.0
// The response's content coding, chosen from the request's Accept-Encoding as RFC 9110 12.5.3
// reads it: codings with weights, "gzip;q=0" refusing gzip, "*" standing for any coding not
// named, no header meaning no coding. Only gzip is offered (Prometheus asks for it; curl
// --compressed lists it). httplib's own choice looked for the letters "gzip" or "br" anywhere
// in the header, so "gzip;q=0" still got gzip; the server does the coding here instead.
#pragma once

#include <string>
#include <string_view>

namespace tw {

enum class ContentCoding { kIdentity, kGzip };

// The coding to send for this Accept-Encoding value (`present` false: no such header).
ContentCoding choose_coding(std::string_view accept_encoding, bool present = true);

// `data` as one gzip member (RFC 1952).
std::string gzip_compress(std::string_view data);

}  // namespace tw
