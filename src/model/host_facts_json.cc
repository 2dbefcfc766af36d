// SPDX-License-Identifier: Apache-2.0
#include "model/host_facts_json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "model/safe_text.h"

namespace tw {

using nlohmann::json;

json host_to_json(const HostFacts& f) {
  json j = {{"hostname", f.hostname}, {"os", f.os},         {"kernel", f.kernel},
            {"netns", f.netns},       {"source", f.source}, {"captured_at", f.captured_at}};
  // A pod's: kube-state-metrics' and cAdvisor's names for it, beside the namespace's.
  if (size_t slash = f.pod.find('/'); slash != std::string::npos) {
    j["namespace"] = f.pod.substr(0, slash);
    j["pod"] = f.pod.substr(slash + 1);
    j["pod_host_network"] = f.pod_host_network;
  }
  return j;
}

json facts_to_json(const HostFacts& f) {
  json j = host_to_json(f);
  j["sysctls"] = f.sysctls;
  j["counters"] = f.counters;
  if (f.sockstat) {
    const Sockstat& s = *f.sockstat;
    j["sockstat"] = {{"inuse", s.inuse}, {"orphan", s.orphan}, {"tw", s.tw},
                     {"alloc", s.alloc}, {"mem", s.mem},       {"inuse6", s.inuse6}};
  }
  if (!f.windows_params.empty()) j["windows_params"] = f.windows_params;
  return j;
}

// Every member is checked for its type before it is read, so a wrong one is named with the type
// it must have (the JSON library's own message names neither).
Result<HostFacts> facts_from_json(const json& j) {
  if (!j.is_object()) return fail("\"facts\" is not an object");
  HostFacts f;
  auto str = [&](const char* key, std::string* out) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_string()) return fail(fmt::format("\"facts.{}\" must be a string", key));
    *out = it->get<std::string>();
    return {};
  };
  // An object whose every value is checked by `ok` (what it must be, for the message).
  auto map_of = [&](const char* key, auto* out, auto ok, std::string_view what) -> Status {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (!it->is_object())
      return fail(fmt::format("\"facts.{}\" must be an object of {}", key, what));
    for (auto& [name, v] : it->items()) {
      if (!ok(v))
        return fail(fmt::format("\"facts.{}.{}\" must be {}", key, clipped(name, 60), what));
      (*out)[name] = v.template get<typename std::decay_t<decltype(*out)>::mapped_type>();
    }
    return {};
  };
  const auto is_string = [](const json& v) { return v.is_string(); };
  const auto is_integer = [](const json& v) {
    return v.is_number_integer() &&
           !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX));
  };
  for (auto [key, out] : {std::pair{"os", &f.os}, std::pair{"hostname", &f.hostname},
                          std::pair{"kernel", &f.kernel}, std::pair{"netns", &f.netns},
                          std::pair{"source", &f.source}, std::pair{"captured_at", &f.captured_at}})
    if (auto st = str(key, out); !st) return fail(st.error());
  // A pod's census (census --pod --save): its name comes back with it, printable at the output.
  std::string pod_ns, pod_name;
  if (auto st = str("namespace", &pod_ns); !st) return fail(st.error());
  if (auto st = str("pod", &pod_name); !st) return fail(st.error());
  if (!pod_ns.empty() && !pod_name.empty()) {
    f.pod = clipped(pod_ns, 63) + "/" + clipped(pod_name, 253);
    if (auto it = j.find("pod_host_network"); it != j.end() && it->is_boolean())
      f.pod_host_network = it->get<bool>();
  }
  if (auto st = map_of("sysctls", &f.sysctls, is_string, "strings"); !st) return fail(st.error());
  if (auto st = map_of("counters", &f.counters, is_integer, "integers"); !st)
    return fail(st.error());
  if (auto st = map_of("windows_params", &f.windows_params, is_integer, "integers"); !st)
    return fail(st.error());
  if (auto it = j.find("sockstat"); it != j.end()) {
    if (!it->is_object()) return fail("\"facts.sockstat\" must be an object of integers");
    Sockstat st;
    for (auto [key, out] : {std::pair{"inuse", &st.inuse}, std::pair{"orphan", &st.orphan},
                            std::pair{"tw", &st.tw}, std::pair{"alloc", &st.alloc},
                            std::pair{"mem", &st.mem}, std::pair{"inuse6", &st.inuse6}}) {
      auto v = it->find(key);
      if (v == it->end()) continue;
      if (!is_integer(*v))
        return fail(fmt::format("\"facts.sockstat.{}\" must be an integer", key));
      *out = v->get<int64_t>();
    }
    f.sockstat = st;
  }
  return f;
}

}  // namespace tw
