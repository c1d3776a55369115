// The infralogs Vault client (src/secrets) against build/test-vault: VaultClient's error
// mapping, each auth method and the token manager's renewal and re-login, the dynamic, static
// and KV v2 credential sources following renewals and rotations, and Vault down, sealed,
// denying and rate-limiting. Every case captures the log lines it writes (stderr) and checks
// that none holds a password or token it handled. Run by ctest as "vault: sources" and
// "vault: sources database".

#include <fcntl.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "fakes/fake_rotation_listener.h"
#include "infralogs/secrets/credentials_config.h"
#include "infralogs/secrets/vault_auth.h"
#include "infralogs/secrets/vault_client.h"
#include "infralogs/secrets/vault_credential_source.h"
#include "infralogs/secrets/vault_kv_tokens.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using secrets::VaultClient;
using secrets::VaultCredentialSource;
using secrets::VaultResponse;
using secrets::VaultSecretKind;
using secrets::VaultSourceOptions;
using secrets::VaultTokenManager;
using std::chrono::milliseconds;

// Sends this process's stderr (where infralogs logs) to a file while alive; finish() restores
// it and checks that no line holds one of `secrets` or any Vault token ("hvs.").
class LogCapture {
 public:
  explicit LogCapture(const TempDir& dir) : path_(dir.path() + "/stderr.log") {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~LogCapture() { restore(); }
  void add_secret(const std::string& s) {
    if (!s.empty()) secrets_.push_back(s);
  }
  // The captured text; fails the test case if a secret is in it.
  std::string finish() {
    restore();
    std::string text = read_file(path_);
    CHECK(text.find("hvs.") == std::string::npos);
    for (const std::string& s : secrets_) {
      INFO("a secret of " << s.size() << " characters is in the log");
      CHECK(text.find(s) == std::string::npos);
    }
    return text;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
  std::vector<std::string> secrets_;
};

std::unique_ptr<VaultClient> client_for(const VaultProcess& v) {
  secrets::VaultClientOptions o;
  o.address = "http://127.0.0.1:" + std::to_string(v.port());
  o.request_timeout = milliseconds(3000);
  auto c = VaultClient::create(o);
  REQUIRE(c);
  return std::move(*c);
}

void enable_kv(const VaultProcess& v) {
  REQUIRE(v.root("POST", "/v1/sys/mounts/secret", {{"type", "kv"}, {"options", {{"version", "2"}}}})
              .status == 204);
}

void kv_put(const VaultProcess& v, const std::string& user, const std::string& pw) {
  Reply r = v.root("POST", "/v1/secret/data/infralogs/db",
                   {{"data", {{"username", user}, {"password", pw}}}});
  INFO(r.body);
  REQUIRE(r.status == 200);
}

void add_fault(const VaultProcess& v, const json& f) {
  REQUIRE(v.root("POST", "/_test/faults", f).status == 200);
}

// How many /v1/ requests to `path` (exact) the server saw.
int requests_to(const VaultProcess& v, const std::string& path) {
  int n = 0;
  json all = v.root("GET", "/_test/requests").json();  // kept: the loop refers into it
  for (const json& r : all["requests"]) {
    if (r["path"] == "/v1/" + path) ++n;
  }
  return n;
}

VaultSourceOptions kv_options() {
  VaultSourceOptions o;
  o.kind = VaultSecretKind::kKv;
  o.path = "secret/data/infralogs/db";
  o.poll_interval = milliseconds(100);
  o.min_retry = milliseconds(50);
  o.max_retry = milliseconds(200);
  o.verify_retry = milliseconds(50);
  o.auth_failure_min_interval = milliseconds(2000);
  return o;
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

// An RS256 service-account JWT, as the kubelet would mount it, and the key Vault checks it with.
struct ServiceAccount {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  ~ServiceAccount() { EVP_PKEY_free(key); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string jwt(const std::string& ns, const std::string& sa) const {
    json claims = {{"iss", "kubernetes/serviceaccount"},
                   {"kubernetes.io/serviceaccount/namespace", ns},
                   {"kubernetes.io/serviceaccount/secret.name", sa + "-token-x1"},
                   {"kubernetes.io/serviceaccount/service-account.name", sa},
                   {"kubernetes.io/serviceaccount/service-account.uid",
                    "aa9aa8ff-0000-4000-8000-000000000001"},
                   {"sub", "system:serviceaccount:" + ns + ":" + sa}};
    std::string input =
        b64url(json({{"alg", "RS256"}, {"typ", "JWT"}}).dump()) + "." + b64url(claims.dump());
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

const char* kKvPolicy = R"(path "secret/data/infralogs/*" { capabilities = ["read"] })";

void write_policy(const VaultProcess& v, const std::string& name, const std::string& text) {
  REQUIRE(v.root("PUT", "/v1/sys/policies/acl/" + name, {{"policy", text}}).status == 204);
}

// An AppRole role "infralogs" with the given token TTLs; writes role_id and secret_id files.
void approle(const VaultProcess& v, const TempDir& dir, const json& role, LogCapture& cap) {
  REQUIRE(v.root("POST", "/v1/sys/auth/approle", {{"type", "approle"}}).status == 204);
  Reply r = v.root("POST", "/v1/auth/approle/role/infralogs", role);
  INFO(r.body);
  REQUIRE(r.status == 204);
  std::string role_id =
      v.root("GET", "/v1/auth/approle/role/infralogs/role-id").json()["data"]["role_id"];
  std::string secret_id =
      v.root("POST", "/v1/auth/approle/role/infralogs/secret-id").json()["data"]["secret_id"];
  cap.add_secret(secret_id);
  dir.write("role-id", role_id + "\n");
  dir.write("secret-id", secret_id + "\n");
}

}  // namespace

TEST_CASE("VaultClient maps Vault's answers and faults to Status codes naming path and status",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "u1", "kv-password-one");
  cap.add_secret("kv-password-one");
  auto c = client_for(v);
  c->set_token(v.root_token());
  VaultResponse r;
  REQUIRE(c->read("secret/data/infralogs/db", &r).is_ok());
  CHECK(r.http_status == 200);
  CHECK(r.data["data"]["username"] == "u1");
  CHECK(r.data["metadata"]["version"] == 1);

  REQUIRE(c->list("secret/metadata/infralogs", &r).is_ok());
  CHECK(r.data["keys"] == json::array({"db"}));

  Status s = c->read("secret/data/nothing", &r);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message().find("secret/data/nothing") != std::string::npos);
  CHECK(s.message().find("HTTP 404") != std::string::npos);

  s = c->write("sys/leases/renew", json::object(), &r);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("lease_id must be specified") != std::string::npos);

  add_fault(v, {{"kind", "deny"}, {"path_prefix", "secret/"}, {"count", 1}});
  s = c->read("secret/data/infralogs/db", &r);
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(s.message() ==
        "vault GET secret/data/infralogs/db: HTTP 403: 1 error occurred: * permission denied");

  add_fault(v, {{"kind", "sealed"}, {"count", 1}});
  s = c->read("secret/data/infralogs/db", &r);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message().find("HTTP 503: Vault is sealed") != std::string::npos);

  add_fault(v, {{"kind", "rate_limit"}, {"retry_after", 7}, {"count", 1}});
  s = c->read("secret/data/infralogs/db", &r);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message().find("HTTP 429") != std::string::npos);
  REQUIRE(r.retry_after);
  CHECK(r.retry_after->count() == 7);

  // An invalid token is a 403, and the token is not in the message.
  c->set_token("hvs.not-a-real-token-0000");
  s = c->read("secret/data/infralogs/db", &r);
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(s.message().find("not-a-real-token") == std::string::npos);

  // Slower than the request timeout: bounded, kUnavailable.
  secrets::VaultClientOptions o;
  o.address = "http://127.0.0.1:" + std::to_string(v.port());
  o.request_timeout = milliseconds(300);
  auto quick = VaultClient::create(o);
  REQUIRE(quick);
  (*quick)->set_token(v.root_token());
  add_fault(v, {{"kind", "slow"}, {"delay_ms", 1500}, {"count", 1}});
  auto t0 = std::chrono::steady_clock::now();
  s = (*quick)->read("secret/data/infralogs/db", &r);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(1200));
  cap.finish();
}

TEST_CASE("Vault down at startup is a clear kUnavailable naming the address", "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  dir.write("token", "hvs.some-token-value\n");
  secrets::CredentialsConfig cfg;
  cfg.vault_addr = "http://127.0.0.1:" + std::to_string(free_port());
  cfg.vault_auth = "token";
  cfg.vault_token_file = dir.path() + "/token";
  cfg.db_creds_path = "database/creds/infralogs-read";
  auto src = secrets::make_credential_source(cfg, nullptr);
  REQUIRE(!src);
  CHECK(src.status().code() == StatusCode::kUnavailable);
  CHECK(src.status().message().find("auth/token/lookup-self") != std::string::npos);
  CHECK(src.status().message().find("cannot connect (" + cfg.vault_addr + ")") !=
        std::string::npos);

  cfg.db_creds_path = "database/roles/x";
  CHECK(secrets::make_credential_source(cfg, nullptr).status().code() ==
        StatusCode::kInvalidArgument);
  cap.add_secret("some-token-value");
  cap.finish();
}

TEST_CASE("token file auth; the KV v2 source follows new versions through verify and switched",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  cap.add_secret("kv-pass-1");
  cap.add_secret("kv-pass-2");
  dir.write("token", v.root_token() + "\n");
  cap.add_secret(v.root_token());

  secrets::CredentialsConfig cfg;
  cfg.vault_addr = "http://127.0.0.1:" + std::to_string(v.port());
  cfg.vault_token_file = dir.path() + "/token";
  cfg.db_creds_path = "kv:secret/infralogs/db";
  cfg.poll_interval = milliseconds(100);
  fakes::FakeRotationListener listener;
  listener.set_unavailable_times(2);  // the replica is behind for the first two asks
  auto src = secrets::make_credential_source(cfg, &listener);
  REQUIRE(src);
  CHECK((*src)->current()->username == "alice");
  CHECK((*src)->info().source == "vault-kv");
  CHECK((*src)->info().location == "secret/data/infralogs/db");
  CHECK((*src)->info().generation == 1);

  kv_put(v, "bob", "kv-pass-2");
  REQUIRE(wait_until([&] { return (*src)->current()->username == "bob"; }, milliseconds(5000)));
  CHECK((*src)->current()->password == "kv-pass-2");
  CHECK(listener.verified() == std::vector<std::string>{"bob", "bob", "bob"});
  // switched() comes right after current() changed.
  REQUIRE(wait_until([&] { return !listener.switched().empty(); }, milliseconds(2000)));
  CHECK(listener.switched() == std::vector<uint64_t>{2});
  secrets::CredentialInfo info = (*src)->info();
  CHECK(info.generation == 2);
  CHECK(info.switches == 1);
  CHECK(info.username == "bob");
  CHECK(info.source_reachable);

  // A version the listener refuses is never returned.
  listener.set_result(Status::permission_denied("cannot log in"));
  kv_put(v, "carol", "kv-pass-3");
  cap.add_secret("kv-pass-3");
  REQUIRE(wait_until([&] { return (*src)->info().failures > 0; }, milliseconds(5000)));
  CHECK((*src)->current()->username == "bob");
  src->reset();
  cap.finish();
}

TEST_CASE("sealed, denying and rate-limited Vault: last good credentials kept, backoff, recovery",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  cap.add_secret("kv-pass-1");
  auto c = client_for(v);
  c->set_token(v.root_token());
  VaultCredentialSource src(*c, nullptr, kv_options());
  REQUIRE(src.start().is_ok());

  for (const char* kind : {"sealed", "deny"}) {
    INFO(kind);
    add_fault(v, {{"kind", kind}, {"path_prefix", "secret/"}});
    REQUIRE(wait_until([&] { return !src.info().source_reachable; }, milliseconds(3000)));
    secrets::CredentialInfo info = src.info();
    CHECK(info.failures >= 1);
    CHECK(info.last_error.find("secret/data/infralogs/db") != std::string::npos);
    CHECK(info.last_error.find(std::string(kind) == "sealed" ? "HTTP 503" : "HTTP 403") !=
          std::string::npos);
    CHECK(src.current()->username == "alice");
    REQUIRE(v.root("DELETE", "/_test/faults").status == 204);
    REQUIRE(wait_until([&] { return src.info().source_reachable; }, milliseconds(3000)));
  }

  // 429 with Retry-After: 2: the source waits 2 s although its own back-off is 50 ms.
  REQUIRE(v.root("DELETE", "/_test/requests").status == 204);
  add_fault(v,
            {{"kind", "rate_limit"}, {"path_prefix", "secret/"}, {"retry_after", 2}, {"count", 1}});
  REQUIRE(wait_until([&] { return !src.info().source_reachable; }, milliseconds(3000)));
  int seen = requests_to(v, "secret/data/infralogs/db");
  std::this_thread::sleep_for(milliseconds(1500));
  CHECK(requests_to(v, "secret/data/infralogs/db") == seen);
  REQUIRE(wait_until([&] { return src.info().source_reachable; }, milliseconds(3000)));
  CHECK(src.info().last_error.find("HTTP 429") != std::string::npos);

  // The log names the path and status of each failure.
  std::string log = cap.finish();
  CHECK(log.find("HTTP 503") != std::string::npos);
  CHECK(log.find("secret/data/infralogs/db") != std::string::npos);
}

TEST_CASE(
    "refresh_after_auth_failure re-reads at once, at most once per interval unless it switched",
    "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  auto c = client_for(v);
  c->set_token(v.root_token());
  VaultSourceOptions o = kv_options();
  o.poll_interval = milliseconds(60000);  // only forced reads
  VaultCredentialSource src(*c, nullptr, o);
  REQUIRE(src.start().is_ok());
  kv_put(v, "bob", "kv-pass-2");
  REQUIRE(v.root("DELETE", "/_test/requests").status == 204);
  CHECK(src.refresh_after_auth_failure()->username == "bob");
  CHECK(requests_to(v, "secret/data/infralogs/db") == 1);
  // That read switched to bob, so a refusal of bob is news: read again at once (a second
  // rotation soon after the first). It finds nothing new, so the next ones wait the interval.
  kv_put(v, "carol", "kv-pass-3");
  REQUIRE(v.root("DELETE", "/_test/requests").status == 204);
  CHECK(src.refresh_after_auth_failure()->username == "carol");
  CHECK(requests_to(v, "secret/data/infralogs/db") == 1);
  CHECK(src.refresh_after_auth_failure()->username == "carol");
  CHECK(requests_to(v, "secret/data/infralogs/db") == 2);
  for (int i = 0; i < 5; ++i) CHECK(src.refresh_after_auth_failure()->username == "carol");
  CHECK(requests_to(v, "secret/data/infralogs/db") == 2);
  // The refresh thread sleeps until its next poll in a minute; stop() does not wait for it.
  auto t0 = std::chrono::steady_clock::now();
  src.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(300));
  cap.add_secret("kv-pass-1");
  cap.add_secret("kv-pass-2");
  cap.add_secret("kv-pass-3");
  cap.finish();
}

TEST_CASE("refresh_after_auth_failure callers during a read under way wait for its result",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  auto c = client_for(v);
  c->set_token(v.root_token());
  VaultSourceOptions o = kv_options();
  o.poll_interval = milliseconds(60000);  // only forced reads
  VaultCredentialSource src(*c, nullptr, o);
  REQUIRE(src.start().is_ok());
  kv_put(v, "bob", "kv-pass-2");
  // The forced read takes 800 ms; a second connection refused meanwhile asks too (as the
  // pool's threads do when a rotation refuses several logins at once).
  REQUIRE(v.root("POST", "/_test/faults",
                 {{"kind", "slow"},
                  {"path_prefix", "secret/data/infralogs/db"},
                  {"count", 1},
                  {"delay_ms", 800}})
              .status == 200);
  REQUIRE(v.root("DELETE", "/_test/requests").status == 204);
  std::string first;
  std::thread t([&] { first = src.refresh_after_auth_failure()->username; });
  std::this_thread::sleep_for(milliseconds(200));
  CHECK(src.refresh_after_auth_failure()->username == "bob");  // was "alice", at once
  t.join();
  CHECK(first == "bob");
  CHECK(requests_to(v, "secret/data/infralogs/db") == 1);
  src.stop();
  cap.add_secret("kv-pass-1");
  cap.add_secret("kv-pass-2");
  cap.finish();
}

TEST_CASE("AppRole: the token is renewed at 2/3 of its TTL and re-acquired at max_ttl",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  cap.add_secret("kv-pass-1");
  write_policy(v, "kv", kKvPolicy);
  approle(v, dir, {{"token_policies", "kv"}, {"token_ttl", 3}, {"token_max_ttl", 5}}, cap);

  auto c = client_for(v);
  VaultTokenManager tokens(
      *c, secrets::make_approle_auth(dir.path() + "/role-id", dir.path() + "/secret-id"),
      {2.0 / 3.0, milliseconds(100), milliseconds(500)});
  REQUIRE(tokens.start().is_ok());
  CHECK(tokens.generation() == 1);
  VaultCredentialSource src(*c, &tokens, kv_options());
  REQUIRE(src.start().is_ok());
  // 3 s token, 5 s max: a renewal at ~2 s (capped at 3 s left), a new login before 5 s.
  REQUIRE(wait_until([&] { return tokens.generation() >= 2; }, milliseconds(6000)));
  CHECK(requests_to(v, "auth/token/renew-self") >= 1);
  CHECK(requests_to(v, "auth/approle/login") >= 2);
  // The source never lost access: no failure while tokens changed hands.
  std::this_thread::sleep_for(milliseconds(1500));
  CHECK(src.info().failures == 0);
  CHECK(src.info().source_reachable);
  cap.finish();
}

TEST_CASE("Kubernetes auth logs in with the service account JWT and role", "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  cap.add_secret("kv-pass-1");
  write_policy(v, "kv", kKvPolicy);
  ServiceAccount sa;
  REQUIRE(v.root("POST", "/v1/sys/auth/kubernetes", {{"type", "kubernetes"}}).status == 204);
  REQUIRE(v.root("POST", "/v1/auth/kubernetes/config",
                 {{"kubernetes_host", "https://kubernetes.default.svc"},
                  {"pem_keys", {sa.public_pem()}}})
              .status == 204);
  REQUIRE(v.root("POST", "/v1/auth/kubernetes/role/infralogs-serve",
                 {{"bound_service_account_names", "infralogs-serve"},
                  {"bound_service_account_namespaces", "logging"},
                  {"token_policies", "kv"},
                  {"token_ttl", 60}})
              .status == 204);
  std::string jwt = sa.jwt("logging", "infralogs-serve");
  cap.add_secret(jwt);
  dir.write("sa-token", jwt);

  secrets::CredentialsConfig cfg;
  cfg.vault_addr = "http://127.0.0.1:" + std::to_string(v.port());
  cfg.vault_auth = "kubernetes";
  cfg.vault_role = "infralogs-serve";
  cfg.kubernetes_jwt_file = dir.path() + "/sa-token";
  cfg.db_creds_path = "kv:secret/infralogs/db";
  auto src = secrets::make_credential_source(cfg, nullptr);
  REQUIRE(src);
  CHECK((*src)->current()->username == "alice");
  CHECK(requests_to(v, "auth/kubernetes/login") == 1);

  // A service account the role does not bind is refused with a clear error.
  dir.write("sa-token", sa.jwt("logging", "someone-else"));
  auto refused = secrets::make_credential_source(cfg, nullptr);
  REQUIRE(!refused);
  CHECK(refused.status().code() == StatusCode::kPermissionDenied);
  CHECK(refused.status().message().find("auth/kubernetes/login") != std::string::npos);
  src->reset();
  cap.finish();
}

TEST_CASE("a rewritten token file is re-read and used", "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  write_policy(v, "kv", kKvPolicy);
  auto make = [&] {
    Reply r = v.root("POST", "/v1/auth/token/create", {{"policies", "kv"}, {"ttl", "1h"}});
    REQUIRE(r.status == 200);
    std::string t = r.json()["auth"]["client_token"];
    cap.add_secret(t);
    return t;
  };
  std::string first = make(), second = make();
  dir.write("token", first + "\n");
  auto c = client_for(v);
  VaultTokenManager tokens(*c, secrets::make_token_file_auth(dir.path() + "/token"));
  REQUIRE(tokens.start().is_ok());
  VaultCredentialSource src(*c, &tokens, kv_options());
  REQUIRE(src.start().is_ok());
  // Rewritten with the same token: read again, but the same token (leases stay theirs).
  std::this_thread::sleep_for(milliseconds(20));
  dir.write("token", first);
  REQUIRE(wait_until([&] { return requests_to(v, "auth/token/lookup-self") >= 2; },
                     milliseconds(4000)));
  CHECK(tokens.generation() == 1);
  dir.write("token", second + "\n");
  REQUIRE(wait_until([&] { return tokens.generation() == 2; }, milliseconds(4000)));
  // The first token is gone; the source keeps reading with the second.
  REQUIRE(v.root("POST", "/v1/auth/token/revoke", {{"token", first}}).status == 204);
  uint64_t failures = src.info().failures;
  std::this_thread::sleep_for(milliseconds(600));
  CHECK(src.info().failures == failures);
  CHECK(src.info().source_reachable);
  // A file with a token Vault does not know: the login fails, the good token stays in use.
  dir.write("token", "hvs.not-known-to-vault\n");
  REQUIRE(wait_until([&] { return requests_to(v, "auth/token/lookup-self") >= 3; },
                     milliseconds(4000)));
  std::this_thread::sleep_for(milliseconds(400));
  CHECK(tokens.generation() == 2);
  CHECK(src.info().failures == failures);
  CHECK(src.info().source_reachable);
  cap.finish();
}

TEST_CASE("agent API tokens from KV v2: new versions followed, last good kept while sealed",
          "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  VaultProcess v;
  cap.add_secret(v.root_token());
  enable_kv(v);
  auto put = [&](const json& data) {
    Reply r = v.root("POST", "/v1/secret/data/infralogs/agents/web-1", {{"data", data}});
    INFO(r.body);
    REQUIRE(r.status == 200);
  };
  put({{"token", "agent-token-one"}});
  for (const char* t : {"agent-token-one", "agent-token-two"}) cap.add_secret(t);
  auto c = client_for(v);
  c->set_token(v.root_token());
  Mutex mu;
  std::vector<std::map<std::string, std::string>> seen;
  secrets::VaultKvTokens tokens(*c, nullptr,
                                {"secret/data/infralogs/agents/web-1", milliseconds(100),
                                 milliseconds(50), milliseconds(200)},
                                [&](const std::map<std::string, std::string>& values) {
                                  MutexLock lock(mu);
                                  seen.push_back(values);
                                });
  REQUIRE(tokens.start().is_ok());
  using Map = std::map<std::string, std::string>;
  CHECK(tokens.values() == Map{{"token", "agent-token-one"}});
  CHECK(tokens.info().version == 1);

  // rotate-creds' overlap window: the new token and the previous one.
  put({{"token", "agent-token-two"}, {"previous", "agent-token-one"}});
  REQUIRE(wait_until([&] { return tokens.info().version == 2; }, milliseconds(3000)));
  CHECK(tokens.values() == Map{{"token", "agent-token-two"}, {"previous", "agent-token-one"}});
  {
    MutexLock lock(mu);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == tokens.values());
  }

  add_fault(v, {{"kind", "sealed"}, {"path_prefix", "secret/"}});
  REQUIRE(wait_until([&] { return !tokens.info().source_reachable; }, milliseconds(3000)));
  CHECK(tokens.info().last_error.find("HTTP 503") != std::string::npos);
  CHECK(tokens.values().at("token") == "agent-token-two");
  REQUIRE(v.root("DELETE", "/_test/faults").status == 204);
  REQUIRE(wait_until([&] { return tokens.info().source_reachable; }, milliseconds(3000)));

  // A value that is not a string is refused; the last good values stay.
  put({{"token", 42}});
  REQUIRE(
      wait_until([&] { return tokens.info().last_error.find("not a string") != std::string::npos; },
                 milliseconds(3000)));
  CHECK(tokens.values().at("token") == "agent-token-two");
  tokens.stop();
  cap.finish();
}

TEST_CASE("HTTPS with the CA file verifies test-vault; another CA is refused", "[sources]") {
  TempDir dir;
  LogCapture cap(dir);
  std::string cert = dir.path() + "/vault.pem", key = dir.path() + "/vault.key";
  std::string other = dir.path() + "/other.pem", other_key = dir.path() + "/other.key";
  for (auto [c, k] : {std::pair{cert, key}, std::pair{other, other_key}}) {
    CommandResult gen =
        run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", k, "-out", c});
    INFO(gen.err);
    REQUIRE(gen.exit_code == 0);
  }
  VaultProcess v({"--tls-cert", cert, "--tls-key", key});
  cap.add_secret(v.root_token());
  enable_kv(v);
  kv_put(v, "alice", "kv-pass-1");
  cap.add_secret("kv-pass-1");
  dir.write("token", v.root_token());
  secrets::CredentialsConfig cfg;
  cfg.vault_addr = "https://127.0.0.1:" + std::to_string(v.port());
  cfg.vault_ca = cert;
  cfg.vault_token_file = dir.path() + "/token";
  cfg.db_creds_path = "kv:secret/infralogs/db";
  auto src = secrets::make_credential_source(cfg, nullptr);
  INFO((src ? "" : src.status().message()));
  REQUIRE(src);
  CHECK((*src)->current()->username == "alice");
  src->reset();

  cfg.vault_ca = other;
  auto refused = secrets::make_credential_source(cfg, nullptr);
  REQUIRE(!refused);
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  CHECK(refused.status().message().find("TLS") != std::string::npos);
  cap.finish();
}

TEST_CASE("the namespace and token headers are sent; a login sends no token", "[sources]") {
  // A stand-in server that records the headers (test-vault ignores the namespace, as CE).
  httplib::Server server;
  Mutex mu;
  std::vector<std::pair<std::string, std::string>> seen;  // {path, namespace + " " + token}
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    MutexLock lock(mu);
    seen.emplace_back(req.path, req.get_header_value("X-Vault-Namespace") + " " +
                                    req.get_header_value("X-Vault-Token"));
    res.set_content(R"({"data":{"username":"u","password":"p"},"auth":{"client_token":"tok-2",
                       "lease_duration":60,"renewable":true}})",
                    "application/json");
  };
  server.Get(".*", record);
  server.Put(".*", record);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  secrets::VaultClientOptions o;
  o.address = "http://127.0.0.1:" + std::to_string(port);
  o.vault_namespace = "team-a";
  auto c = VaultClient::create(o);
  REQUIRE(c);
  (*c)->set_token("tok-1");
  VaultResponse r;
  CHECK((*c)->read("database/creds/ro", &r).is_ok());
  CHECK((*c)->write_with_token("auth/approle/login", {{"role_id", "x"}}, "", &r).is_ok());
  CHECK(r.auth["client_token"] == "tok-2");
  server.stop();
  t.join();
  MutexLock lock(mu);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair<std::string, std::string>{"/v1/database/creds/ro", "team-a tok-1"});
  CHECK(seen[1] == std::pair<std::string, std::string>{"/v1/auth/approle/login", "team-a "});
}

}  // namespace infralogs::vtest
