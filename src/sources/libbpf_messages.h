// SPDX-License-Identifier: Apache-2.0
// libbpf's messages, kept for our one-line errors instead of printed on stderr. For the files
// built with BPF (`*_bpf.cc`): the tracer and the socket-table iterator.
#pragma once

#include <string>

namespace tw {

// Routes libbpf's output here: its last warning is kept, the rest dropped, unless
// TIMEWAIT_LIBBPF_LOG=1 (then everything, the verifier's log included, goes to stderr).
void keep_libbpf_messages();

// "what: strerror(err) (libbpf: last warning)".
std::string libbpf_why(const char* what, int err);

}  // namespace tw
