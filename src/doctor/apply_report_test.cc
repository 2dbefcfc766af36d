// SPDX-License-Identifier: Apache-2.0
#include "doctor/apply_report.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

ApplyPlan two_changes() {
  ApplyPlan p;
  // tcp_tw_recycle=1 is the harmful value this apply replaces: --revert will not write it back.
  p.changes.push_back({"net.ipv4.tcp_tw_recycle", "1", "0", "tw-recycle"});
  p.changes.push_back({"net.ipv4.ip_local_port_range", std::nullopt, "1024 65535", "port-range"});
  p.refused.push_back("net.ipv4.tcp_timestamps=0: harmful");
  p.old_conf = "";
  p.new_conf = "net.ipv4.tcp_tw_recycle = 0\n";
  return p;
}

ApplyTarget target(bool host) {
  ApplyTarget t;
  t.host_netns = host;
  t.name = host ? "" : "blue";
  t.inode = 4026532281;
  t.hostname = "web1";
  return t;
}

TEST(ApplyReport, HostNamespaceWritesTheFileAndShowsItsDiff) {
  ApplyPaths paths{"/tmp/root"};
  const ApplyPlan plan = two_changes();
  const ApplyTarget t = target(true);
  ApplyReport r = make_apply_report(plan, t, paths);
  EXPECT_EQ(r.conf, "/tmp/root/etc/sysctl.d/60-timewait.conf");
  EXPECT_EQ(r.backup, backup_path(paths, t));
  EXPECT_NE(r.diff.find("+net.ipv4.tcp_tw_recycle = 0"), std::string::npos) << r.diff;
  EXPECT_EQ(r.boot_note, "");
  ASSERT_EQ(r.not_revertible.size(), 1u);
  EXPECT_NE(r.not_revertible[0].find("will not set net.ipv4.tcp_tw_recycle back to 1"),
            std::string::npos)
      << r.not_revertible[0];

  nlohmann::json j = apply_to_json(r, /*applied=*/true);
  EXPECT_EQ(j["schema"], "timewait-doctor-apply/1");
  EXPECT_EQ(j["file"], r.conf);
  EXPECT_EQ(j["applied"], true);
  EXPECT_EQ(j["diff"], r.diff);
  EXPECT_EQ(j["netns"]["name"], "host");
  EXPECT_EQ(j["netns"]["host"], true);
  EXPECT_EQ(j["netns"]["inode"], 4026532281u);
  EXPECT_EQ(j["host"], "web1");
  EXPECT_EQ(j["backup"], r.backup);
  EXPECT_TRUE(j["boot_note"].is_null());
  ASSERT_EQ(j["changes"].size(), 2u);
  EXPECT_EQ(j["changes"][0]["name"], "net.ipv4.tcp_tw_recycle");
  EXPECT_EQ(j["changes"][0]["old"], "1");
  EXPECT_EQ(j["changes"][0]["new"], "0");
  EXPECT_EQ(j["changes"][0]["finding"], "tw-recycle");
  EXPECT_TRUE(j["changes"][1]["old"].is_null());
  EXPECT_EQ(j["refused"], nlohmann::json::array({"net.ipv4.tcp_timestamps=0: harmful"}));
  EXPECT_EQ(j["not_revertible"].size(), 1u);
  EXPECT_FALSE(j.contains("error"));
}

TEST(ApplyReport, OtherNamespaceLeavesTheFileAloneAndSaysWhy) {
  ApplyPaths paths{"/tmp/root"};
  const ApplyPlan plan = two_changes();
  const ApplyTarget t = target(false);
  ApplyReport r = make_apply_report(plan, t, paths);
  EXPECT_EQ(r.diff, "");
  EXPECT_NE(r.boot_note.find(r.conf + " is left alone"), std::string::npos) << r.boot_note;
  EXPECT_NE(r.boot_note.find(describe(t)), std::string::npos) << r.boot_note;

  nlohmann::json j = apply_to_json(r, /*applied=*/false, "cannot write /proc/sys: EPERM");
  EXPECT_TRUE(j["file"].is_null());
  EXPECT_EQ(j["diff"], "");
  EXPECT_EQ(j["applied"], false);
  EXPECT_EQ(j["netns"]["name"], "blue");
  EXPECT_EQ(j["netns"]["host"], false);
  EXPECT_EQ(j["boot_note"], r.boot_note);
  EXPECT_EQ(j["error"], "cannot write /proc/sys: EPERM");
}

}  // namespace
}  // namespace tw
