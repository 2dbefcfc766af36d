// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the importers: any bytes, read as a dump through import_file() (the line
// reader, encoding and binary checks, detection and every parser), must give a report or an
// error sentence: never a crash, a hang, a leak or a read of freed memory. Built by
// cmake/fuzz.cmake (TIMEWAIT_FUZZ=ON, clang); how to run it: docs/import.md.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "import/formats.h"
#include "import/import.h"
#include "os/unique_fd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte chooses the options: detect or force a format (ss-diag included), strict or
  // not, an implied state.
  tw::ImportOptions o;
  if (size > 0) {
    uint8_t c = data[0];
    auto names = tw::import_format_names();
    size_t pick = c & 0x0f;
    if (pick < names.size() && names[pick] != "snapshot") o.format = names[pick];
    o.strict = c & 0x10;
    if (c & 0x20) o.implied_state = tw::TcpState::kTimeWait;
    ++data;
    --size;
  }
  const tw::os::UniqueFd owned(memfd_create("twimp-fuzz", MFD_CLOEXEC));
  const int fd = owned.get();
  if (!owned) return 0;
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  o.path = "/proc/self/fd/" + std::to_string(fd);
  tw::HostFacts facts;
  uint64_t sum = 0;
  auto r = tw::import_file(o, &facts, [&](const tw::Socket& s) {
    // Touch everything the sink may read, so ASan sees a dangling original_state or owner (held
    // back across lines for netstat -b), and print the endpoints (names come from the table).
    for (char ch : s.original_state) sum += static_cast<unsigned char>(ch);
    for (char ch : s.command) sum += static_cast<unsigned char>(ch);
    sum += s.local.port + s.remote.port + static_cast<int>(s.state);
    sum += s.local.to_string().size() + s.remote.to_string().size();
  });
  if (r) {
    if (r->skipped_examples.size() > 10 || r->skipped < 0 || r->sockets < 0) __builtin_trap();
    (void)tw::describe_import(*r);
  } else if (r.error().empty()) {
    __builtin_trap();  // every failure is a sentence
  }
  return sum == 0xdeadbeef ? 1 : 0;
}
