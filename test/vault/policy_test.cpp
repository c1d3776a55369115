// Unit tests of test-vault's ACL policies: parsing and Vault's path precedence.

#include "policy.h"

#include <catch2/catch.hpp>

namespace infralogs::vaultd {

Acl acl_of(const std::string& text) {
  auto rules = parse_policy(text);
  INFO(rules.status().message());
  REQUIRE(rules);
  return Acl({*rules});
}

TEST_CASE("policy parsing takes Vault's HCL subset and its JSON form", "[vault][policy]") {
  auto rules = parse_policy(R"(
    # a comment
    path "secret/data/*" { capabilities = ["read", "list"] }
    // another
    path "/sys/leases/renew" {
      capabilities = ["update"]
      allowed_parameters = { "lease_id" = [] }
    }
    /* old style */
    path "old/*" { policy = "write" }
  )");
  REQUIRE(rules);
  REQUIRE(rules->size() == 3);
  CHECK((*rules)[0].pattern == "secret/data/*");
  CHECK((*rules)[0].capabilities == (kCapRead | kCapList));
  CHECK((*rules)[1].pattern == "sys/leases/renew");
  CHECK((*rules)[2].capabilities & kCapUpdate);
  auto json = parse_policy(R"({"path": {"a/b": {"capabilities": ["create"]}}})");
  REQUIRE(json);
  CHECK((*json)[0].capabilities == kCapCreate);
  CHECK(!parse_policy(R"(path "x" { capabilities = ["fly"] })"));
  CHECK(parse_policy(R"(path "x" { capabilities = ["fly"] })").status().message() ==
        "path \"x\": invalid capability \"fly\"");
  CHECK(!parse_policy(R"(path "a*b" { capabilities = ["read"] })"));
  CHECK(!parse_policy(R"(path "x" { capabilities = ["read"] )"));
  CHECK(parse_policy(R"(path "x" { capabilities = ["read", "deny"] })")->at(0).capabilities ==
        kCapDeny);
}

TEST_CASE("the most specific rule wins as in vault/acl.go", "[vault][policy]") {
  Acl acl = acl_of(R"(
    path "secret/*"               { capabilities = ["read"] }
    path "secret/data/app/*"      { capabilities = ["read", "update"] }
    path "secret/data/app/admin"  { capabilities = ["deny"] }
    path "secret/data/+/shared"   { capabilities = ["list"] }
    path "secret/data/+/+"        { capabilities = ["create"] }
    path "secret/data/team"       { capabilities = ["patch"] }
  )");
  CHECK(acl.capabilities("secret/data/app/x", false) == (kCapRead | kCapUpdate));
  CHECK(acl.capabilities("secret/data/app/admin", false) == kCapDeny);
  CHECK(acl.capabilities("secret/other", false) == kCapRead);
  // The later first wildcard wins over the earlier glob.
  CHECK(acl.capabilities("secret/data/zz/shared", false) == kCapList);
  // Fewer "+" segments win.
  CHECK(acl.capabilities("secret/data/yy/zz", false) == kCapCreate);
  CHECK(acl.capabilities("secret/data/team", false) == kCapPatch);
  CHECK(acl.capabilities("other/x", false) == 0);
  // A list of "secret/data/team/" matches the rule written without the slash.
  CHECK(acl.capabilities("secret/data/team/", true) == kCapPatch);
  CHECK(acl.has_mount_access("secret/"));
  CHECK(!acl.has_mount_access("database/"));
}

TEST_CASE("rules from several policies merge, and a deny wins", "[vault][policy]") {
  auto a = parse_policy(R"(path "db/creds/ro" { capabilities = ["read"] })");
  auto b = parse_policy(R"(path "db/creds/ro" { capabilities = ["update"] })");
  auto c = parse_policy(R"(path "db/creds/ro" { capabilities = ["deny"] })");
  CHECK(Acl({*a, *b}).capabilities("db/creds/ro", false) == (kCapRead | kCapUpdate));
  CHECK(Acl({*a, *b, *c}).capabilities("db/creds/ro", false) == kCapDeny);
  CHECK(Acl({}, true).capabilities("anything", false) & kCapSudo);
}

}  // namespace infralogs::vaultd
