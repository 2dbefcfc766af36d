// SPDX-License-Identifier: Apache-2.0
#include "doctor/finding_json.h"

#include <type_traits>

namespace tw {

namespace {

DataValue from_json(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::boolean:
      return {j.get<bool>()};
    case T::number_integer:
      return {j.get<int64_t>()};
    case T::number_unsigned:
      return {j.get<uint64_t>()};
    case T::number_float:
      return {j.get<double>()};
    case T::string:
      return {j.get<std::string>()};
    case T::array: {
      DataValue::List list;
      list.reserve(j.size());
      for (const auto& e : j) list.push_back(from_json(e));
      return {std::move(list)};
    }
    case T::object:
      return {finding_data(j)};
    default:  // null; binary and discarded never come from a rule
      return {nullptr};
  }
}

}  // namespace

DataValue::Fields finding_data(const nlohmann::json& object) {
  DataValue::Fields fields;
  if (!object.is_object()) return fields;
  fields.reserve(object.size());
  for (const auto& [key, value] : object.items()) fields.emplace_back(key, from_json(value));
  return fields;
}

Finding with_data(Finding f, const nlohmann::json& data) {
  f.data = finding_data(data);
  return f;
}

nlohmann::json to_json(const DataValue::Fields& fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : fields) j[key] = to_json(value);
  return j;
}

nlohmann::json to_json(const DataValue& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, DataValue::List>) {
          nlohmann::json a = nlohmann::json::array();
          for (const DataValue& e : x) a.push_back(to_json(e));
          return a;
        } else if constexpr (std::is_same_v<X, DataValue::Fields>) {
          return to_json(x);
        } else {
          return nlohmann::json(x);
        }
      },
      v.v);
}

}  // namespace tw
