// SPDX-License-Identifier: Apache-2.0
#include "trace/sample.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace tw {

Result<TraceSummary> sample_summary(const TraceFilter& filter, double seconds,
                                    const std::function<void()>& attached,
                                    const std::function<bool()>& stop) {
  auto tracer = Tracer::open(TracerOptions{filter, true});
  if (!tracer) return fail(tracer.error());
  if (attached) attached();
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  // In slices, so a stop request (SIGTERM) ends the wait within 100 ms with what was counted.
  for (auto now = t0; now < end && !(stop && stop()); now = Clock::now())
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end - now, std::chrono::milliseconds(100)));
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  return (*tracer)->summary(elapsed);
}

}  // namespace tw
