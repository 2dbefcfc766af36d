// SPDX-License-Identifier: Apache-2.0
#include "lab/nft_table.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

#include "os/unique_fd.h"

namespace tw::lab {

namespace {

std::string in_ns(const Netns& ns, const std::string& args) {
  return fmt::format("ip netns exec {} nft {}", ns.name(), args);
}

}  // namespace

Status nft_available() {
  if (auto r = run_command("nft --version"); !r)
    return fail("the nft tool is missing: install it with `apt-get install nftables`");
  return {};
}

Result<std::unique_ptr<NftTable>> NftTable::load(const Netns& ns,
                                                 const std::string& family_and_name,
                                                 const std::string& body) {
  if (auto st = nft_available(); !st) return fail(st.error());
  std::unique_ptr<NftTable> t(new NftTable);
  t->ns_ = &ns;
  t->name_ = family_and_name;
  // A file rather than a quoted argument: rules contain braces, quotes and semicolons.
  char path[] = "/tmp/twlab-nft-XXXXXX";
  os::UniqueFd fd(mkstemp(path));
  if (!fd) return fail("cannot create a temporary file for the nftables rules in /tmp");
  std::string text = fmt::format("table {} {{\n{}\n}}\n", family_and_name, body);
  bool written = write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
  fd.reset();
  auto r = written ? run_command(in_ns(ns, fmt::format("-f {}", path)))
                   : Result<std::string>(fail("cannot write the nftables rules"));
  unlink(path);
  if (!r)
    return fail(fmt::format("cannot load nftables table {} in namespace {}: {}", family_and_name,
                            ns.name(), r.error()));
  t->loaded_ = true;
  return t;
}

NftTable::~NftTable() {
  if (loaded_) (void)run_command(in_ns(*ns_, "delete table " + name_));
}

Status NftTable::nft(const std::string& args) const {
  if (auto r = run_command(in_ns(*ns_, args)); !r) return fail(r.error());
  return {};
}

Status NftTable::add_element(const std::string& set, const std::string& element) const {
  return nft(fmt::format("add element {} {} '{{ {} }}'", name_, set, element));
}

Result<int64_t> NftTable::counter(const std::string& counter_name) const {
  auto r = run_command(in_ns(*ns_, fmt::format("list counter {} {}", name_, counter_name)));
  if (!r) return fail(r.error());
  static const std::regex packets(R"(packets (\d+))");
  std::smatch m;
  if (!std::regex_search(*r, m, packets))
    return fail(fmt::format("no packet count in the output of nft list counter: {}", *r));
  return std::stoll(m[1]);
}

}  // namespace tw::lab
