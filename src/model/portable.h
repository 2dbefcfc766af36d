// SPDX-License-Identifier: Apache-2.0
// The few POSIX names the shared code uses (address families, inet_ntop/inet_pton, byte order,
// open() flags), from the platform's own headers: the same source builds for Linux and, with
// mingw-w64, for Windows (docs/ARCHITECTURE.md, "Platform split").
#pragma once

#ifdef _WIN32
#include <fcntl.h>
#include <winsock2.h>
#include <ws2tcpip.h>
// Windows opens files in text mode unless told: CRs would vanish and ^Z end the file, so every
// input is read as bytes. No descriptor is inherited by a child there unless asked for.
#ifndef O_CLOEXEC
#define O_CLOEXEC O_BINARY
#endif
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif
