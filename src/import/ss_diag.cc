// SPDX-License-Identifier: Apache-2.0
#include "import/ss_diag.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/unique_fd.h"
#include "sources/netlink_diag.h"

namespace tw {

Result<ImportReport> import_ss_diag(const std::string& shown, LineReader* reader, HostFacts* facts,
                                    const SocketSink& sink) {
  if (!looks_like_inet_diag(reader->first_block()))
    return fail(fmt::format(
        "{} is not an `ss -D` dump: it does not start with an inet_diag message (make one with "
        "`ss -D FILE -ta`, or leave --format out to detect the format)",
        shown));
  ImportReport report;
  report.format = std::string(kSsDiagFormat);
  facts->os = "linux";
  facts->source = "import:" + report.format;
  std::string buf = reader->first_block();
  const int fd = reader->release_fd();
  os::UniqueFd owned(fd > STDERR_FILENO ? fd : -1);  // standard input stays open
  bool eof = false;
  int64_t done = 0, other = 0;
  std::string error;
  while (error.empty()) {
    InetDiagBuffer r = parse_inet_diag_buffer(buf, sink);
    report.sockets += r.sockets;
    done += r.done;
    other += r.other;
    error = r.error;
    buf.erase(0, r.used);
    if (eof || !error.empty()) break;
    char block[64 * 1024];
    ssize_t n = read(fd, block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = std::strerror(errno);
    if (n <= 0) {
      eof = true;
      continue;  // parse what is left once more
    }
    buf.append(block, static_cast<size_t>(n));
  }
  if (!error.empty())
    return fail(fmt::format("cannot read {} as an `ss -D` dump: {} (after {} sockets)", shown,
                            error, report.sockets));
  if (!buf.empty())
    return fail(fmt::format(
        "{} ends inside a message ({} bytes left over after {} sockets): the dump was cut short; "
        "capture it again with `ss -D FILE -ta`",
        shown, buf.size(), report.sockets));
  report.lines = report.sockets + done + other;
  if (other)
    report.ignored = other, report.ignore_reasons["messages without an IPv4/IPv6 socket"] = other;
  // ss writes NLMSG_DONE after each family's dump: without one the file may stop early.
  if (!done) report.warnings["no end-of-dump message: the file may have been cut short"] = 1;
  return report;
}

}  // namespace tw
