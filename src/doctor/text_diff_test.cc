// SPDX-License-Identifier: Apache-2.0
#include "doctor/text_diff.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

TEST(Apply, DiffShowsAddedAndRemovedLines) {
  std::string d = render_diff("/x.conf", "a = 1\nb = 2\n", "a = 1\nb = 3\nc = 4\n");
  EXPECT_EQ(d, "--- /x.conf\n+++ /x.conf\n a = 1\n-b = 2\n+b = 3\n+c = 4\n");
}

}  // namespace
}  // namespace tw
