// SPDX-License-Identifier: Apache-2.0
#include "plan/from_trace.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/format.h"
#include "model/safe_text.h"

namespace tw::plan {

namespace {

using nlohmann::json;

// A stream's lines are counted as they are read, so its size bounds time, not memory; the
// summary document is held whole (16,384 flows of ~500 bytes each at most, docs/trace.md).
constexpr uint64_t kMaxStreamBytes = uint64_t{1} << 30;
constexpr size_t kMaxDocumentBytes = size_t{32} << 20;
constexpr size_t kMaxLine = 64 << 10;
constexpr int kMaxDepth = 4;          // {"flows": [{"failed_connects": {...}}]}
constexpr size_t kMaxTuples = 65536;  // the tracer's owner map: more is not one trace
constexpr size_t kMaxErrnoName = 32;

// A value from the file, echoed in a message: short and escaped.
std::string shown(std::string_view text, size_t max) { return printable_line(clipped(text, max)); }

const char* const kWhat = "give the output of `timewait trace --json` (docs/trace.md)";

// The stream's lines, bounded in length and in total.
class Lines {
 public:
  explicit Lines(std::istream& in) : in_(in), buf_(kMaxLine + 2) {}
  // The next line without its end (CR LF or LF); false at the end or on an error (*err).
  bool next(std::string_view* line, std::string* err) {
    if (!in_.good()) return false;
    in_.getline(buf_.data(), std::streamsize(buf_.size()));
    const auto n = size_t(in_.gcount());
    if (in_.fail() && !in_.eof()) {
      *err = fmt::format("line {}: longer than {} KiB; {}", number_ + 1, kMaxLine >> 10, kWhat);
      return false;
    }
    if (n == 0 && in_.eof()) return false;
    ++number_;
    bytes_ += n;
    if (bytes_ > kMaxStreamBytes) {
      *err = fmt::format("larger than {} GiB; {}", kMaxStreamBytes >> 30, kWhat);
      return false;
    }
    size_t len = in_.eof() ? n : n - 1;  // gcount counts the newline it took
    while (len > 0 && (buf_[len - 1] == '\r' || buf_[len - 1] == '\0')) --len;
    *line = std::string_view(buf_.data(), len);
    return true;
  }
  size_t number() const { return number_; }
  std::istream& stream() { return in_; }

 private:
  std::istream& in_;
  std::vector<char> buf_;
  size_t number_ = 0;
  uint64_t bytes_ = 0;
};

std::optional<json> parse_bounded(std::string_view text, bool* too_deep) {
  *too_deep = false;
  json j = json::parse(
      text,
      [&](int depth, json::parse_event_t, json&) {
        *too_deep = *too_deep || depth > kMaxDepth;
        return !*too_deep;
      },
      false);
  if (*too_deep || j.is_discarded()) return std::nullopt;
  return j;
}

// Members read with their place named in the message.
Result<std::string> string_member(const json& o, const char* name, const std::string& where) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string())
    return fail(fmt::format("{}: \"{}\" is missing or not a string; {}", where, name, kWhat));
  return it->get<std::string>();
}

Result<uint64_t> count_value(const json& v, const std::string& where) {
  if (!v.is_number_unsigned())
    return fail(fmt::format("{}: not a count (a whole number >= 0); {}", where, kWhat));
  return v.get<uint64_t>();
}

Result<double> seconds_member(const json& o, const std::string& where) {
  auto it = o.find("seconds");
  if (it == o.end() || !it->is_number() || !std::isfinite(it->get<double>()) ||
      it->get<double>() <= 0 || it->get<double>() > 366 * 86400.0)
    return fail(fmt::format(
        "{}: \"seconds\" is missing or not a duration (0 < seconds <= a year); {}", where, kWhat));
  return it->get<double>();
}

Result<uint64_t> lost_member(const json& o, const std::string& where) {
  auto it = o.find("lost");
  if (it == o.end() || !it->is_object())
    return fail(fmt::format("{}: \"lost\" is missing or not an object; {}", where, kWhat));
  uint64_t total = 0;
  for (const auto& [k, v] : it->items()) {
    auto n = count_value(v, fmt::format("{}, lost.{}", where, shown(k, 32)));
    if (!n) return fail(n.error());
    total += *n;
  }
  return total;
}

Result<Endpoint> endpoint_member(const json& o, const char* name, const std::string& where) {
  auto text = string_member(o, name, where);
  if (!text) return fail(text.error());
  if (auto e = Endpoint::parse(*text); e && !e->is_named()) return *e;
  if (auto a = Address::parse(*text); a && !a->is_name()) return Endpoint{*a, 0};
  return fail(
      fmt::format("{}: \"{}\" is not an address: '{}'; {}", where, name, shown(*text, 64), kWhat));
}

Result<std::string> errno_name(const std::string& name, const std::string& where) {
  const bool ok = !name.empty() && name.size() <= kMaxErrnoName &&
                  name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == name.npos;
  if (!ok)
    return fail(fmt::format("{}: '{}' is not an errno name (EADDRNOTAVAIL, ...); {}", where,
                            shown(name, 64), kWhat));
  return name;
}

// Counts keyed by tuple, bounded in number.
class Tally {
 public:
  Result<TracedTuple*> at(const Endpoint& local, const Endpoint& remote, const std::string& where) {
    const Address l = local.addr.unmapped_v4();
    Endpoint r = remote;
    r.addr = r.addr.unmapped_v4();
    auto it = index_.find({l, r});
    if (it != index_.end()) return &tuples_[it->second];
    if (tuples_.size() >= kMaxTuples)
      return fail(fmt::format("{}: more than {} client tuples; {}", where, kMaxTuples, kWhat));
    index_.emplace(std::pair{l, r}, tuples_.size());
    tuples_.push_back(TracedTuple{l, r, 0, {}});
    return &tuples_.back();
  }
  std::vector<TracedTuple> take() { return std::move(tuples_); }

 private:
  std::vector<TracedTuple> tuples_;
  std::map<std::pair<Address, Endpoint>, size_t> index_;
};

// The --summary document: {"seconds", "lost", "flows": [{"role", "local", "remote", "connects",
// "failed_connects": {...}}, ...]}.
Result<TraceCounts> from_document(const json& j) {
  if (!j.is_object() || !j.contains("flows"))
    return fail(
        fmt::format("not a trace: an object with \"flows\" or JSON lines of events; {}", kWhat));
  TraceCounts out;
  auto seconds = seconds_member(j, "the summary");
  if (!seconds) return fail(seconds.error());
  out.seconds = *seconds;
  auto lost = lost_member(j, "the summary");
  if (!lost) return fail(lost.error());
  out.lost = *lost;
  const json& flows = j["flows"];
  if (!flows.is_array()) return fail(fmt::format("\"flows\" is not an array; {}", kWhat));
  Tally tally;
  for (size_t i = 0; i < flows.size(); ++i) {
    const json& f = flows[i];
    const std::string where = fmt::format("flows[{}]", i);
    if (!f.is_object()) return fail(fmt::format("{}: not an object; {}", where, kWhat));
    auto role = string_member(f, "role", where);
    if (!role) return fail(role.error());
    if (*role != "client") continue;  // servers and unknown sockets make no connect()
    auto local = endpoint_member(f, "local", where);
    if (!local) return fail(local.error());
    auto remote = endpoint_member(f, "remote", where);
    if (!remote) return fail(remote.error());
    if (!f.contains("connects") || !f.contains("failed_connects") ||
        !f["failed_connects"].is_object())
      return fail(
          fmt::format("{}: \"connects\" or \"failed_connects\" is missing; {}", where, kWhat));
    auto connects = count_value(f["connects"], where + ", connects");
    if (!connects) return fail(connects.error());
    auto t = tally.at(*local, *remote, where);
    if (!t) return fail(t.error());
    (*t)->connects += *connects;
    for (const auto& [err, v] : f["failed_connects"].items()) {
      auto name = errno_name(err, where + ", failed_connects");
      if (!name) return fail(name.error());
      auto n = count_value(v, fmt::format("{}, failed_connects.{}", where, *name));
      if (!n) return fail(n.error());
      (*t)->failed[*name] += *n;
    }
  }
  out.tuples = tally.take();
  return out;
}

// One line of the stream. Connects are the SYN_SENT -> ESTABLISHED transitions (as --summary
// counts them), failures the connect-failed events; the "end" line gives the seconds.
Status add_event(const json& e, const std::string& where, Tally* tally, TraceCounts* out,
                 bool* ended) {
  if (!e.is_object()) return fail(fmt::format("{}: not a JSON object; {}", where, kWhat));
  auto kind = string_member(e, "event", where);
  if (!kind) return fail(kind.error());
  if (*ended)
    return fail(
        fmt::format("{}: more after the \"end\" line; give the output of one trace", where));
  if (*kind == "end") {
    auto seconds = seconds_member(e, where);
    if (!seconds) return fail(seconds.error());
    auto lost = lost_member(e, where);
    if (!lost) return fail(lost.error());
    out->seconds = *seconds;
    out->lost = *lost;
    *ended = true;
    return {};
  }
  if (*kind == "bind-failed" || *kind == "bind-before-connect") return {};
  if (*kind != "state" && *kind != "connect-failed")
    return fail(fmt::format("{}: unknown event '{}'; {}", where, shown(*kind, 32), kWhat));
  if (*kind == "state") {
    auto from = string_member(e, "from", where);
    if (!from) return fail(from.error());
    auto to = string_member(e, "to", where);
    if (!to) return fail(to.error());
    if (*from != "SYN_SENT" || *to != "ESTABLISHED") return {};
  }
  auto local = endpoint_member(e, "local", where);
  if (!local) return fail(local.error());
  auto remote = endpoint_member(e, "remote", where);
  if (!remote) return fail(remote.error());
  auto t = tally->at(*local, *remote, where);
  if (!t) return fail(t.error());
  if (*kind == "state") {
    ++(*t)->connects;
    return {};
  }
  auto err = string_member(e, "errno", where);
  if (!err) return fail(err.error());
  auto name = errno_name(*err, where);
  if (!name) return fail(name.error());
  ++(*t)->failed[*name];
  return {};
}

}  // namespace

Result<TraceCounts> parse_trace(std::istream& in) {
  Lines lines(in);
  std::string_view line;
  std::string err;
  bool too_deep = false;
  // The first line tells the form: a whole event object is a stream, anything else (the
  // summary's "{" of an indented document) starts the document.
  std::string first;
  while (lines.next(&line, &err))
    if (line.find_first_not_of(" \t") != line.npos) {
      first = line;
      break;
    }
  if (!err.empty()) return fail(err);
  if (first.empty()) return fail(fmt::format("empty; {}", kWhat));
  std::optional<json> j = parse_bounded(first, &too_deep);
  if (j && j->is_object() && j->contains("event")) {
    TraceCounts out;
    out.streamed = true;
    Tally tally;
    bool ended = false;
    const std::string where = fmt::format("line {}", lines.number());
    if (auto st = add_event(*j, where, &tally, &out, &ended); !st) return fail(st.error());
    while (lines.next(&line, &err)) {
      if (line.find_first_not_of(" \t") == line.npos) continue;
      const std::string at = fmt::format("line {}", lines.number());
      std::optional<json> e = parse_bounded(line, &too_deep);
      if (!e)
        return fail(fmt::format("{}: {}; {}", at,
                                too_deep ? fmt::format("nested deeper than {} levels", kMaxDepth)
                                         : std::string("not valid JSON"),
                                kWhat));
      if (auto st = add_event(*e, at, &tally, &out, &ended); !st) return fail(st.error());
    }
    if (!err.empty()) return fail(err);
    if (!ended)
      return fail(
          "no \"end\" line: the trace was cut short, so its duration is unknown (trace writes it "
          "when it stops: give --duration S, or stop it with Ctrl-C)");
    out.tuples = tally.take();
    return out;
  }
  // The document: what is left, bounded.
  std::string text = first;
  text += '\n';
  std::istream& rest = lines.stream();
  if (rest.good()) {
    const size_t room =
        kMaxDocumentBytes + 1 > text.size() ? kMaxDocumentBytes + 1 - text.size() : 0;
    std::string more(room, '\0');
    rest.read(more.data(), std::streamsize(room));
    more.resize(size_t(rest.gcount()));
    text += more;
  }
  if (text.size() > kMaxDocumentBytes)
    return fail(
        fmt::format("larger than {} MiB and not JSON lines; {}", kMaxDocumentBytes >> 20, kWhat));
  j = parse_bounded(text, &too_deep);
  if (!j)
    return fail(fmt::format("{}; {}",
                            too_deep ? fmt::format("nested deeper than {} levels", kMaxDepth)
                                     : std::string("not valid JSON"),
                            kWhat));
  return from_document(*j);
}

Result<TraceCounts> read_trace_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail("cannot open the file; give the file `timewait trace --json` wrote");
  return parse_trace(f);
}

Result<TracedDemand> demand_toward(const TraceCounts& t, const MeasuredTuple& tuple) {
  const Address local = tuple.local.unmapped_v4();
  Endpoint remote = tuple.remote;
  remote.addr = remote.addr.unmapped_v4();
  TracedDemand d;
  d.seconds = t.seconds;
  d.lost = t.lost;
  for (const TracedTuple& c : t.tuples) {
    if (c.remote != remote) continue;
    // An unbound socket's failed connect() names no source address: it counts toward the
    // destination's tuple, which is this one when one address talks to it.
    const bool failures = c.local == local || c.local.is_unspecified();
    if (c.local == local) d.connects += c.connects;
    if (failures)
      for (const auto& [err, n] : c.failed) d.failed[err] += n;
  }
  if (d.connects + d.failed_total() == 0)
    return fail(fmt::format(
        "counted no connect() from {} toward {}, the tuple the snapshot's rate is of; trace the "
        "same host and traffic as the snapshot",
        local.to_string(), remote.to_string()));
  return d;
}

Status apply_trace(const TraceCounts& t, const std::string& file, PlanInput* in) {
  if (!in->tuple)
    return fail("the demand is taken toward the tuple --from measured; give --from SNAPSHOT too");
  auto d = demand_toward(t, *in->tuple);
  if (!d) return fail(d.error());
  d->file = file;
  in->rate = d->rate();
  in->traced_demand = *d;
  in->from += fmt::format("; demand from trace {}", file);
  // What the pool let through no longer stands in for the demand; lost counts make the traced
  // demand itself a lower bound.
  in->rate_lower_bound.clear();
  if (d->lost)
    in->rate_lower_bound = fmt::format(
        "at least {:.2f}/s: the trace lost {} counts (its maps or ring buffer were full), so "
        "connect() calls are missing from it",
        in->rate, with_commas(int64_t(d->lost)));
  return {};
}

}  // namespace tw::plan
