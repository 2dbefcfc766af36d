// SPDX-License-Identifier: Apache-2.0
// A Windows test helper (run under wine): puts loopback sockets into known states, IPv4 and IPv6,
// prints "ready", and holds them until the file named by its argument exists (at most 120 s).
// Per family: a listener; a connection kept open (2 ESTABLISHED); one whose client closed
// (CLOSE_WAIT at the server, FIN_WAIT2 at the client); one closed client first, then server
// (TIME_WAIT at the client).
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
// clang-format on

#include <cstdio>
#include <cstring>
#include <filesystem>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "make_sockets: %s failed: %d\n", what, WSAGetLastError());
  std::exit(1);
}

void make(int family, const char* loopback) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (WSAStringToAddressA(const_cast<char*>(loopback), family, nullptr,
                          reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    die("WSAStringToAddress");
  SOCKET l = socket(family, SOCK_STREAM, IPPROTO_TCP);
  if (l == INVALID_SOCKET || bind(l, reinterpret_cast<sockaddr*>(&ss), len) != 0) die("bind");
  if (listen(l, 16) != 0) die("listen");
  if (getsockname(l, reinterpret_cast<sockaddr*>(&ss), &len) != 0) die("getsockname");
  auto pair = [&](SOCKET* client, SOCKET* server) {
    *client = socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (connect(*client, reinterpret_cast<sockaddr*>(&ss), len) != 0) die("connect");
    *server = accept(l, nullptr, nullptr);
    if (*server == INVALID_SOCKET) die("accept");
  };
  SOCKET c1, s1, c2, s2, c3, s3;
  pair(&c1, &s1);  // both ESTABLISHED, held
  pair(&c2, &s2);
  closesocket(c2);  // s2 CLOSE_WAIT, held
  pair(&c3, &s3);
  shutdown(c3, SD_SEND);
  Sleep(50);
  closesocket(s3);
  closesocket(c3);  // c3 TIME_WAIT once s3's FIN arrived
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_sockets STOPFILE\n");
    return 2;
  }
  WSADATA w;
  if (WSAStartup(MAKEWORD(2, 2), &w) != 0) return 1;
  make(AF_INET, "127.0.0.1");
  make(AF_INET6, "::1");
  Sleep(200);  // the last FINs and ACKs cross loopback
  std::printf("ready\n");
  std::fflush(stdout);
  for (int i = 0; i < 1200 && !std::filesystem::exists(argv[1]); ++i) Sleep(100);
  return 0;
}
