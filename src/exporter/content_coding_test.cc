// SPDX-License-Identifier: Apache-2.0
// Accept-Encoding as scrapers and clients send it, weights included, and a gzip body that zlib
// reads back.
#include "exporter/content_coding.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace tw {
namespace {

std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(ContentCoding, GzipWhenAskedFor) {
  EXPECT_EQ(choose_coding("gzip"), ContentCoding::kGzip);                     // Prometheus 2.42
  EXPECT_EQ(choose_coding("deflate, gzip, br, zstd"), ContentCoding::kGzip);  // curl --compressed
  EXPECT_EQ(choose_coding("gzip, deflate"), ContentCoding::kGzip);            // Python requests
  EXPECT_EQ(choose_coding("GZIP;Q=0.5, identity;q=0.2"), ContentCoding::kGzip);
  EXPECT_EQ(choose_coding("x-gzip"), ContentCoding::kGzip);
  EXPECT_EQ(choose_coding("*"), ContentCoding::kGzip);
  EXPECT_EQ(choose_coding("identity;q=0.5, gzip"), ContentCoding::kGzip);
}

TEST(ContentCoding, PlainWhenGzipIsRefusedOrNotNamed) {
  EXPECT_EQ(choose_coding("", false), ContentCoding::kIdentity);  // no header
  EXPECT_EQ(choose_coding(""), ContentCoding::kIdentity);         // empty: no coding wanted
  EXPECT_EQ(choose_coding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("br"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("gzip;q=0"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("gzip; q=0.000, identity"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("*, gzip;q=0"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("br;q=1, gzip;q=0"), ContentCoding::kIdentity);
  // The client prefers the plain body.
  EXPECT_EQ(choose_coding("gzip;q=0.5, identity;q=0.8"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("gzip;q=0.5"), ContentCoding::kIdentity);  // identity is q=1 unnamed
  // A weight that is not one is ignored with its entry.
  EXPECT_EQ(choose_coding("gzip;q=2"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("gzip;q=0.5555"), ContentCoding::kIdentity);
  EXPECT_EQ(choose_coding("gzipx, xgzip"), ContentCoding::kIdentity);
}

TEST(ContentCoding, GzipRoundTrips) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "timewait_sockets{netns=\"host\"} " + std::to_string(i) + "\n";
  const std::string z = gzip_compress(text);
  ASSERT_GE(z.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // the gzip magic (RFC 1952 2.3.1)
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  EXPECT_LT(z.size(), text.size() / 4);
  EXPECT_EQ(gunzip(z), text);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
}

}  // namespace
}  // namespace tw
