// SPDX-License-Identifier: Apache-2.0
// One way in for every front end (census, doctor, plan, the sampler): open an input (the live
// kernel of a namespace, a `census --save` snapshot, a text dump), ask what it tells of the host,
// then stream its sockets. The facts come first, so the port pool, the census and a snapshot's
// header are made from them before the first socket is counted; no front end is called back.
// The live input is sources/live_input.h, snapshots and dumps import/input_file.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/host_facts.h"
#include "model/result.h"
#include "model/socket.h"
#include "model/state_mask.h"

namespace tw {

struct ImportReport;  // import/import.h: what a dump held (lines skipped, formats)

// Whose live sockets: a named namespace (/run/netns/NAME), a process's namespace, or (neither)
// the namespace of the calling thread.
struct InputTarget {
  std::string netns;
  int pid = 0;
  // Chosen with --pod (sources/pod_target.h): "namespace/name", and whether that pod shares the
  // host's namespace (hostNetwork). `pid` is then one of the pod's processes.
  std::string pod;
  bool pod_host_network = false;
  // How the target is named in output (HostFacts::netns, the `netns` label): "host", the name,
  // "pid:N". Commands printed for the user enter the namespace by it, so a pod keeps "pid:N".
  std::string label() const;
  // label() and the pod, for people: "pid:N (pod shop/cart)".
  std::string title() const;
};

enum class InputKind { kLive, kSnapshot, kDump };

// Where an input's sockets go. A live read that is interrupted (the socket table changed under a
// dump, a walk that could not finish) is taken again from zero: restart() drops what was counted.
class SocketReceiver {
 public:
  virtual ~SocketReceiver() = default;
  virtual void add(const Socket& s) = 0;
  virtual void restart() = 0;
};

struct StreamReport {
  std::string source;  // "bpf", "netlink", "proc", "iphlpapi", "import:ss", a snapshot's own
  std::string note;    // a fallback, a retry, lines skipped; "" if none
  int64_t sockets = 0;
  std::shared_ptr<const ImportReport> import;  // saved inputs: what the importer read
};

class Input {
 public:
  virtual ~Input() = default;
  virtual InputKind kind() const = 0;
  // What the input tells of the host before its first socket. Live: read on the first call
  // (sysctls, sockstat, counters of the target), so a caller that waits first (doctor --interval)
  // gets today's. Saved: the snapshot's facts or what the dump's format tells (os, source). The
  // caller may complete them (the Windows settings of `doctor --windows-reg`); the stream keeps
  // `source` up to date. Fails when a saved input cannot be read at all.
  virtual Result<HostFacts*> facts() = 0;
  // Streams the sockets in `mask` (a live read asks the kernel for those alone). Once.
  virtual Result<StreamReport> stream(StateMask mask, SocketReceiver& to) = 0;
};

}  // namespace tw
