// SPDX-License-Identifier: Apache-2.0
#include "model/state_mask.h"

#include <fmt/format.h>

namespace tw {

namespace {

StateMask mask(std::initializer_list<TcpState> states) {
  StateMask m;
  for (TcpState s : states) m = m | StateMask::of(s);
  return m;
}

}  // namespace

StateMask StateMask::all() {
  StateMask m;
  for (int i = 0; i < kStateCount; ++i) m = m | of(state_at(i));
  return m;
}

std::string StateMask::describe() const {
  if (is_all()) return "all";
  std::string out;
  for (int i = 0; i < kStateCount; ++i) {
    if (!has(state_at(i))) continue;
    if (!out.empty()) out += ',';
    out += filter_name(state_at(i));
  }
  return out;
}

std::string_view state_names_help() {
  return "all, connected (all but listening and closed), synchronized (connected but syn-sent), "
         "bucket (syn-recv, time-wait), big (all but bucket), established, syn-sent, syn-recv, "
         "fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing";
}

const std::vector<std::string_view>& state_mask_names() {
  static const std::vector<std::string_view> names{
      "all",        "connected", "synchronized", "bucket",     "big",       "established",
      "syn-sent",   "syn-recv",  "fin-wait-1",   "fin-wait-2", "time-wait", "closed",
      "close-wait", "last-ack",  "listening",    "closing"};
  return names;
}

Result<StateMask> parse_state_mask(const std::vector<std::string>& names) {
  using S = TcpState;
  // Groups as iproute2's ss defines them (misc/ss.c: SS_CONN, "synchronized", "bucket", "big").
  const StateMask conn =
      mask({S::kEstablished, S::kSynSent, S::kSynRecv, S::kFinWait1, S::kFinWait2, S::kTimeWait,
            S::kCloseWait, S::kLastAck, S::kClosing});
  const StateMask bucket = mask({S::kSynRecv, S::kTimeWait});
  StateMask out;
  for (const std::string& raw : names) {
    std::string n;
    for (char c : raw) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (n == "all") {
      out = out | StateMask::all();
    } else if (n == "connected") {
      out = out | conn;
    } else if (n == "synchronized") {
      out = out | StateMask{conn.bits & ~StateMask::of(S::kSynSent).bits};
    } else if (n == "bucket") {
      out = out | bucket;
    } else if (n == "big") {
      out = out | StateMask{StateMask::all().bits & ~bucket.bits};
    } else if (n == "listen") {
      out = out | StateMask::of(S::kListen);
    } else if (auto s = parse_state(n)) {
      out = out | StateMask::of(*s);
    } else {
      return fail(fmt::format("unknown state '{}'; use one of: {}", raw, state_names_help()));
    }
  }
  if (names.empty()) out = StateMask::all();
  return out;
}

}  // namespace tw
