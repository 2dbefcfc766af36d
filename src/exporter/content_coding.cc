// SPDX-License-Identifier: Apache-2.0
#include "exporter/content_coding.h"

#include <zlib.h>

#include <cctype>
#include <optional>
#include <stdexcept>

namespace tw {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// A weight (RFC 9110 12.4.2: "0" to "1" with up to three decimals) in thousandths; a malformed
// one is nullopt and its entry ignored.
std::optional<int> weight(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  int whole = q[0] - '0', frac = 0, digits = 0;
  if (q.size() > 1) {
    if (q[1] != '.' || q.size() > 5) return std::nullopt;
    for (char c : q.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      frac = frac * 10 + (c - '0');
      ++digits;
    }
  }
  while (digits++ < 3) frac *= 10;
  const int w = whole * 1000 + frac;
  return w > 1000 ? std::nullopt : std::optional<int>(w);
}

}  // namespace

ContentCoding choose_coding(std::string_view header, bool present) {
  if (!present) return ContentCoding::kIdentity;
  std::optional<int> gzip, identity, any;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? "" : header.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    std::optional<int> w = 1000;
    for (std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
         !params.empty();) {
      const size_t next = params.find(';');
      std::string_view p = trim(params.substr(0, next));
      params = next == std::string_view::npos ? "" : params.substr(next + 1);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
        w = weight(trim(p.substr(2)));
    }
    if (!w || coding.empty()) continue;
    // "x-gzip" is gzip (RFC 9110 8.4.1.3).
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = gzip ? std::max(*gzip, *w) : *w;
    else if (iequals(coding, "identity"))
      identity = *w;
    else if (coding == "*")
      any = *w;
  }
  const int g = gzip.value_or(any.value_or(0));
  // Identity is acceptable unless refused by name or by "*;q=0"; when both are refused there
  // is nothing better to send than the plain body.
  const int id = identity.value_or(any.value_or(1000));
  return g > 0 && g >= id ? ContentCoding::kGzip : ContentCoding::kIdentity;
}

std::string gzip_compress(std::string_view data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

}  // namespace tw
