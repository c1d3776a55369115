// test-vault without a database: envelopes, KV v2, LIST, policies, faults, tokens, AppRole and
// Kubernetes login. Run by ctest as "vault: server".

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;

const char* kPermissionDenied = "1 error occurred:\n\t* permission denied\n\n";
const char* kInvalidToken = "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";

json errors_of(const Reply& r) { return r.json()["errors"]; }

void enable_kv(const VaultProcess& v, const std::string& path = "secret") {
  Reply r =
      v.root("POST", "/v1/sys/mounts/" + path, {{"type", "kv"}, {"options", {{"version", "2"}}}});
  INFO(r.body);
  REQUIRE(r.status == 204);
}

std::string create_token(const VaultProcess& v, const json& body) {
  Reply r = v.root("POST", "/v1/auth/token/create", body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json()["auth"]["client_token"];
}

void write_policy(const VaultProcess& v, const std::string& name, const std::string& text) {
  Reply r = v.root("PUT", "/v1/sys/policies/acl/" + name, {{"policy", text}});
  INFO(r.body);
  REQUIRE(r.status == 204);
}

std::string b64url(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// An RSA key pair for signing service-account JWTs the way the Kubernetes API server does.
struct SigningKey {
  EVP_PKEY* key = nullptr;
  SigningKey() { key = EVP_RSA_gen(2048); }
  ~SigningKey() { EVP_PKEY_free(key); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string sign(const json& claims) const {
    std::string head = b64url(json({{"alg", "RS256"}, {"kid", "test"}, {"typ", "JWT"}}).dump());
    std::string body = b64url(claims.dump());
    std::string input = head + "." + body;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    return input + "." + b64url(sig);
  }
};

json sa_claims(const std::string& ns, const std::string& sa) {
  return {
      {"iss", "kubernetes/serviceaccount"},
      {"kubernetes.io/serviceaccount/namespace", ns},
      {"kubernetes.io/serviceaccount/secret.name", sa + "-token-x1"},
      {"kubernetes.io/serviceaccount/service-account.name", sa},
      {"kubernetes.io/serviceaccount/service-account.uid", "aa9aa8ff-0000-4000-8000-000000000001"},
      {"sub", "system:serviceaccount:" + ns + ":" + sa}};
}

}  // namespace

TEST_CASE("responses carry Vault's envelope, headers, status codes and error bodies", "[server]") {
  VaultProcess v;
  enable_kv(v);
  Reply w = v.root("POST", "/v1/secret/data/app", {{"data", {{"k", "v"}}}});
  REQUIRE(w.status == 200);
  CHECK(w.header("Content-Type") == "application/json");
  CHECK(w.header("Cache-Control") == "no-store");
  json env = w.json();
  for (const char* key : {"request_id", "lease_id", "renewable", "lease_duration", "data",
                          "wrap_info", "warnings", "auth", "mount_type"}) {
    CHECK(env.contains(key));
  }
  CHECK(env["lease_id"] == "");
  CHECK(env["renewable"] == false);
  CHECK(env["wrap_info"].is_null());
  CHECK(env["warnings"].is_null());
  CHECK(env["auth"].is_null());
  CHECK(env["mount_type"] == "kv");

  // PUT is POST; a write without data is 204 with no body.
  Reply meta = v.root("PUT", "/v1/secret/metadata/app", {{"max_versions", 5}});
  CHECK(meta.status == 204);
  CHECK(meta.body.empty());

  Reply missing = v.call("GET", "/v1/secret/data/app");
  CHECK(missing.status == 400);
  CHECK(missing.body == "{\"errors\":[\"missing client token\"]}\n");
  CHECK(missing.header("Content-Type") == "application/json");

  Reply bad = v.call("GET", "/v1/secret/data/app", nullptr, "hvs.not-a-token");
  CHECK(bad.status == 403);
  CHECK(errors_of(bad) == json::array({kInvalidToken}));

  // Authorization: Bearer works like X-Vault-Token.
  {
    httplib::Client c("127.0.0.1", v.port());
    auto res = c.Get("/v1/secret/data/app", {{"Authorization", "Bearer " + v.root_token()}});
    REQUIRE(res);
    CHECK(res->status == 200);
  }

  Reply nokey = v.root("GET", "/v1/secret/data/nothing");
  CHECK(nokey.status == 404);
  CHECK(nokey.body == "{\"errors\":[]}\n");

  Reply nomount = v.root("GET", "/v1/nomount/data/x");
  CHECK(nomount.status == 404);
  CHECK(errors_of(nomount) ==
        json::array({"no handler for route \"nomount/data/x\". route entry not found."}));

  Reply health = v.call("GET", "/v1/sys/health");
  CHECK(health.status == 200);
  CHECK(health.json()["sealed"] == false);
  CHECK(health.json()["initialized"] == true);
  CHECK(health.json().contains("cluster_id"));
  Reply head = v.call("HEAD", "/v1/sys/health");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(v.call("GET", "/v1/sys/health?activecode=299").status == 299);
  CHECK(v.call("GET", "/v1/sys/health?activecode=x").status == 400);

  Reply badjson = v.root("POST", "/v1/secret/data/app", json("{not json"));
  CHECK(badjson.status == 400);
  CHECK(errors_of(v.root("POST", "/v1/secret/data/dir/", {{"data", {{"a", "b"}}}})) ==
        json::array({"cannot write to a path ending in '/'"}));
  Reply options = v.root("OPTIONS", "/v1/secret/data/app");
  CHECK(options.status == 405);

  Reply ui = v.root("GET", "/v1/sys/internal/ui/mounts/secret/data/app");
  REQUIRE(ui.status == 200);
  CHECK(ui.json()["data"]["path"] == "secret/");
  CHECK(ui.json()["data"]["type"] == "kv");
  CHECK(ui.json()["data"]["options"]["version"] == "2");
}

TEST_CASE("KV v2 keeps versions and enforces check-and-set", "[server]") {
  VaultProcess v;
  enable_kv(v);
  const std::string p = "/v1/secret/data/infralogs/agent";
  // cas 0: only if the key does not exist. "options": {} is what hvac always sends.
  Reply v1 = v.root("POST", p, {{"options", {{"cas", 0}}}, {"data", {{"token", "one"}}}});
  REQUIRE(v1.status == 200);
  CHECK(v1.json()["data"]["version"] == 1);
  CHECK(v1.json()["data"]["deletion_time"] == "");
  CHECK(std::regex_match(v1.json()["data"]["created_time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
  Reply again = v.root("POST", p, {{"options", {{"cas", 0}}}, {"data", {{"token", "x"}}}});
  CHECK(again.status == 400);
  CHECK(errors_of(again) ==
        json::array({"check-and-set parameter did not match the current version"}));
  Reply v2 = v.root("POST", p, {{"options", json::object()}, {"data", {{"token", "two"}}}});
  CHECK(v2.json()["data"]["version"] == 2);
  Reply stale = v.root("POST", p, {{"options", {{"cas", 1}}}, {"data", {{"token", "x"}}}});
  CHECK(stale.status == 400);
  Reply v3 = v.root("POST", p, {{"options", {{"cas", 2}}}, {"data", {{"token", "three"}}}});
  CHECK(v3.json()["data"]["version"] == 3);
  CHECK(v.root("POST", p, {{"options", {{"cas", "nope"}}}, {"data", {{"a", "b"}}}})
            .body.find("error parsing check-and-set parameter") != std::string::npos);
  CHECK(errors_of(v.root("POST", p, {{"options", json::object()}})) ==
        json::array({"no data provided"}));

  Reply latest = v.root("GET", p);
  CHECK(latest.json()["data"]["data"]["token"] == "three");
  CHECK(latest.json()["data"]["metadata"]["version"] == 3);
  Reply first = v.root("GET", p + "?version=1");
  CHECK(first.json()["data"]["data"]["token"] == "one");
  CHECK(v.root("GET", p + "?version=9").status == 404);

  // cas_required on the key, then on the engine.
  REQUIRE(v.root("POST", "/v1/secret/metadata/infralogs/agent", {{"cas_required", true}}).status ==
          204);
  Reply nocas = v.root("POST", p, {{"data", {{"token", "x"}}}});
  CHECK(nocas.status == 400);
  CHECK(errors_of(nocas) == json::array({"check-and-set parameter required for this call"}));
  REQUIRE(v.root("POST", "/v1/secret/config", {{"cas_required", true}}).status == 204);
  CHECK(v.root("GET", "/v1/secret/config").json()["data"]["cas_required"] == true);
  CHECK(v.root("POST", "/v1/secret/data/other", {{"data", {{"a", "b"}}}}).status == 400);
  REQUIRE(v.root("POST", "/v1/secret/config", {{"cas_required", false}}).status == 204);

  // Soft delete: 404 with the full envelope, data null and the metadata filled in.
  REQUIRE(v.root("DELETE", p).status == 204);
  Reply deleted = v.root("GET", p);
  CHECK(deleted.status == 404);
  CHECK(deleted.json()["data"]["data"].is_null());
  CHECK(deleted.json()["data"]["metadata"]["version"] == 3);
  CHECK(deleted.json()["data"]["metadata"]["deletion_time"] != "");
  CHECK(v.root("POST", "/v1/secret/undelete/infralogs/agent", {{"versions", {3}}}).status == 204);
  CHECK(v.root("GET", p).json()["data"]["data"]["token"] == "three");
  CHECK(v.root("POST", "/v1/secret/destroy/infralogs/agent", {{"versions", {2}}}).status == 204);
  Reply destroyed = v.root("GET", p + "?version=2");
  CHECK(destroyed.status == 404);
  CHECK(destroyed.json()["data"]["metadata"]["destroyed"] == true);
  CHECK(errors_of(v.root("POST", "/v1/secret/delete/infralogs/agent", json::object())) ==
        json::array({"No version number provided"}));

  Reply meta = v.root("GET", "/v1/secret/metadata/infralogs/agent");
  REQUIRE(meta.status == 200);
  json md = meta.json()["data"];
  CHECK(md["current_version"] == 3);
  CHECK(md["oldest_version"] == 0);
  CHECK(md["cas_required"] == true);
  CHECK(md["delete_version_after"] == "0s");
  CHECK(md["versions"]["2"]["destroyed"] == true);
  CHECK(md["versions"].size() == 3);

  // max_versions 2 keeps the newest two.
  REQUIRE(v.root("POST", "/v1/secret/metadata/trim", {{"max_versions", 2}}).status == 204);
  for (int i = 1; i <= 4; ++i) {
    REQUIRE(v.root("POST", "/v1/secret/data/trim", {{"data", {{"i", i}}}}).status == 200);
  }
  json trimmed = v.root("GET", "/v1/secret/metadata/trim").json()["data"];
  CHECK(trimmed["versions"].size() == 2);
  CHECK(trimmed["oldest_version"] == 3);
  CHECK(v.root("GET", "/v1/secret/data/trim?version=2").status == 404);

  REQUIRE(v.root("DELETE", "/v1/secret/metadata/trim").status == 204);
  REQUIRE(v.root("POST", "/v1/secret/metadata/owned", {{"custom_metadata", {{"owner", "ops"}}}})
              .status == 204);
  Reply owned = v.root("POST", "/v1/secret/data/owned", {{"data", {{"a", "b"}}}});
  CHECK(owned.json()["data"]["custom_metadata"] == json({{"owner", "ops"}}));
  CHECK(v.root("GET", "/v1/secret/data/owned")
            .json()["data"]["metadata"]["custom_metadata"]["owner"] == "ops");
  CHECK(v.root("GET", "/v1/secret/metadata/trim").status == 404);
}

TEST_CASE("LIST works as the verb and as ?list=true", "[server]") {
  VaultProcess v;
  enable_kv(v);
  for (const char* key :
       {"infralogs/agents/web-1", "infralogs/agents/web-2", "infralogs/db", "top"}) {
    REQUIRE(
        v.root("POST", std::string("/v1/secret/data/") + key, {{"data", {{"a", "b"}}}}).status ==
        200);
  }
  Reply verb = v.root("LIST", "/v1/secret/metadata/infralogs");
  Reply query = v.root("GET", "/v1/secret/metadata/infralogs/?list=true");
  REQUIRE(verb.status == 200);
  CHECK(verb.json()["data"]["keys"] == json::array({"agents/", "db"}));
  CHECK(query.json()["data"]["keys"] == verb.json()["data"]["keys"]);
  CHECK(v.root("LIST", "/v1/secret/metadata/").json()["data"]["keys"] ==
        json::array({"infralogs/", "top"}));
  Reply none = v.root("LIST", "/v1/secret/metadata/nothing/");
  CHECK(none.status == 404);
  CHECK(none.body == "{\"errors\":[]}\n");
  // The request log records the method the client used, never a body.
  Reply log = v.root("GET", "/_test/requests");
  json requests = log.json()["requests"];
  bool saw_list = false;
  for (const auto& r : requests) {
    if (r["method"] == "LIST" && r["path"] == "/v1/secret/metadata/infralogs" &&
        r["status"] == 200) {
      saw_list = true;
    }
    CHECK(r.size() == 3);
  }
  CHECK(saw_list);
}

TEST_CASE("policies allow and deny by Vault's path rules", "[server]") {
  VaultProcess v;
  enable_kv(v);
  REQUIRE(v.root("POST", "/v1/secret/data/app/config", {{"data", {{"a", "1"}}}}).status == 200);
  REQUIRE(v.root("POST", "/v1/secret/data/app/private", {{"data", {{"a", "2"}}}}).status == 200);
  REQUIRE(v.root("POST", "/v1/secret/data/team/x/creds", {{"data", {{"a", "3"}}}}).status == 200);
  write_policy(v, "reader", R"(
# comments are fine
path "secret/data/app/*" {
  capabilities = ["read"]
}
path "secret/data/app/private" {
  capabilities = ["deny"]
}
path "secret/metadata/app/" { capabilities = ["list"] }
path "secret/data/team/+/creds" { capabilities = ["read", "update"] }
)");
  std::string t = create_token(v, {{"policies", {"reader"}}, {"ttl", "1h"}});
  CHECK(v.call("GET", "/v1/secret/data/app/config", nullptr, t).status == 200);
  Reply denied = v.call("GET", "/v1/secret/data/app/private", nullptr, t);
  CHECK(denied.status == 403);
  CHECK(errors_of(denied) == json::array({kPermissionDenied}));
  CHECK(v.call("POST", "/v1/secret/data/app/config", {{"data", {{"a", "x"}}}}, t).status == 403);
  CHECK(v.call("LIST", "/v1/secret/metadata/app", nullptr, t).status == 200);
  CHECK(v.call("LIST", "/v1/secret/metadata/", nullptr, t).status == 403);
  CHECK(v.call("GET", "/v1/secret/data/team/x/creds", nullptr, t).status == 200);
  CHECK(v.call("POST", "/v1/secret/data/team/x/creds", {{"data", {{"a", "y"}}}}, t).status == 200);
  CHECK(v.call("GET", "/v1/secret/data/team/x/y/creds", nullptr, t).status == 403);
  // Not authorised beats "no handler": a non-root token gets 403 for an unknown mount.
  CHECK(v.call("GET", "/v1/nomount/x", nullptr, t).status == 403);
  CHECK(v.call("POST", "/v1/sys/mounts/other", {{"type", "database"}}, t).status == 403);
  // The default policy lets a token look itself up and renew itself.
  Reply self = v.call("GET", "/v1/auth/token/lookup-self", nullptr, t);
  CHECK(self.status == 200);
  CHECK(self.json()["data"]["policies"] == json::array({"default", "reader"}));
  CHECK(v.call("POST", "/v1/auth/token/renew-self", json::object(), t).status == 200);
  Reply caps =
      v.call("POST", "/v1/sys/capabilities-self",
             {{"paths", {"secret/data/app/config", "secret/data/app/private", "other/x"}}}, t);
  REQUIRE(caps.status == 200);
  CHECK(caps.json()["data"]["secret/data/app/config"] == json::array({"read"}));
  CHECK(caps.json()["data"]["secret/data/app/private"] == json::array({"deny"}));
  CHECK(caps.json()["data"]["other/x"] == json::array({"deny"}));
  // sys/internal/ui/mounts answers only for mounts the token can reach.
  CHECK(v.call("GET", "/v1/sys/internal/ui/mounts/secret", nullptr, t).status == 200);
  Reply pre = v.call("GET", "/v1/sys/internal/ui/mounts/database", nullptr, t);
  CHECK(pre.status == 403);
  CHECK(errors_of(pre)[0].get<std::string>().find("preflight capability check returned 403") == 0);
  // A bad policy is refused with the parser's reason.
  Reply bad = v.root("PUT", "/v1/sys/policies/acl/bad",
                     {{"policy", R"(path "x" { capabilities = ["fly"] })"}});
  CHECK(bad.status == 400);
  CHECK(errors_of(bad)[0] == "failed to parse policy: path \"x\": invalid capability \"fly\"");
  CHECK(v.root("GET", "/v1/sys/policies/acl/reader").json()["data"]["name"] == "reader");
  CHECK(v.root("LIST", "/v1/sys/policies/acl").json()["data"]["keys"] ==
        json::array({"default", "reader", "root"}));
}

TEST_CASE("faults: sealed, deny, rate limit and slow, by path prefix and count", "[server]") {
  TempDir keys;
  std::string unseal = keys.write("unseal", "unseal-key-1\n");
  VaultProcess v({"--unseal-key-file", unseal});
  enable_kv(v);
  REQUIRE(v.root("POST", "/v1/secret/data/a", {{"data", {{"k", "v"}}}}).status == 200);

  // Sealed for two requests under secret/: 503 there, health unaffected elsewhere.
  REQUIRE(v.root("POST", "/_test/faults",
                 {{"kind", "sealed"}, {"path_prefix", "secret/"}, {"count", 2}})
              .status == 200);
  CHECK(v.call("GET", "/v1/sys/health").status == 200);
  for (int i = 0; i < 2; ++i) {
    Reply r = v.root("GET", "/v1/secret/data/a");
    CHECK(r.status == 503);
    CHECK(r.body == "{\"errors\":[\"Vault is sealed\"]}\n");
  }
  CHECK(v.root("GET", "/v1/secret/data/a").status == 200);

  // Sealed everywhere: health reports it in its own shape, with 503.
  REQUIRE(v.root("POST", "/_test/faults", {{"kind", "sealed"}, {"count", 1}}).status == 200);
  Reply h = v.call("GET", "/v1/sys/health");
  CHECK(h.status == 503);
  CHECK(h.json()["sealed"] == true);
  CHECK(!h.json().contains("errors"));

  REQUIRE(v.root("POST", "/_test/faults",
                 {{"kind", "deny"}, {"path_prefix", "secret/data/a"}, {"count", 1}})
              .status == 200);
  Reply d = v.root("GET", "/v1/secret/data/a");
  CHECK(d.status == 403);
  CHECK(errors_of(d) == json::array({kPermissionDenied}));

  REQUIRE(v.root("POST", "/_test/faults",
                 {{"kind", "rate_limit"}, {"path_prefix", "secret/"}, {"retry_after", 7}})
              .status == 200);
  Reply rl = v.root("GET", "/v1/secret/data/a");
  CHECK(rl.status == 429);
  CHECK(rl.header("Retry-After") == "7");
  CHECK(errors_of(rl) ==
        json::array({"request path \"secret/data/a\": rate limit quota exceeded"}));
  CHECK(v.root("GET", "/_test/faults").json()["faults"].size() == 1);
  int id =
      v.root("POST", "/_test/faults", {{"kind", "deny"}, {"path_prefix", "nothing/"}}).json()["id"];
  CHECK(v.root("GET", "/_test/faults").json()["faults"].size() == 2);
  CHECK(v.root("DELETE", "/_test/faults/" + std::to_string(id)).status == 204);
  CHECK(v.root("GET", "/_test/faults").json()["faults"].size() == 1);
  REQUIRE(v.root("DELETE", "/_test/faults").status == 204);
  CHECK(v.root("GET", "/v1/secret/data/a").status == 200);

  REQUIRE(
      v.root("POST", "/_test/faults", {{"kind", "slow"}, {"delay_ms", 400}, {"count", 1}}).status ==
      200);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(v.root("GET", "/v1/secret/data/a").status == 200);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  CHECK(ms >= 400);
  t0 = std::chrono::steady_clock::now();
  CHECK(v.root("GET", "/v1/secret/data/a").status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(400));

  // The test-control API needs the root token.
  CHECK(v.call("POST", "/_test/faults", {{"kind", "deny"}}).status == 403);

  // sys/seal seals for real; sys/unseal with the key from --unseal-key-file unseals.
  CHECK(v.root("PUT", "/v1/sys/seal").status == 204);
  CHECK(v.root("GET", "/v1/secret/data/a").status == 503);
  CHECK(v.call("GET", "/v1/sys/health").status == 503);
  CHECK(v.call("GET", "/v1/sys/seal-status").json()["sealed"] == true);
  CHECK(v.call("PUT", "/v1/sys/unseal", {{"key", "wrong"}}).status == 400);
  Reply un = v.call("PUT", "/v1/sys/unseal", {{"key", "unseal-key-1"}});
  CHECK(un.status == 200);
  CHECK(un.json()["sealed"] == false);
  CHECK(v.root("GET", "/v1/secret/data/a").status == 200);
}

TEST_CASE("tokens: create, look up, renew with max_ttl capping, revoke, expire", "[server]") {
  VaultProcess v;
  Reply c = v.root("POST", "/v1/auth/token/create",
                   {{"policies", "default"},
                    {"ttl", "30s"},
                    {"explicit_max_ttl", "40s"},
                    {"display_name", "ci"},
                    {"meta", {{"owner", "tests"}}}});
  REQUIRE(c.status == 200);
  json auth = c.json()["auth"];
  CHECK(auth["lease_duration"] == 30);
  CHECK(auth["renewable"] == true);
  CHECK(auth["token_type"] == "service");
  CHECK(auth["orphan"] == false);
  CHECK(auth["metadata"]["owner"] == "tests");
  CHECK(auth["mfa_requirement"].is_null());
  CHECK(c.json()["data"].is_null());
  std::string t = auth["client_token"];
  CHECK(t.rfind("hvs.", 0) == 0);
  json self = v.call("GET", "/v1/auth/token/lookup-self", nullptr, t).json()["data"];
  CHECK(self["display_name"] == "token-ci");
  CHECK(self["creation_ttl"] == 30);
  CHECK(self["explicit_max_ttl"] == 40);
  CHECK(self["path"] == "auth/token/create");
  CHECK(self["id"] == t);

  Reply renew = v.call("POST", "/v1/auth/token/renew-self", {{"increment", "1h"}}, t);
  REQUIRE(renew.status == 200);
  int64_t capped = renew.json()["auth"]["lease_duration"];
  CHECK(capped <= 40);
  CHECK(capped >= 38);
  REQUIRE(renew.json()["warnings"].size() == 1);
  CHECK(renew.json()["warnings"][0] == "TTL of \"1h\" exceeded the effective max_ttl of \"" +
                                           std::to_string(capped) +
                                           "s\"; TTL value is capped accordingly");

  Reply root_renew = v.root("POST", "/v1/auth/token/renew-self", json::object());
  CHECK(root_renew.status == 400);
  CHECK(errors_of(root_renew) == json::array({"lease is not renewable"}));
  std::string fixed = create_token(v, {{"ttl", "1h"}, {"renewable", false}});
  CHECK(errors_of(v.call("POST", "/v1/auth/token/renew-self", json::object(), fixed)) ==
        json::array({"lease is not renewable"}));

  // A child dies with its parent. The default policy does not allow creating tokens.
  CHECK(v.call("POST", "/v1/auth/token/create", {{"ttl", "1h"}}, t).status == 403);
  write_policy(v, "creator", R"(path "auth/token/create" { capabilities = ["create", "update"] })");
  t = create_token(v, {{"policies", "creator"}, {"ttl", "1h"}});
  std::string child =
      v.call("POST", "/v1/auth/token/create", {{"ttl", "1h"}}, t).json()["auth"]["client_token"];
  REQUIRE(!child.empty());
  CHECK(v.call("POST", "/v1/auth/token/revoke-self", json::object(), t).status == 204);
  CHECK(errors_of(v.call("GET", "/v1/auth/token/lookup-self", nullptr, t)) ==
        json::array({kInvalidToken}));
  CHECK(v.call("GET", "/v1/auth/token/lookup-self", nullptr, child).status == 403);

  // Expiry: by its TTL, and on demand through the test-control API.
  std::string brief = create_token(v, {{"ttl", "1s"}});
  CHECK(wait_until(
      [&] { return v.call("GET", "/v1/auth/token/lookup-self", nullptr, brief).status == 403; },
      std::chrono::seconds(5)));
  std::string other = create_token(v, {{"ttl", "1h"}});
  std::string accessor =
      v.call("GET", "/v1/auth/token/lookup-self", nullptr, other).json()["data"]["accessor"];
  CHECK(v.root("POST", "/_test/tokens/expire", {{"accessor", accessor}}).status == 204);
  CHECK(v.call("GET", "/v1/auth/token/lookup-self", nullptr, other).status == 403);
  std::string third = create_token(v, {{"ttl", "1h"}});
  std::string acc3 =
      v.call("GET", "/v1/auth/token/lookup-self", nullptr, third).json()["data"]["accessor"];
  json by_accessor =
      v.root("POST", "/v1/auth/token/lookup-accessor", {{"accessor", acc3}}).json()["data"];
  CHECK(by_accessor["id"] == "");
  CHECK(by_accessor["accessor"] == acc3);
  CHECK(v.root("POST", "/v1/auth/token/revoke-accessor", {{"accessor", acc3}}).status == 204);
  CHECK(v.call("GET", "/v1/auth/token/lookup-self", nullptr, third).status == 403);
  // Tokens never reach the log.
  CHECK(v.log().find(other) == std::string::npos);
  CHECK(v.log().find(v.root_token()) == std::string::npos);
}

TEST_CASE("AppRole: role, role-id, secret-id and login", "[server]") {
  VaultProcess v;
  REQUIRE(v.root("POST", "/v1/sys/auth/approle", {{"type", "approle"}}).status == 204);
  CHECK(errors_of(v.root("POST", "/v1/sys/auth/approle", {{"type", "approle"}})) ==
        json::array({"path is already in use at auth/approle/"}));
  REQUIRE(v.root("POST", "/v1/auth/approle/role/collect",
                 {{"token_policies", "infralogs-collect"},
                  {"token_ttl", "20m"},
                  {"token_max_ttl", "1h"},
                  {"secret_id_num_uses", 2}})
              .status == 204);
  std::string role_id =
      v.root("GET", "/v1/auth/approle/role/collect/role-id").json()["data"]["role_id"];
  json sid =
      v.root("POST", "/v1/auth/approle/role/collect/secret-id", {{"metadata", "{\"host\":\"ci\"}"}})
          .json()["data"];
  std::string secret_id = sid["secret_id"];
  CHECK(sid["secret_id_num_uses"] == 2);
  CHECK(!sid["secret_id_accessor"].get<std::string>().empty());

  Reply login =
      v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}, {"secret_id", secret_id}});
  REQUIRE(login.status == 200);
  json a = login.json()["auth"];
  CHECK(login.json()["lease_duration"] == 0);
  CHECK(login.json()["renewable"] == false);
  CHECK(login.json()["data"].is_null());
  CHECK(login.json()["mount_type"] == "approle");
  CHECK(a["policies"] == json::array({"default", "infralogs-collect"}));
  CHECK(a["token_policies"] == a["policies"]);
  CHECK(a["metadata"] == json({{"host", "ci"}, {"role_name", "collect"}}));
  CHECK(a["lease_duration"] == 1200);
  CHECK(a["renewable"] == true);
  CHECK(a["orphan"] == true);
  CHECK(!a["entity_id"].get<std::string>().empty());
  json self =
      v.call("GET", "/v1/auth/token/lookup-self", nullptr, a["client_token"]).json()["data"];
  CHECK(self["display_name"] == "approle");
  CHECK(self["path"] == "auth/approle/login");

  CHECK(errors_of(v.call("POST", "/v1/auth/approle/login",
                         {{"role_id", role_id}, {"secret_id", "wrong"}})) ==
        json::array({"invalid role or secret ID"}));
  CHECK(errors_of(v.call("POST", "/v1/auth/approle/login", {{"secret_id", secret_id}})) ==
        json::array({"missing role_id"}));
  CHECK(errors_of(v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}})) ==
        json::array({"missing secret_id"}));
  // The second use is the last one.
  CHECK(v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}, {"secret_id", secret_id}})
            .status == 200);
  CHECK(v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}, {"secret_id", secret_id}})
            .status == 400);
  CHECK(v.log().find(secret_id) == std::string::npos);
  json role = v.root("GET", "/v1/auth/approle/role/collect").json()["data"];
  CHECK(role["token_ttl"] == 1200);
  CHECK(role["token_max_ttl"] == 3600);
  CHECK(role["token_policies"] == json::array({"infralogs-collect"}));
  CHECK(v.root("LIST", "/v1/auth/approle/role").json()["data"]["keys"] == json::array({"collect"}));
  REQUIRE(v.root("POST", "/v1/auth/approle/role/collect/role-id", {{"role_id", "custom-role-id"}})
              .status == 204);
  std::string s2 =
      v.root("POST", "/v1/auth/approle/role/collect/secret-id").json()["data"]["secret_id"];
  CHECK(
      v.call("POST", "/v1/auth/approle/login", {{"role_id", role_id}, {"secret_id", s2}}).status ==
      400);
  CHECK(v.call("POST", "/v1/auth/approle/login", {{"role_id", "custom-role-id"}, {"secret_id", s2}})
            .status == 200);
  REQUIRE(v.root("POST", "/v1/auth/approle/role/collect/custom-secret-id",
                 {{"secret_id", "my-secret-id"}})
              .status == 200);
  CHECK(v.call("POST", "/v1/auth/approle/login",
               {{"role_id", "custom-role-id"}, {"secret_id", "my-secret-id"}})
            .status == 200);
}

TEST_CASE("Kubernetes login verifies a service-account JWT with pem_keys", "[server]") {
  VaultProcess v;
  SigningKey key, other;
  REQUIRE(v.root("POST", "/v1/sys/auth/kubernetes", {{"type", "kubernetes"}}).status == 204);
  REQUIRE(v.root("POST", "/v1/auth/kubernetes/config",
                 {{"kubernetes_host", "https://kubernetes.default.svc"},
                  {"pem_keys", {key.public_pem()}}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/auth/kubernetes/role/infralogs",
                 {{"bound_service_account_names", "infralogs"},
                  {"bound_service_account_namespaces", "logging"},
                  {"token_policies", "infralogs-db"},
                  {"token_ttl", 3600}})
              .status == 204);
  std::string jwt = key.sign(sa_claims("logging", "infralogs"));
  Reply login = v.call("POST", "/v1/auth/kubernetes/login", {{"role", "infralogs"}, {"jwt", jwt}});
  INFO(login.body);
  REQUIRE(login.status == 200);
  json a = login.json()["auth"];
  CHECK(a["policies"] == json::array({"default", "infralogs-db"}));
  CHECK(a["lease_duration"] == 3600);
  CHECK(a["metadata"] == json({{"role", "infralogs"},
                               {"service_account_name", "infralogs"},
                               {"service_account_namespace", "logging"},
                               {"service_account_secret_name", "infralogs-token-x1"},
                               {"service_account_uid", "aa9aa8ff-0000-4000-8000-000000000001"}}));
  CHECK(login.json()["mount_type"] == "kubernetes");
  json self =
      v.call("GET", "/v1/auth/token/lookup-self", nullptr, a["client_token"]).json()["data"];
  CHECK(self["display_name"] == "kubernetes-logging-infralogs");

  Reply forged =
      v.call("POST", "/v1/auth/kubernetes/login",
             {{"role", "infralogs"}, {"jwt", other.sign(sa_claims("logging", "infralogs"))}});
  CHECK(forged.status == 403);
  CHECK(errors_of(forged) == json::array({kPermissionDenied}));
  Reply wrong_sa =
      v.call("POST", "/v1/auth/kubernetes/login",
             {{"role", "infralogs"}, {"jwt", key.sign(sa_claims("logging", "intruder"))}});
  CHECK(wrong_sa.status == 403);
  CHECK(errors_of(wrong_sa) ==
        json::array({"1 error occurred:\n\t* service account name not authorized\n\n"}));
  Reply wrong_ns =
      v.call("POST", "/v1/auth/kubernetes/login",
             {{"role", "infralogs"}, {"jwt", key.sign(sa_claims("default", "infralogs"))}});
  CHECK(wrong_ns.status == 403);
  CHECK(errors_of(wrong_ns) ==
        json::array({"1 error occurred:\n\t* namespace not authorized\n\n"}));
  json expired = sa_claims("logging", "infralogs");
  expired["exp"] = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() -
                   3600;
  CHECK(v.call("POST", "/v1/auth/kubernetes/login",
               {{"role", "infralogs"}, {"jwt", key.sign(expired)}})
            .status == 403);
  CHECK(errors_of(v.call("POST", "/v1/auth/kubernetes/login", {{"role", "nope"}, {"jwt", jwt}})) ==
        json::array({"invalid role name \"nope\""}));
  CHECK(errors_of(v.call("POST", "/v1/auth/kubernetes/login", {{"role", "infralogs"}})) ==
        json::array({"missing jwt"}));
  CHECK(errors_of(v.call("POST", "/v1/auth/kubernetes/login", {{"jwt", jwt}})) ==
        json::array({"missing role"}));
  json cfg = v.root("GET", "/v1/auth/kubernetes/config").json()["data"];
  CHECK(cfg["kubernetes_host"] == "https://kubernetes.default.svc");
  std::string pem = key.public_pem();
  pem.pop_back();  // Vault trims the elements of a comma-separated list field
  CHECK(cfg["pem_keys"] == json::array({pem}));
  CHECK(!cfg.contains("token_reviewer_jwt"));
  json role = v.root("GET", "/v1/auth/kubernetes/role/infralogs").json()["data"];
  CHECK(role["bound_service_account_names"] == json::array({"infralogs"}));
  CHECK(role["token_ttl"] == 3600);
  CHECK(errors_of(v.root("POST", "/v1/auth/kubernetes/role/empty",
                         {{"bound_service_account_namespaces", "x"}})) ==
        json::array({"\"bound_service_account_names\" can not be empty"}));
  CHECK(v.log().find(jwt.substr(jwt.rfind('.'))) == std::string::npos);
}

}  // namespace infralogs::vtest

namespace infralogs::vtest {

TEST_CASE("bad startup options exit 2 with a message; SIGTERM exits 0", "[server]") {
  TempDir dir;
  std::string token = dir.write("token", "t\n");
  CommandResult no_token = run({TEST_VAULT_BINARY});
  CHECK(no_token.exit_code == 2);
  CHECK(no_token.err.find("--root-token-file") != std::string::npos);
  CommandResult unreadable = run({TEST_VAULT_BINARY, "--root-token-file", dir.path() + "/none"});
  CHECK(unreadable.exit_code == 2);
  CHECK(unreadable.err.find("cannot read") != std::string::npos);
  CommandResult empty = run({TEST_VAULT_BINARY, "--root-token-file", dir.write("empty", "\n")});
  CHECK(empty.exit_code == 2);
  CommandResult listen = run({TEST_VAULT_BINARY, "--root-token-file", token, "--listen", "nope"});
  CHECK(listen.exit_code == 2);
  CommandResult tls = run({TEST_VAULT_BINARY, "--root-token-file", token, "--tls-cert", token,
                           "--tls-key", token, "--listen", "127.0.0.1:0"});
  CHECK(tls.exit_code == 2);
  CHECK(tls.err.find("--tls-cert") != std::string::npos);
  VaultProcess v;
  CHECK(v.stop() == 0);
  CHECK(v.log().find("\"msg\":\"stopped\"") != std::string::npos);
}

}  // namespace infralogs::vtest
