// SPDX-License-Identifier: Apache-2.0
// `plan --from SNAPSHOT`: today's traffic and settings taken from a census (of a snapshot or a
// dump): the busiest outbound tuple's TIME_WAIT creation rate as the rate toward one
// destination, the port pool, TIME_WAIT length, tcp_tw_reuse, timestamps and reuse delay in
// force. Flags given next to --from override what it sets.
#pragma once

#include "census/census.h"
#include "model/host_facts.h"
#include "plan/plan_input.h"

namespace tw::plan {

// The census must be grouped by tuple and have measured port pressure (a pool). Fails when no
// outbound tuple holds TIME_WAIT sockets, saying to give --rate.
Status apply_census(const Census& census, const HostFacts& facts, PlanInput* in);

}  // namespace tw::plan
