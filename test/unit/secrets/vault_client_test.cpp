// The pure parts of the Vault client: error mapping and envelope parsing, address checks.

#include "infralogs/secrets/vault_client.h"

#include <catch2/catch.hpp>

namespace infralogs::secrets {
namespace {

TEST_CASE("Vault error answers map to Status codes with method, path and status", "[secrets]") {
  struct Case {
    int http;
    StatusCode code;
  } cases[] = {{400, StatusCode::kInvalidArgument}, {403, StatusCode::kPermissionDenied},
               {404, StatusCode::kNotFound},        {429, StatusCode::kUnavailable},
               {500, StatusCode::kUnavailable},     {503, StatusCode::kUnavailable},
               {405, StatusCode::kInternal}};
  for (const Case& c : cases) {
    INFO(c.http);
    Status s = vault_error_status("GET", "database/creds/ro", c.http, R"({"errors":["boom"]})");
    CHECK(s.code() == c.code);
    CHECK(s.message() == "vault GET database/creds/ro: HTTP " + std::to_string(c.http) + ": boom");
  }
  // Vault's multierror text on one line; several errors joined; a body that is not JSON.
  CHECK(vault_error_status(
            "PUT", "p", 403,
            R"({"errors":["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"]})")
            .message() ==
        "vault PUT p: HTTP 403: 2 errors occurred: * permission denied * invalid token");
  CHECK(vault_error_status("GET", "p", 400, R"({"errors":["a","b"]})").message() ==
        "vault GET p: HTTP 400: a; b");
  CHECK(vault_error_status("GET", "p", 502, "<html>bad gateway</html>").message() ==
        "vault GET p: HTTP 502");
}

TEST_CASE("the envelope's fields are parsed; an empty body is a 204", "[secrets]") {
  VaultResponse r;
  REQUIRE(parse_vault_envelope(
              R"({"request_id":"x","lease_id":"database/creds/ro/abc","renewable":true,
                  "lease_duration":3600,"data":{"username":"u","password":"p"},"wrap_info":null,
                  "warnings":["TTL capped"],"auth":null,"mount_type":"database"})",
              &r)
              .is_ok());
  CHECK(r.lease_id == "database/creds/ro/abc");
  CHECK(r.renewable);
  CHECK(r.lease_duration == 3600);
  CHECK(r.data["username"] == "u");
  CHECK(r.warnings == std::vector<std::string>{"TTL capped"});
  CHECK(r.auth.is_null());

  VaultResponse login;
  REQUIRE(parse_vault_envelope(
              R"({"lease_id":"","renewable":false,"lease_duration":0,"data":null,"warnings":null,
                  "auth":{"client_token":"t","lease_duration":60,"renewable":true}})",
              &login)
              .is_ok());
  CHECK(login.auth["lease_duration"] == 60);
  CHECK(login.data.is_null());

  VaultResponse empty;
  CHECK(parse_vault_envelope("", &empty).is_ok());
  CHECK(parse_vault_envelope("not json", &empty).code() == StatusCode::kCorruption);
}

TEST_CASE("VaultClient::create checks the address and the CA file", "[secrets]") {
  CHECK(VaultClient::create({.address = "http://127.0.0.1:8200"}));
  CHECK(VaultClient::create({.address = "https://vault.example:8200/"}));
  for (const char* bad : {"", "127.0.0.1:8200", "ftp://x", "http://x/v1", "http://"}) {
    INFO(bad);
    CHECK(VaultClient::create({.address = bad}).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(VaultClient::create({.address = "https://v:8200", .ca_file = "/nonexistent/ca.pem"})
            .status()
            .code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace infralogs::secrets
