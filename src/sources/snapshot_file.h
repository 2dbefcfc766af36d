// SPDX-License-Identifier: Apache-2.0
// The JSON snapshot written by `census --save` and read by `census --from` and `doctor --from`:
// host facts plus every socket, so a census or the doctor can run offline on another machine.
// Schema: docs/json.md ("snapshot").
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "model/host_facts.h"
#include "model/result.h"
#include "model/socket.h"
#include "sources/output_file.h"

namespace tw {

// Writes a snapshot to `path` through OutputFile (atomically; "-" is standard output). The header
// is written with the first socket or by finish(), so facts() can still be completed (the live
// source is known only once the dump starts). A writer destroyed without finish() leaves nothing.
class SnapshotWriter {
 public:
  // Errors are about the path (bad input); finish() reports failed writes.
  static Result<std::unique_ptr<SnapshotWriter>> open(const std::string& path,
                                                      const HostFacts& facts);
  HostFacts& facts() { return facts_; }
  void add(const Socket& s);
  Status finish();

 private:
  SnapshotWriter() = default;
  void header();
  std::unique_ptr<OutputFile> out_;
  HostFacts facts_;
  bool header_written_ = false;
  int64_t count_ = 0;
};

// True if the text starts like a snapshot (a JSON object with "format": "timewait-snapshot").
bool looks_like_snapshot(std::string_view head);

// Reads a snapshot; facts are filled, sockets streamed to the sink.
Status read_snapshot(const std::string& path, HostFacts* facts, const SocketSink& sink);

}  // namespace tw
