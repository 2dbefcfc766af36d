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

namespace tw {

// Writes a snapshot to `path` atomically: sockets stream to a temporary file beside it, which is
// renamed over `path` only by finish(). A writer destroyed without finish() leaves nothing.
class SnapshotWriter {
 public:
  ~SnapshotWriter();
  static Result<std::unique_ptr<SnapshotWriter>> open(const std::string& path,
                                                      const HostFacts& facts);
  void add(const Socket& s);
  Status finish();

 private:
  SnapshotWriter() = default;
  std::string path_, tmp_;
  FILE* f_ = nullptr;
  bool first_ = true;
  int64_t count_ = 0;
};

// True if the text starts like a snapshot (a JSON object with "format": "timewait-snapshot").
bool looks_like_snapshot(std::string_view head);

// Reads a snapshot; facts are filled, sockets streamed to the sink.
Status read_snapshot(const std::string& path, HostFacts* facts, const SocketSink& sink);

}  // namespace tw
