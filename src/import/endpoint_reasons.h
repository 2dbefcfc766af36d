// SPDX-License-Identifier: Apache-2.0
// The skip reason for an endpoint that did not parse, shared by the colon-style formats.
#pragma once

#include "import/text_fields.h"

namespace tw {

inline const char* endpoint_reason(EndpointError e) {
  switch (e) {
    case EndpointError::kNoSeparator:
      return "not an ADDRESS:PORT endpoint";
    case EndpointError::kBadPort:
      return "bad port number";
    case EndpointError::kTooManyNames:
      return "more distinct host and service names than timewait keeps (capture with -n)";
    case EndpointError::kBadAddress:
    case EndpointError::kNone:
      break;
  }
  return "bad IP address";
}

}  // namespace tw
