// SPDX-License-Identifier: Apache-2.0
// Scenario `lost-last-ack`: why TIME_WAIT exists. The active closer's final ACK is dropped once by
// an nftables rule in its namespace; the passive closer, in LAST_ACK, retransmits its FIN after
// its RTO, the active closer answers it from TIME_WAIT, and the passive side closes cleanly. Then
// the active closer aborts instead (SO_LINGER 0, an RST), and the passive side gets an error.
#pragma once

#include <cstdint>

#include "lab/scenario.h"

namespace tw::lab {

struct LostAckOutcome {
  int trials = 0;
  // Normal close with the final ACK dropped once.
  int64_t final_acks_dropped = 0;   // nft counter in the client's output hook
  int64_t server_fins = 0;          // FINs of the server that reached the client (2 a trial)
  int64_t acks_from_time_wait = 0;  // ACKs the client sent after the drop: TIME_WAIT answering
  int64_t server_retransmits = 0;   // Tcp.RetransSegs of the server namespace
  int64_t client_resets_sent = 0;   // Tcp.OutRsts of the client namespace
  int clean_closes = 0;             // passive side reached CLOSE with SO_ERROR 0
  int close_errors = 0;             // passive side reached CLOSE with an error
  double mean_close_ms = 0;         // passive side: shutdown(SHUT_WR) to CLOSE
  int64_t client_time_wait = 0;     // census of the client namespace after the trials
  int64_t server_not_closed = 0;    // server sockets of the port still open (LAST_ACK, ...)
  // The active closer aborts with SO_LINGER 0.
  int resets_seen = 0;   // the passive side's read() failed with ECONNRESET
  int linger_other = 0;  // it saw something else (EOF, timeout)
  int64_t linger_client_time_wait = 0;
  int64_t linger_resets_sent = 0;  // Tcp.OutRsts of the client namespace
};

// `trials` of each variant in one fresh client/server pair; each normal trial takes about one
// RTO (~200 ms).
Result<LostAckOutcome> measure_lost_last_ack(int trials);

Result<ScenarioResult> run_lost_last_ack(const LabOptions& options);

}  // namespace tw::lab
