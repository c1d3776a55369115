// The agents' API tokens from Vault KV v2 (issue 10): the real agent with --tokens-vault-path
// and the real rotate-creds --agent-tokens against test-vault. The agent accepts the secret's
// tokens; after a rotation both the old and the new one work during the overlap, and the old
// one gets 401 after the drop; with Vault sealed the last set stays valid and /healthz says it
// is stale; rotate-creds killed after each step converges on rerun; and no token is in any log.
// Run by ctest as "vault: agent tokens".

#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "support/binaries.h"
#include "support/process.h"
#include "vault_fixture.h"

namespace infralogs::vtest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kMount = "secret";
const std::string kPath = "secret/data/infralogs/agent-tokens";

struct Env {
  VaultProcess& vault;
  TempDir dir;
  std::string token_file;
  std::string all_output;  // everything the binaries wrote, for the secret check
  explicit Env(VaultProcess& v) : vault(v) {
    token_file = dir.write("vault-token", v.root_token() + "\n");
    REQUIRE(v.root("POST", "/v1/sys/mounts/" + kMount,
                   {{"type", "kv"}, {"options", {{"version", "2"}}}})
                .status == 204);
  }
  std::vector<std::string> vault_flags() const {
    return {"--vault-addr", "http://127.0.0.1:" + std::to_string(vault.port()),
            "--vault-token-file", token_file};
  }
  std::vector<std::string> rotate_args(const std::string& path,
                                       std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {test::infralogs_binary(), "rotate-creds", "--agent-tokens", path};
    for (const std::string& s : vault_flags()) a.push_back(s);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  CommandResult rotate(const std::string& path, std::vector<std::string> extra = {}) {
    CommandResult r = run(rotate_args(path, std::move(extra)));
    all_output += r.out + r.err;
    return r;
  }
};

struct Secret {
  int64_t version = 0;
  json data;
  std::string get(const std::string& key) const {
    return data.contains(key) ? data[key].get<std::string>() : "";
  }
};
Secret read_secret(const VaultProcess& v, const std::string& path = kPath) {
  Reply r = v.root("GET", "/v1/" + path);
  Secret s;
  if (r.status != 200) return s;
  json j = r.json();
  s.version = j["data"]["metadata"]["version"].get<int64_t>();
  s.data = j["data"]["data"];
  return s;
}

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// The real agent serving an empty journal directory: /machine answers 200 with a valid token
// and 401 without one, whatever the journal holds.
class Agent {
 public:
  Agent(const Env& env, const std::string& path) : port_(free_port()) {
    std::vector<std::string> a = {test::infralogs_binary(), "agent", "--listen",
                                  "127.0.0.1:" + std::to_string(port_), "--directory",
                                  journal_dir_.path(), "--tokens-vault-path", path,
                                  "--tokens-poll-interval", "1",
                                  // The waits below present tokens not accepted yet.
                                  "--auth-fail-limit", "1000000"};
    for (const std::string& s : env.vault_flags()) a.push_back(s);
    child_ = std::make_unique<test::BackgroundProcess>(a);
    REQUIRE(wait_until([&] { return get("/healthz", "") != -1; }, seconds(20)));
  }
  // The status of GET `path` with `token` as Bearer (none when empty); -1 when unreachable.
  int get(const std::string& path, const std::string& token, std::string* body = nullptr) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(1, 0);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto res = c.Get(path, h);
    if (!res) return -1;
    if (body) *body = res->body;
    return res->status;
  }
  json health() const {
    std::string body;
    get("/healthz", "", &body);
    return json::parse(body, nullptr, false);
  }
  std::string log() const { return child_->log(); }

 private:
  TempDir journal_dir_;
  int port_;
  std::unique_ptr<test::BackgroundProcess> child_;
};

TEST_CASE("agent takes its API tokens from Vault and follows rotate-creds --agent-tokens",
          "[agent-tokens]") {
  VaultProcess v;
  Env env(v);
  std::set<std::string> tokens;

  CommandResult created = env.rotate(kPath);
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  Secret s1 = read_secret(v);
  REQUIRE(s1.version == 1);
  const std::string t1 = s1.get("current");
  CHECK(t1.size() == 43);
  CHECK(s1.get("previous").empty());
  tokens.insert(t1);

  Agent agent(env, kPath);
  CHECK(agent.get("/machine", t1) == 200);
  CHECK(agent.get("/machine", "not-a-token") == 401);
  CHECK(agent.get("/machine", "") == 401);
  json h = agent.health();
  CHECK(h["tokens"]["source"] == "vault " + kPath);
  CHECK(h["tokens"]["count"] == 1);
  CHECK(h["tokens"]["stale"] == false);

  // Right after the create nothing is due (default --min-interval 1 h).
  CommandResult not_due = env.rotate(kPath);
  REQUIRE(not_due.exit_code == 0);
  CHECK(not_due.out.find("not due") != std::string::npos);
  CHECK(read_secret(v).version == 1);

  // A dry run reads only.
  CommandResult dry = env.rotate(kPath, {"--min-interval", "0", "--dry-run"});
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out.find("dry run: would write " + kPath + " with cas 1") != std::string::npos);
  CHECK(count(dry.err, "\"result\":\"dry-run\"") == 1);
  CHECK(read_secret(v).version == 1);

  // Rotate: the new token is current, the old one previous; the agent accepts both.
  CommandResult rotated = env.rotate(kPath, {"--min-interval", "0"});
  INFO(rotated.err);
  REQUIRE(rotated.exit_code == 0);
  CHECK(rotated.out.find("rotated " + kPath) != std::string::npos);
  Secret s2 = read_secret(v);
  CHECK(s2.version == 2);
  const std::string t2 = s2.get("current");
  tokens.insert(t2);
  CHECK(t2 != t1);
  CHECK(s2.get("previous") == t1);
  REQUIRE(wait_until([&] { return agent.get("/machine", t2) == 200; }, seconds(10)));
  CHECK(agent.get("/machine", t1) == 200);
  CHECK(agent.health()["tokens"]["count"] == 2);
  // One audit line per action: read and rotate.
  CHECK(count(rotated.err, "\"msg\":\"audit\"") == 2);
  CHECK(count(rotated.err, "\"action\":\"rotate\"") == 1);

  // Within the overlap (default --overlap 1 h) the previous token is not dropped, and no run
  // rotates again while previous is set.
  CommandResult in_overlap = env.rotate(kPath, {"--min-interval", "0"});
  REQUIRE(in_overlap.exit_code == 0);
  CHECK(in_overlap.out.find("not due") != std::string::npos);
  CHECK(read_secret(v).version == 2);
  CHECK(agent.get("/machine", t1) == 200);

  // After the overlap: previous dropped, the old token refused.
  CommandResult dropped = env.rotate(kPath, {"--overlap", "0", "--min-interval", "0"});
  INFO(dropped.err);
  REQUIRE(dropped.exit_code == 0);
  CHECK(dropped.out.find("dropped the previous token") != std::string::npos);
  Secret s3 = read_secret(v);
  CHECK(s3.version == 3);
  CHECK(s3.get("current") == t2);
  CHECK_FALSE(s3.data.contains("previous"));
  CHECK(count(dropped.err, "\"action\":\"drop-previous\"") == 1);
  REQUIRE(wait_until([&] { return agent.get("/machine", t1) == 401; }, seconds(10)));
  CHECK(agent.get("/machine", t2) == 200);

  // Vault sealed: the last set stays valid; /healthz and /metrics say the set is stale.
  REQUIRE(
      v.root("POST", "/_test/faults", {{"kind", "sealed"}, {"path_prefix", "secret/"}}).status ==
      200);
  REQUIRE(wait_until([&] { return agent.health()["tokens"]["stale"] == true; }, seconds(10)));
  CHECK(agent.health()["tokens"]["error"].get<std::string>().find("503") != std::string::npos);
  CHECK(agent.get("/machine", t2) == 200);
  CHECK(agent.get("/machine", t1) == 401);
  std::string metrics;
  REQUIRE(agent.get("/metrics", t2, &metrics) == 200);
  CHECK(metrics.find("infralogs_agent_token_reloads_total{result=\"error\"}") != std::string::npos);
  CHECK(metrics.find("infralogs_agent_tokens 1") != std::string::npos);
  REQUIRE(v.root("DELETE", "/_test/faults").status == 204);
  REQUIRE(wait_until([&] { return agent.health()["tokens"]["stale"] == false; }, seconds(10)));
  CHECK(agent.get("/machine", t2) == 200);

  std::string log = agent.log();
  INFO(log);
  CHECK(log.find("\"msg\":\"API tokens reloaded\"") != std::string::npos);
  CHECK(log.find("\"msg\":\"API tokens reload failed; the last good set stays valid\"") !=
        std::string::npos);
  env.all_output += log;
  tokens.insert(v.root_token());
  for (const std::string& t : tokens) {
    INFO("a token is in the output");
    CHECK(env.all_output.find(t) == std::string::npos);
  }
}

TEST_CASE("rotate-creds --agent-tokens killed after each step converges on rerun",
          "[agent-tokens]") {
  VaultProcess v;
  Env env(v);
  std::set<std::string> tokens = {v.root_token(), "seed-current-token", "seed-previous-token"};
  struct Case {
    std::string action;
    json seed;  // the secret before the run; null: none
  };
  // rotated_at "1" (1970): every action is due under the default --min-interval and --overlap.
  const Case cases[] = {
      {"create", nullptr},
      {"rotate", {{"current", "seed-current-token"}, {"rotated_at", "1"}}},
      {"drop-previous",
       {{"current", "seed-current-token"},
        {"previous", "seed-previous-token"},
        {"rotated_at", "1"}}},
  };
  int n = 0;
  for (const Case& c : cases) {
    for (int step = 1; step <= 2; ++step) {
      INFO(c.action << ", killed after step " << step);
      const std::string path = kPath + "-" + std::to_string(++n);
      if (!c.seed.is_null())
        REQUIRE(v.root("POST", "/v1/" + path, {{"data", c.seed}}).status == 200);
      const int64_t before = read_secret(v, path).version;
      {
        test::BackgroundProcess b(
            env.rotate_args(path, {"--pause-after-step", std::to_string(step)}));
        REQUIRE(wait_until([&] { return b.log().find("paused (test hook") != std::string::npos; },
                           seconds(30)));
        b.signal(SIGKILL);
        b.wait();
        CHECK(b.term_signal() == SIGKILL);  // it was still paused, not exited
        env.all_output += b.log();
      }
      CHECK(read_secret(v, path).version == before + (step == 2 ? 1 : 0));
      // The rerun finishes what a crash before the write left undone; after the write it has
      // nothing to do.
      CommandResult r = env.rotate(path);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK((r.out.find("not due") != std::string::npos) == (step == 2));
      Secret s = read_secret(v, path);
      CHECK(s.version == before + 1);
      const std::string current = s.get("current");
      tokens.insert(current);
      CHECK(current.size() >= 18);
      if (c.action == "create") CHECK(s.get("previous").empty());
      if (c.action == "rotate") CHECK(s.get("previous") == "seed-current-token");
      if (c.action == "rotate") CHECK(current != "seed-current-token");
      if (c.action == "drop-previous") {
        CHECK(current == "seed-current-token");
        CHECK_FALSE(s.data.contains("previous"));
      }
    }
  }
  for (const std::string& t : tokens) {
    INFO("a token is in the output");
    CHECK(env.all_output.find(t) == std::string::npos);
  }
}

TEST_CASE("rotate-creds --agent-tokens and agent --tokens-vault-path usage errors exit 2",
          "[agent-tokens]") {
  TempDir dir;
  const std::string tf = dir.write("t", "tok\n");
  const std::vector<std::string> vault = {"--vault-addr", "http://127.0.0.1:1",
                                          "--vault-token-file", tf};
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"rotate-creds", "--agent-tokens", "secret/infralogs/x"}, "want the KV v2 API path"},
      {{"rotate-creds", "--agent-tokens", kPath, "--static-role", "r"},
       "--agent-tokens goes alone"},
      {{"rotate-creds", "--agent-tokens", kPath}, "rotate-creds needs --vault-addr"},
      // The database rotations still need both servers; --agent-tokens does not.
      {{"rotate-creds", "--static-role", "r"}, "--primary and --replica are required"},
      {{"agent", "--directory", dir.path()}, "give one of --token-file and --tokens-vault-path"},
      {{"agent", "--directory", dir.path(), "--token-file", tf, "--tokens-vault-path", kPath},
       "give one of --token-file and --tokens-vault-path"},
      {{"agent", "--directory", dir.path(), "--tokens-vault-path", "secret/x"},
       "want the KV v2 API path"},
      {{"agent", "--directory", dir.path(), "--tokens-vault-path", kPath}, "needs --vault-addr"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> a = {test::infralogs_binary()};
    a.insert(a.end(), c.args.begin(), c.args.end());
    CommandResult r = run(a);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
  }
  // Vault down at start is a runtime failure (exit 1), not a usage error.
  std::vector<std::string> down = {test::infralogs_binary(), "agent", "--directory", dir.path(),
                                   "--tokens-vault-path",    kPath};
  down.insert(down.end(), vault.begin(), vault.end());
  down[down.size() - 3] = "http://127.0.0.1:" + std::to_string(free_port());
  CommandResult r = run(down);
  INFO(r.err);
  CHECK(r.exit_code == 1);
}

}  // namespace
}  // namespace infralogs::vtest
