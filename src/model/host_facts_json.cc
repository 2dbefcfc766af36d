// SPDX-License-Identifier: Apache-2.0
#include "model/host_facts_json.h"

#include <fmt/format.h>

namespace tw {

using nlohmann::json;

json facts_to_json(const HostFacts& f) {
  json j = {{"os", f.os},           {"hostname", f.hostname}, {"kernel", f.kernel},
            {"netns", f.netns},     {"source", f.source},     {"captured_at", f.captured_at},
            {"sysctls", f.sysctls}, {"counters", f.counters}};
  if (f.sockstat) {
    const Sockstat& s = *f.sockstat;
    j["sockstat"] = {{"inuse", s.inuse}, {"orphan", s.orphan}, {"tw", s.tw},
                     {"alloc", s.alloc}, {"mem", s.mem},       {"inuse6", s.inuse6}};
  }
  if (!f.windows_params.empty()) j["windows_params"] = f.windows_params;
  return j;
}

Result<HostFacts> facts_from_json(const json& j) {
  if (!j.is_object()) return fail("\"facts\" is not an object");
  HostFacts f;
  try {
    auto str = [&](const char* key, std::string* out) {
      if (j.contains(key)) *out = j.at(key).get<std::string>();
    };
    str("os", &f.os);
    str("hostname", &f.hostname);
    str("kernel", &f.kernel);
    str("netns", &f.netns);
    str("source", &f.source);
    str("captured_at", &f.captured_at);
    if (j.contains("sysctls"))
      f.sysctls = j.at("sysctls").get<std::map<std::string, std::string>>();
    if (j.contains("counters")) f.counters = j.at("counters").get<std::map<std::string, int64_t>>();
    if (j.contains("windows_params"))
      f.windows_params = j.at("windows_params").get<std::map<std::string, int64_t>>();
    if (j.contains("sockstat")) {
      const json& s = j.at("sockstat");
      Sockstat st;
      st.inuse = s.value("inuse", int64_t{0});
      st.orphan = s.value("orphan", int64_t{0});
      st.tw = s.value("tw", int64_t{0});
      st.alloc = s.value("alloc", int64_t{0});
      st.mem = s.value("mem", int64_t{0});
      st.inuse6 = s.value("inuse6", int64_t{0});
      f.sockstat = st;
    }
  } catch (const json::exception& e) {
    return fail(fmt::format("\"facts\" has a value of the wrong type: {}", e.what()));
  }
  return f;
}

}  // namespace tw
