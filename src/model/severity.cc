// SPDX-License-Identifier: Apache-2.0
#include "model/severity.h"

namespace tw {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

}  // namespace tw
