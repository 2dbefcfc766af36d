// SPDX-License-Identifier: Apache-2.0
// Scenario `syn-into-timewait`: what a server holding TIME_WAIT for a 4-tuple does with a new SYN
// for that same 4-tuple. Linux (tcp_timewait_state_process) accepts it when it is not
// PAWS-rejected and its sequence number is above the old connection's rcv_nxt or its timestamp is
// newer than the last one seen (RFC 6191; RFC 1122 4.2.2.13); otherwise it answers with the
// TIME_WAIT's ACK and opens nothing.
#pragma once

#include <string>

#include "lab/scenario.h"

namespace tw::lab {

struct SynAnswer {
  std::string label;  // "lower seq, older timestamp"
  bool expect_accept = false;
  std::string answer;     // the server's first answer: "SYN-ACK", "ACK", "RST" or "none"
  bool accepted = false;  // the server answered SYN-ACK: a new connection was being opened
  // Server counter deltas: a PAWS reject in TIME_WAIT counts in PAWSTimewait since Linux 6.15,
  // in PAWSEstab before.
  int64_t paws_estab = 0, paws_timewait = 0;
  std::string detail;  // seq/ack/timestamp numbers
};

struct SynIntoTimeWait {
  bool timestamps = true;
  int64_t server_time_wait_before = 0;  // census: TIME_WAIT for the 4-tuple before the reconnect
  double reconnect_ms = -1;             // connect() from the same port at once
  std::string reconnect_answer;         // the server's answer to that SYN
  std::vector<SynAnswer> probes;        // raw SYNs
};

Result<SynIntoTimeWait> measure_syn_into_timewait(bool timestamps);
Result<ScenarioResult> run_syn_into_timewait(const LabOptions& options);

}  // namespace tw::lab
