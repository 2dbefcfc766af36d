// SPDX-License-Identifier: Apache-2.0
#include "usage/completion.h"

namespace tw::usage {

namespace script {

std::string brief(const std::string& description) {
  std::string s = description.substr(0, description.find('\n'));
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if ((s[i] == '.' || s[i] == ';') && s[i + 1] == ' ') {
      s.resize(i);
      break;
    }
  constexpr size_t kMax = 70;
  if (s.size() > kMax) {
    size_t cut = s.rfind(' ', kMax);
    s = s.substr(0, cut == std::string::npos ? kMax : cut) + "...";
  }
  while (!s.empty() && s.back() == '.' && !s.ends_with("...")) s.pop_back();
  return s;
}

std::string sh_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string words(const Argument& a) {
  std::string w;
  for (const std::string& x : a.words) w += (w.empty() ? "" : " ") + x;
  return w;
}

std::string value_spec(const Argument& a) {
  switch (a.values) {
    case Values::kNone:
      return "";
    case Values::kFile:
      return "@file";
    case Values::kNetns:
      return "@netns";
    case Values::kAny:
      return "@any";
    case Values::kWords:
      return (a.comma_list ? "@csv " : "@words ") + words(a);
  }
  return "";
}

}  // namespace script

const std::vector<std::string_view>& completion_shells() {
  static const std::vector<std::string_view> shells{"bash", "zsh", "fish"};
  return shells;
}

std::string completion_script(std::string_view shell, const Command& root) {
  if (shell == "bash") return bash_completion(root);
  if (shell == "zsh") return zsh_completion(root);
  if (shell == "fish") return fish_completion(root);
  return "";
}

}  // namespace tw::usage
