// SPDX-License-Identifier: Apache-2.0
#include "watch/watch_loop.h"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "model/safe_text.h"
#include "os/stop_signals.h"
#include "watch/curses_screen.h"
#include "watch/frame_json.h"
#include "watch/log_block.h"
#include "watch/screen.h"
#include "watch/view_state.h"

namespace tw::watch {

namespace {

using Clock = std::chrono::steady_clock;

// When the run must end by --duration (never: max()).
Clock::time_point deadline_of(const WatchOptions& o, Clock::time_point start) {
  if (o.duration_s <= 0) return Clock::time_point::max();
  return start +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
}

// The next refresh after one due at `due`: on the beat, or an interval from now when a census
// took longer than the interval (no burst of refreshes to catch up).
Clock::time_point next_due(Clock::time_point due, std::chrono::milliseconds interval) {
  const auto now = Clock::now();
  due += interval;
  return due < now ? now + interval : due;
}

int ms_until(Clock::time_point t) {
  const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(d, 0, 1000));
}

}  // namespace

Frame next_frame(Sampler& sampler, StateMask states) {
  auto set = sampler.refresh();
  if (sampler.options().node) return build_node_frame(*set, sampler, states);
  return build_frame(*set, 0, sampler.history(0), sampler.first(0), states);
}

Status run_lines(Sampler& sampler, const WatchOptions& o, LineFormat format, std::FILE* out) {
  os::StopSignals signals;
  const auto start = Clock::now();
  const auto deadline = deadline_of(o, start);
  auto due = start;
  for (int64_t n = 1;; ++n) {
    const Frame f = next_frame(sampler, o.states);
    const std::string text =
        format == LineFormat::kJson
            ? frame_json(f, o.top).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                  "\n"
            : printable(render_log_block(f, o.top));
    std::fwrite(text.data(), 1, text.size(), out);
    if (std::fflush(out) != 0) return {};  // cli/main.cc reports the failed write
    if (o.count && n >= o.count) return {};
    due = next_due(due, o.interval);
    // In slices, so a signal that lands on a sampler thread is still seen soon.
    while (!os::stop_requested() && Clock::now() < due && Clock::now() < deadline)
      poll(nullptr, 0, std::min(ms_until(due), 100));
    if (os::stop_requested() || Clock::now() >= deadline) return {};
  }
}

Status run_screen(Sampler& sampler, const WatchOptions& o) {
  // Ctrl-C, SIGTERM and SIGHUP end the loop through the normal path, so the terminal is restored
  // (main screen, cursor shown) and the exit status is 0. Installed before ncurses starts, which
  // then leaves them alone.
  os::StopSignals signals;
  auto screen = CursesScreen::open(o.colour);
  if (!screen) return fail(screen.error());
  CursesScreen& s = **screen;
  const double interval_s = o.interval.count() / 1000.0;
  const auto start = Clock::now();
  const auto deadline = deadline_of(o, start);
  ViewState view;
  view.sort = o.sort;
  auto paint = [&](const Frame& f) { s.paint(layout(f, view, interval_s, s.width(), s.height())); };

  Frame frame = next_frame(sampler, o.states);
  int64_t taken = 1;
  auto due = next_due(start, o.interval);
  paint(frame);
  while (!os::stop_requested() && Clock::now() < deadline) {
    if (!view.paused && Clock::now() >= due) {
      if (o.count && taken >= o.count) break;
      frame = next_frame(sampler, o.states);
      ++taken;
      due = next_due(due, o.interval);
      paint(frame);
      continue;
    }
    const int key = s.read_key(view.paused ? 100 : std::min(ms_until(due), 100));
    if (key < 0) continue;
    switch (press(view, key)) {
      case KeyAction::kNone:
        break;
      case KeyAction::kQuit:
        return {};
      case KeyAction::kRefresh:
        due = Clock::now();
        [[fallthrough]];
      case KeyAction::kRedraw:
        paint(frame);
        break;
    }
  }
  return {};
}

}  // namespace tw::watch
