// SPDX-License-Identifier: Apache-2.0
#include "sources/windows_settings.h"

#include <gtest/gtest.h>

namespace tw {
namespace {

std::string utf16le(const std::string& ascii, bool bom) {
  std::string out = bom ? std::string("\xFF\xFE", 2) : "";
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

const char* kReg =
    "Windows Registry Editor Version 5.00\r\n\r\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n"
    "\"Hostname\"=\"WEB1\"\r\n"
    "\"TcpTimedWaitDelay\"=dword:0000001e\r\n"
    "\"MaxUserPort\"=dword:0000fffe\r\n\r\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces]\r\n"
    "\"TcpTimedWaitDelay\"=dword:00000001\r\n";

TEST(WindowsSettings, RegExportUtf16AndUtf8) {
  for (const std::string& bytes : {utf16le(kReg, true), utf16le(kReg, false), std::string(kReg)}) {
    auto r = parse_reg_export(bytes);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->at("TcpTimedWaitDelay"), 30);  // the subkey's value is not taken
    EXPECT_EQ(r->at("MaxUserPort"), 65534);
    EXPECT_FALSE(r->count("Hostname"));
  }
}

TEST(WindowsSettings, RegExportOfAnotherKeyIsAnError) {
  auto r = parse_reg_export("Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\X]\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("reg export"), std::string::npos);
}

TEST(WindowsSettings, NetshDynamicPort) {
  const char* text =
      "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
      "Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n";
  for (const std::string& bytes : {std::string(text), utf16le(text, true)}) {
    auto r = parse_netsh_dynamicport(bytes);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->at("DynamicPortStart"), 49152);
    EXPECT_EQ(r->at("DynamicPortNumber"), 16384);
  }
  EXPECT_FALSE(parse_netsh_dynamicport("Start Port : 60000\nNumber of Ports : 10000\n"));
  EXPECT_FALSE(parse_netsh_dynamicport("hello\n"));
}

}  // namespace
}  // namespace tw
