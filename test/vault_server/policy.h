#pragma once
// ACL policies in Vault's HCL subset and the path matching Vault's ACL does (vault/acl.go):
// exact paths, a trailing "*" glob, "+" segment wildcards, and the precedence rules between
// rules that match the same path. Policies may also be written in Vault's JSON form.
// Thread-safety: values; an Acl is immutable after construction.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::vaultd {

enum Capability : uint32_t {
  kCapDeny = 1u << 0,
  kCapCreate = 1u << 1,
  kCapRead = 1u << 2,
  kCapUpdate = 1u << 3,
  kCapDelete = 1u << 4,
  kCapList = 1u << 5,
  kCapSudo = 1u << 6,
  kCapPatch = 1u << 7,
};

struct PathRule {
  std::string pattern;    // as written, without a leading "/"
  uint32_t capabilities;  // kCapDeny alone when the rule denies
};

// Parses a policy. kInvalidArgument with Vault's wording for a syntax error, an unknown
// capability or a misplaced glob.
Result<std::vector<PathRule>> parse_policy(std::string_view text);

// Capability names in Vault's order, for messages and test output.
std::vector<std::string> capability_names(uint32_t caps);

// The merged rules of a token's policies.
class Acl {
 public:
  Acl() = default;
  // Rules with the same pattern are merged: capabilities add up, and a deny wins.
  explicit Acl(const std::vector<std::vector<PathRule>>& policies, bool root = false);

  bool is_root() const { return root_; }
  // The capabilities on `path` from the one rule Vault would pick; 0 when no rule matches.
  // A list operation also matches an exact rule written without the trailing "/".
  uint32_t capabilities(const std::string& path, bool list_operation) const;
  // Whether any rule grants something under `mount_path` ("secret/"), as
  // sys/internal/ui/mounts checks before describing a mount.
  bool has_mount_access(const std::string& mount_path) const;

 private:
  bool root_ = false;
  std::map<std::string, uint32_t> rules_;  // pattern -> merged capabilities
};

}  // namespace infralogs::vaultd
