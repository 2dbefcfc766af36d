// SPDX-License-Identifier: Apache-2.0
#include "trace/sample.h"

#include <chrono>
#include <thread>

namespace tw {

Result<TraceSummary> sample_summary(const TraceFilter& filter, double seconds,
                                    const std::function<void()>& attached) {
  auto tracer = Tracer::open(TracerOptions{filter, true});
  if (!tracer) return fail(tracer.error());
  if (attached) attached();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return (*tracer)->summary(elapsed);
}

}  // namespace tw
