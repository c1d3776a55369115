// What infralogs reads out of Vault's answers (src/secrets/vault_responses.h). The wrong-type
// and huge-number cases are what test/fuzz/vault_response_fuzz.cpp checks, found while writing
// it: nlohmann's value() threw type_error out of the refresh thread (std::terminate), and a
// lease_duration of 2^63-1 overflowed the renewal's steady_clock arithmetic (UB).

#include "secrets/vault_responses.h"

#include <catch2/catch.hpp>

namespace infralogs::secrets {
namespace {

VaultResponse envelope(const std::string& body) {
  VaultResponse r;
  REQUIRE(parse_vault_envelope(body, &r).is_ok());
  return r;
}

TEST_CASE("database secrets: dynamic, static and KV v2 answers", "[secrets]") {
  VaultResponse dyn = envelope(
      R"({"lease_id":"database/creds/ro/x","lease_duration":3600,"renewable":true,
          "data":{"username":"v-ro-1","password":"pw"}})");
  Result<VaultSecret> d = secret_from_response(VaultSecretKind::kDynamic, "database/creds/ro", dyn);
  REQUIRE(d);
  CHECK(d->creds == Credentials{"v-ro-1", "pw"});
  CHECK(d->lease_id == "database/creds/ro/x");
  CHECK(d->ttl == std::chrono::seconds(3600));
  CHECK(d->renewable);

  VaultResponse st = envelope(
      R"({"data":{"username":"ro","password":"pw","ttl":120,
                  "last_vault_rotation":"2026-01-01T00:00:00Z"}})");
  Result<VaultSecret> s =
      secret_from_response(VaultSecretKind::kStatic, "database/static-creds/ro", st);
  REQUIRE(s);
  CHECK(s->ttl == std::chrono::seconds(120));
  CHECK(s->version == "2026-01-01T00:00:00Z");

  VaultResponse kv =
      envelope(R"({"data":{"data":{"username":"u","password":"p"},"metadata":{"version":7}}})");
  Result<VaultSecret> k = secret_from_response(VaultSecretKind::kKv, "secret/data/db", kv);
  REQUIRE(k);
  CHECK(k->creds == Credentials{"u", "p"});
  CHECK(k->version == "7");

  Result<VaultSecret> bad =
      secret_from_response(VaultSecretKind::kDynamic, "database/creds/ro",
                           envelope(R"({"data":{"username":"u","password":12345}})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.status().code() == StatusCode::kCorruption);
  CHECK(bad.status().message().find("database/creds/ro") != std::string::npos);
}

TEST_CASE("fields of the wrong type are treated as absent, never thrown", "[secrets]") {
  // Each of these threw nlohmann::json::type_error before.
  Result<VaultSecret> s = secret_from_response(
      VaultSecretKind::kStatic, "database/static-creds/ro",
      envelope(R"({"data":{"username":"u","password":"p","ttl":"soon","last_vault_rotation":5}})"));
  REQUIRE(s);
  CHECK(s->ttl == std::chrono::seconds(0));
  CHECK(s->version.empty());

  Result<VaultToken> t = token_from_login(
      "auth/approle/login",
      envelope(R"({"auth":{"client_token":"tok","lease_duration":"60","renewable":"yes"}})"));
  REQUIRE(t);
  CHECK(t->token == "tok");
  CHECK(t->ttl == std::chrono::seconds(0));
  CHECK_FALSE(t->renewable);

  VaultToken looked{"tok", std::chrono::seconds(30), true};
  token_from_lookup(envelope(R"({"data":{"ttl":[1],"renewable":null}})"), &looked);
  CHECK(looked.ttl == std::chrono::seconds(30));
  CHECK(looked.renewable);

  Result<KvTokens> kv = kv_tokens_from_response(
      "secret/data/infralogs/agent-tokens",
      envelope(R"({"data":{"data":{"current":"a"},"metadata":{"version":"3"}}})"));
  REQUIRE(kv);
  CHECK(kv->values.at("current") == "a");
  CHECK(kv->version == 0);

  CHECK_FALSE(token_from_login("auth/approle/login", envelope(R"({"auth":{"client_token":1}})")));
  CHECK_FALSE(token_from_login("auth/approle/login", envelope(R"({"auth":"tok"})")));
}

TEST_CASE("lease durations and TTLs are clamped to [0, kMaxVaultSeconds]", "[secrets]") {
  VaultResponse huge = envelope(
      R"({"lease_duration":9223372036854775807,"data":{"username":"u","password":"p"},
          "auth":{"client_token":"t","lease_duration":18446744073709551615}})");
  CHECK(huge.lease_duration == kMaxVaultSeconds);
  Result<VaultSecret> d = secret_from_response(VaultSecretKind::kDynamic, "p", huge);
  REQUIRE(d);
  CHECK(d->ttl == std::chrono::seconds(kMaxVaultSeconds));
  Result<VaultToken> t = token_from_login("p", huge);
  REQUIRE(t);
  CHECK(t->ttl == std::chrono::seconds(kMaxVaultSeconds));
  // What the renewal computes from it stays inside steady_clock's range.
  auto due = std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(t->ttl * (2.0 / 3.0));
  CHECK(due > std::chrono::steady_clock::now());

  VaultResponse negative =
      envelope(R"({"lease_duration":-5,"data":{"username":"u","password":"p","ttl":-1}})");
  CHECK(negative.lease_duration == 0);
  Result<VaultSecret> s = secret_from_response(VaultSecretKind::kStatic, "p", negative);
  REQUIRE(s);
  CHECK(s->ttl == std::chrono::seconds(0));
}

TEST_CASE("the agent tokens' KV answer: a non-empty map of strings", "[secrets]") {
  const std::string path = "secret/data/infralogs/agent-tokens";
  Result<KvTokens> ok =
      kv_tokens_from_response(path, envelope(R"({"data":{"data":{"current":"new","previous":"old"},
                                 "metadata":{"version":4}}})"));
  REQUIRE(ok);
  CHECK(ok->values == std::map<std::string, std::string>{{"current", "new"}, {"previous", "old"}});
  CHECK(ok->version == 4);
  for (const char* body :
       {R"({"data":{"data":{}}})", R"({"data":{"data":"x"}})", R"({"data":null})",
        R"({"data":[1]})", R"({"data":{"data":{"current":1}}})"}) {
    INFO(body);
    Result<KvTokens> bad = kv_tokens_from_response(path, envelope(body));
    REQUIRE_FALSE(bad);
    CHECK(bad.status().code() == StatusCode::kCorruption);
  }
}

}  // namespace
}  // namespace infralogs::secrets
