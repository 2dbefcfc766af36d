// SPDX-License-Identifier: Apache-2.0
// HostFacts of a Windows host (sources/windows_facts.h): version and name, Tcpip\Parameters,
// the dynamic port ranges, GetTcpStatisticsEx counters. Windows has no sysctls or sockstat.
// clang-format off
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>
#include <winevt.h>
// clang-format on

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "sources/host_reader.h"
#include "sources/windows_facts.h"

namespace tw {

namespace {

std::wstring wide(const std::string& s) { return std::wstring(s.begin(), s.end()); }

std::string narrow(const wchar_t* w) {
  int len = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
  if (len <= 1) return "";
  std::string out(len - 1, '\0');
  WideCharToMultiByte(CP_UTF8, 0, w, -1, out.data(), len, nullptr, nullptr);
  return out;
}

std::string error_text(DWORD code) {
  return fmt::format("{} (error {})", std::system_category().message(static_cast<int>(code)), code);
}

// GetVersionEx reports what the manifest allows; ntdll's RtlGetVersion reports the real build.
std::string windows_version() {
  using Fn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  auto fn =
      ntdll ? reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")))
            : nullptr;
  OSVERSIONINFOW v{};
  v.dwOSVersionInfoSize = sizeof v;
  if (!fn || fn(&v) != 0) return "";
  return fmt::format("{}.{}.{}", v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber);
}

// Both families, summed as Linux's Tcp counters (/proc/net/snmp) count both.
void add_tcp_statistics(HostFacts* f) {
  for (ULONG family : {AF_INET, AF_INET6}) {
    MIB_TCPSTATS s{};
    if (GetTcpStatisticsEx(&s, family) != NO_ERROR) continue;
    for (auto [name, v] : {std::pair{"Tcp.ActiveOpens", s.dwActiveOpens},
                           {"Tcp.PassiveOpens", s.dwPassiveOpens},
                           {"Tcp.AttemptFails", s.dwAttemptFails},
                           {"Tcp.EstabResets", s.dwEstabResets},
                           {"Tcp.CurrEstab", s.dwCurrEstab},
                           {"Tcp.InSegs", s.dwInSegs},
                           {"Tcp.OutSegs", s.dwOutSegs},
                           {"Tcp.RetransSegs", s.dwRetransSegs},
                           {"Tcp.InErrs", s.dwInErrs},
                           {"Tcp.OutRsts", s.dwOutRsts}})
      f->counters[name] += v;
  }
}

}  // namespace

Result<std::optional<uint32_t>> read_tcpip_parameter(const std::string& name) {
  constexpr const wchar_t* kKey = L"SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters";
  DWORD v = 0, size = sizeof v;
  LSTATUS rc = RegGetValueW(HKEY_LOCAL_MACHINE, kKey, wide(name).c_str(), RRF_RT_REG_DWORD, nullptr,
                            &v, &size);
  if (rc == ERROR_SUCCESS) return std::optional<uint32_t>(v);
  if (rc == ERROR_FILE_NOT_FOUND) {
    // The value is not set, or the whole key is missing: only the first means "default".
    HKEY k;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kKey, 0, KEY_READ, &k) != ERROR_SUCCESS)
      return fail("the key does not exist");
    RegCloseKey(k);
    return std::optional<uint32_t>();
  }
  return fail(error_text(static_cast<DWORD>(rc)));
}

Result<std::string> run_command(const std::string& command) {
  FILE* p = _popen(command.c_str(), "rb");
  if (!p) return fail(fmt::format("cannot run {}", command));
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1 << 20);)
    out.append(buf, n);
  int rc = _pclose(p);
  if (rc != 0) return fail(fmt::format("exit status {}", rc));
  return out;
}

Result<int64_t> count_system_events(int event_id, int64_t seconds) {
  EVT_HANDLE q = EvtQuery(nullptr, L"System", event_query(event_id, seconds).c_str(),
                          EvtQueryChannelPath | EvtQueryReverseDirection);
  if (!q) {
    // Wine's EvtQuery is a stub that fails without setting an error.
    DWORD err = GetLastError();
    return fail(err ? fmt::format("EvtQuery(System) failed: {}", error_text(err))
                    : std::string("EvtQuery(System) returned nothing and no error"));
  }
  int64_t n = 0;
  EVT_HANDLE events[256];
  DWORD got = 0;
  // Bounded: a log holds at most some millions of events; a count past that says enough.
  while (n < 10'000'000 && EvtNext(q, 256, events, 1000, 0, &got)) {
    for (DWORD i = 0; i < got; ++i) EvtClose(events[i]);
    n += got;
  }
  DWORD err = GetLastError();
  EvtClose(q);
  if (n < 10'000'000 && err != ERROR_NO_MORE_ITEMS)
    return fail(fmt::format("EvtNext failed: {}", error_text(err)));
  return n;
}

HostFacts read_host_facts() {
  HostFacts f;
  f.os = "windows";
  f.kernel = windows_version();
  wchar_t name[256];
  DWORD len = 256;
  if (GetComputerNameExW(ComputerNameDnsHostname, name, &len)) f.hostname = narrow(name);
  f.captured_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  // What cannot be read stays out: the doctor says "not checked" for it.
  (void)add_registry_values(read_tcpip_parameter, &f);
  (void)add_dynamic_ports(run_command, &f);
  add_tcp_statistics(&f);
  return f;
}

std::optional<std::string> read_sysctl(const std::string&) { return std::nullopt; }

}  // namespace tw
