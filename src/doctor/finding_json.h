// SPDX-License-Identifier: Apache-2.0
// A finding's data between JSON, which the rules build it as and the renderers write, and the
// plain DataValue a Finding carries (doctor/finding.h).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "doctor/finding.h"

namespace tw {

// A measured value for Finding::data: the value, or null when the input did not have it.
template <class T>
nlohmann::json value_or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// A JSON object as a finding's data (its members in key order). Anything but an object gives no
// fields: a rule's bug, which doctor's render_test catches (every finding has data).
DataValue::Fields finding_data(const nlohmann::json& object);

// `f` with `data` as its data (finding_data): how a rule returns the finding it built.
Finding with_data(Finding f, const nlohmann::json& data);

nlohmann::json to_json(const DataValue& v);
nlohmann::json to_json(const DataValue::Fields& fields);  // an object, {} for none

}  // namespace tw
