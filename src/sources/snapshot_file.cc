#include "sources/snapshot_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/host_facts_json.h"

namespace tw {

using nlohmann::json;

namespace {
constexpr const char* kFormat = "timewait-snapshot";
constexpr int kVersion = 1;
}  // namespace

SnapshotWriter::~SnapshotWriter() {
  if (f_) {
    fclose(f_);
    unlink(tmp_.c_str());
  }
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotWriter::open(const std::string& path,
                                                             const HostFacts& facts) {
  std::unique_ptr<SnapshotWriter> w(new SnapshotWriter);
  w->path_ = path;
  w->tmp_ = fmt::format("{}.tmp-{}", path, getpid());
  w->f_ = fopen(w->tmp_.c_str(), "w");
  if (!w->f_)
    return fail(
        fmt::format("cannot write snapshot next to {}: {} (check the directory exists "
                    "and is writable)",
                    path, std::strerror(errno)));
  fmt::print(w->f_, "{{\"format\":\"{}\",\"version\":{},\n\"facts\":{},\n\"sockets\":[", kFormat,
             kVersion, facts_to_json(facts).dump());
  return w;
}

void SnapshotWriter::add(const Socket& s) {
  // One socket a line, compact: a million sockets make a ~120 MB file that diff and grep can read.
  fmt::print(f_, "{}\n{{\"state\":\"{}\",\"local\":\"{}\",\"remote\":\"{}\"", first_ ? "" : ",",
             ss_name(s.state), s.local.to_string(), s.remote.to_string());
  first_ = false;
  if (s.timer_ms >= 0) fmt::print(f_, ",\"timer_ms\":{}", s.timer_ms);
  if (s.mini) fmt::print(f_, ",\"mini\":true");
  if (s.uid) fmt::print(f_, ",\"uid\":{}", s.uid);
  if (s.inode) fmt::print(f_, ",\"inode\":{}", s.inode);
  if (s.pid >= 0) fmt::print(f_, ",\"pid\":{}", s.pid);
  if (!s.original_state.empty())
    fmt::print(f_, ",\"original_state\":{}", json(std::string(s.original_state)).dump());
  fmt::print(f_, "}}");
  ++count_;
}

Status SnapshotWriter::finish() {
  fmt::print(f_, "\n],\n\"socket_count\":{}}}\n", count_);
  bool ok = fflush(f_) == 0 && fsync(fileno(f_)) == 0;
  ok = fclose(f_) == 0 && ok;
  f_ = nullptr;
  if (!ok || rename(tmp_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    unlink(tmp_.c_str());
    return fail(fmt::format("writing snapshot {} failed: {}", path_, std::strerror(err)));
  }
  return {};
}

bool looks_like_snapshot(std::string_view head) {
  size_t b = head.find_first_not_of(" \t\r\n");
  return b != std::string_view::npos && head[b] == '{' &&
         head.find(std::string("\"") + kFormat + "\"") != std::string_view::npos;
}

namespace {

Result<Socket> socket_from_json(const json& j, std::string* original) {
  Socket s;
  auto state = parse_state(j.value("state", ""));
  if (!state) return fail(fmt::format("unknown state {}", j.value("state", "\"\"")));
  s.state = *state;
  // Endpoint::parse also takes the host and service names of a dump captured without -n.
  auto endpoint = [](const std::string& text, Endpoint* ep) {
    auto e = Endpoint::parse(text);
    if (e) *ep = *e;
    return e.has_value();
  };
  if (!endpoint(j.value("local", ""), &s.local)) return fail("bad \"local\" endpoint");
  if (!endpoint(j.value("remote", ""), &s.remote)) return fail("bad \"remote\" endpoint");
  s.timer_ms = j.value("timer_ms", int64_t{-1});
  s.mini = j.value("mini", false);
  s.uid = j.value("uid", uint32_t{0});
  s.inode = j.value("inode", uint64_t{0});
  s.pid = j.value("pid", int32_t{-1});
  *original = j.value("original_state", "");
  s.original_state = *original;
  return s;
}

}  // namespace

Status read_snapshot(const std::string& path, HostFacts* facts, const SocketSink& sink) {
  std::ifstream in(path);
  if (!in) return fail(fmt::format("cannot open snapshot {}: {}", path, std::strerror(errno)));
  std::string error;
  int64_t index = 0;
  bool saw_format = false, saw_facts = false;
  std::string original;
  std::string key;  // the top-level member being parsed
  // The parser callback hands over each socket object as soon as it is parsed and discards it,
  // so a snapshot of a million sockets is read in constant memory.
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (!error.empty()) return false;
    if (event == json::parse_event_t::key && depth == 1) key = parsed.get<std::string>();
    if (event == json::parse_event_t::object_end && depth == 2 && key == "sockets") {
      ++index;
      auto s = socket_from_json(parsed, &original);
      if (!s) {
        error = fmt::format("{}: socket #{}: {}", path, index, s.error());
        return false;
      }
      sink(*s);
      return false;
    }
    if (event == json::parse_event_t::value && depth == 1 && key == "format" &&
        parsed.is_string() && parsed.get<std::string>() == kFormat)
      saw_format = true;
    if (event == json::parse_event_t::object_end && depth == 1 && key == "facts") {
      auto f = facts_from_json(parsed);
      if (!f) {
        error = fmt::format("{}: {}", path, f.error());
        return false;
      }
      *facts = *f;
      saw_facts = true;
      return false;
    }
    return true;
  };
  try {
    [[maybe_unused]] json root = json::parse(in, cb, /*allow_exceptions=*/true);  // all discarded
  } catch (const json::exception& e) {
    if (error.empty()) error = fmt::format("{} is not valid snapshot JSON: {}", path, e.what());
  }
  if (!error.empty()) return fail(error);
  if (!saw_format)
    return fail(fmt::format("{} is JSON but not a timewait snapshot (no \"format\": \"{}\")", path,
                            kFormat));
  if (!saw_facts) return fail(fmt::format("{}: snapshot has no \"facts\" object", path));
  return {};
}

}  // namespace tw
