// SPDX-License-Identifier: Apache-2.0
// An nftables table that belongs to one lab namespace: loaded with the `nft` tool run inside the
// namespace (`ip netns exec`), deleted when the object dies. The host's own ruleset is never read
// or touched, and deleting the namespace would remove the table anyway.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lab/namespace.h"
#include "model/result.h"

namespace tw::lab {

class NftTable {
 public:
  // `family_and_name` is "ip twlab_nat"; `body` is what goes between the table's braces.
  static Result<std::unique_ptr<NftTable>> load(const Netns& ns, const std::string& family_and_name,
                                                const std::string& body);
  ~NftTable();
  NftTable(const NftTable&) = delete;
  NftTable& operator=(const NftTable&) = delete;

  // Runs `nft <args>` in the namespace ("add element ip twlab_x armed { 40000 }").
  Status nft(const std::string& args) const;
  Status add_element(const std::string& set, const std::string& element) const;
  // Packets counted so far by the named counter object.
  Result<int64_t> counter(const std::string& name) const;

  const std::string& name() const { return name_; }

 private:
  NftTable() = default;
  const Netns* ns_ = nullptr;
  std::string name_;  // "ip twlab_nat"
  bool loaded_ = false;
};

// One line saying what is missing when the nft tool cannot be run, else success.
Status nft_available();

}  // namespace tw::lab
