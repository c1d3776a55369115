#pragma once
// The username templates of Vault's database plugins (sdk/helper/template): Go text/template
// actions over .DisplayName and .RoleName with the functions Vault registers. This implements
// the subset real templates use: pipelines with "|", parentheses, string and number literals,
// and printf (%s %d %v %%), truncate, truncate_sha256, lowercase, uppercase, replace, random,
// unix_time, unix_time_millis, uuid, sha256. Anything else is an error at configuration time.
// Thread-safety: a UsernameTemplate is immutable; generate() may run concurrently.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "infralogs/core/status.h"

namespace infralogs::vaultd {

// mysql-database-plugin's default (plugins/database/mysql/mysql.go).
inline constexpr std::string_view kMySqlUsernameTemplate =
    R"({{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) (random 20) (unix_time) | truncate 32 }})";
// mysql-legacy-database-plugin, mysql-rds- and mysql-aurora-database-plugin.
inline constexpr std::string_view kMySqlLegacyUsernameTemplate =
    R"({{ printf "v-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }})";

struct UsernameMetadata {
  std::string display_name;
  std::string role_name;
};

class UsernameTemplate {
 public:
  // kInvalidArgument naming the problem ("unable to initialize username template: ...").
  static Result<UsernameTemplate> parse(std::string_view text);
  Result<std::string> generate(const UsernameMetadata& meta) const;

  struct Node;  // the parsed template (opaque)

 private:
  std::vector<std::shared_ptr<const Node>> parts_;
};

}  // namespace infralogs::vaultd
