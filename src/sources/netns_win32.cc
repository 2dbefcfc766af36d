// SPDX-License-Identifier: Apache-2.0
// Network namespaces are Linux's: the Windows build refuses --netns and --pid with this sentence
// (cli/ marks them "Linux only" in --help first).
#include "sources/netns.h"

namespace tw {

namespace {
constexpr const char* kLinuxOnly =
    "network namespaces are Linux's: on Windows timewait reads the host's own TCP table; leave "
    "--netns and --pid out";
}

Status enter_netns_by_name(const std::string&) { return fail(kLinuxOnly); }
Status enter_netns_of_pid(int) { return fail(kLinuxOnly); }
Result<uint64_t> netns_inode_by_name(const std::string&) { return fail(kLinuxOnly); }
Result<uint64_t> netns_inode_of_self() { return fail(kLinuxOnly); }
uint64_t netns_cookie_of_self() { return 0; }
Result<NetnsIdentity> netns_identity_of_self(const std::string&, const std::string&) {
  return fail(kLinuxOnly);
}

}  // namespace tw
