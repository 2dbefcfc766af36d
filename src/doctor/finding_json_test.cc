// SPDX-License-Identifier: Apache-2.0
#include "doctor/finding_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace tw {

// doctor --json writes a finding's data through DataValue: every shape a rule builds comes back
// as the same JSON, byte for byte.
TEST(FindingJson, DataRoundTripsEveryShape) {
  const nlohmann::json j = {
      {"range", {32768, 60999}},
      {"percent", 43.7},
      {"rate", 0.1 + 0.2},  // a double that needs all 17 digits
      {"big", std::numeric_limits<uint64_t>::max()},
      {"negative", int64_t{-5}},
      {"missing", nullptr},
      {"nat_suspected", false},
      {"worst_pool", "bind"},
      {"tuples", nlohmann::json::array()},
      {"sysctls", {{"net.ipv4.ip_local_port_range", "40000 40999"}}},
      {"ports", {{{"local_port", 8080}, {"owners", {{{"pid", 4242}, {"name", "nginx"}}}}}}},
  };
  const DataValue::Fields fields = finding_data(j);
  ASSERT_EQ(fields.size(), j.size());
  EXPECT_EQ(fields.front().first, "big");  // members in key order, as the renderer writes them
  const nlohmann::json back = to_json(fields);
  EXPECT_EQ(back, j);
  EXPECT_EQ(back.dump(), j.dump());
  EXPECT_TRUE(back["big"].is_number_unsigned());
  EXPECT_TRUE(back["negative"].is_number_integer());
  EXPECT_TRUE(back["percent"].is_number_float());
}

TEST(FindingJson, NoDataIsAnEmptyObject) {
  EXPECT_EQ(to_json(DataValue::Fields{}).dump(), "{}");
  EXPECT_TRUE(finding_data(nlohmann::json::array({1, 2})).empty());
  Finding f = with_data(Finding{}, {{"time_wait", 12}});
  EXPECT_EQ(to_json(f.data).dump(), R"({"time_wait":12})");
}

}  // namespace tw
