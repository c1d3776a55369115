#include "infralogs/http/token_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <deque>
#include <fstream>

#include "infralogs/http/token_health.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace infralogs::http;
using namespace std::chrono_literals;
using infralogs::MetricsRegistry;
using infralogs::Status;
using infralogs::StatusCode;
using infralogs::test::TempDir;

namespace {

struct FakeClock {
  Clock::time_point now = Clock::time_point(1000s);
  ClockFn fn() {
    return [this] { return now; };
  }
};

// Everything written to stderr (the structured log) while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const TempDir& dir) : path_(dir.file("stderr.log")) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    std::fflush(stderr);
    return infralogs::test::read_file(path_);
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
};

int count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A source whose poll results a test queues; an empty queue means "nothing new".
class FakeTokenSource : public TokenSource {
 public:
  struct Result {
    Status status;
    std::vector<std::string> tokens;
  };
  explicit FakeTokenSource(std::deque<Result>* results) : results_(results) {}
  std::string name() const override { return "fake"; }
  Status poll(std::vector<std::string>* tokens, bool* changed) override {
    *changed = false;
    if (results_->empty()) return Status::ok();
    Result r = results_->front();
    results_->pop_front();
    if (!r.status.is_ok()) return r.status;
    *tokens = r.tokens;
    *changed = true;
    return Status::ok();
  }

 private:
  std::deque<Result>* results_;
};

uint64_t reloads(MetricsRegistry& m, const std::string& result) {
  return m.counter("infralogs_agent_token_reloads_total", "", {{"result", result}}).value();
}

}  // namespace

TEST_CASE("token file accepts every listed token and nothing else", "[http]") {
  TempDir dir;
  auto f = TokenFile::load(dir.write("tokens", "# comment\n\n  alpha  \nbeta\r\n"));
  REQUIRE(f.has_value());
  CHECK((*f)->token_count() == 2);
  CHECK((*f)->verify("alpha"));
  CHECK((*f)->verify("beta"));
  CHECK_FALSE((*f)->verify("gamma"));
  CHECK_FALSE((*f)->verify(""));
  CHECK_FALSE((*f)->verify("alph"));
}

TEST_CASE("token file without tokens is refused at load", "[http]") {
  TempDir dir;
  auto f = TokenFile::load(dir.write("tokens", "# only a comment\n\n"));
  CHECK(f.status().code() == StatusCode::kInvalidArgument);
  CHECK(TokenFile::load("/nonexistent/tokens").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("token file is re-read when it changes", "[http]") {
  FakeClock clock;
  TempDir dir;
  std::string path = dir.write("tokens", "old\n");
  auto f = TokenFile::load(path, 1000ms, clock.fn());
  REQUIRE(f.has_value());
  dir.write("tokens", "new-token-1\nnew-token-2\n");
  // Not yet re-checked: the old token still works.
  CHECK((*f)->verify("old"));
  clock.now += 2s;
  CHECK((*f)->verify("new-token-2"));
  CHECK_FALSE((*f)->verify("old"));
  CHECK((*f)->reload_count() == 1);

  SECTION("an emptied file keeps the last good tokens and reports why") {
    dir.write("tokens", "\n");
    clock.now += 2s;
    CHECK((*f)->verify("new-token-1"));
    CHECK((*f)->last_reload_error().find("holds no token") != std::string::npos);
  }
}

TEST_CASE("token file reloads are logged once each and exported, never a token",
          "[http][issue-11]") {
  FakeClock clock;
  TempDir dir;
  MetricsRegistry metrics;
  std::string path = dir.write("tokens", "first-secret-token\n");
  StderrCapture log(dir);
  auto f = TokenSet::create(std::make_unique<TokenFileSource>(path),
                            {.recheck_every = 1000ms, .clock = clock.fn(), .metrics = &metrics});
  REQUIRE(f.has_value());
  TokenSet& set = **f;
  auto gauge = [&] { return metrics.gauge("infralogs_agent_tokens", "").value(); };
  CHECK(gauge() == 1);
  // Every result is exported from the start.
  CHECK(metrics.render().find("infralogs_agent_token_reloads_total{result=\"missing\"} 0") !=
        std::string::npos);
  CHECK_FALSE(set.status().stale);
  CHECK(set.status().source == "file " + path);

  // New: two tokens, one "reloaded" line with the count.
  dir.write("tokens", "second-secret-token\nthird-secret-token\n");
  clock.now += 2s;
  CHECK(set.verify("third-secret-token"));
  CHECK(reloads(metrics, "ok") == 1);
  CHECK(gauge() == 2);

  // Emptied: kept, stale, counted and logged once however often it is checked.
  dir.write("tokens", "# nothing\n");
  for (int i = 0; i < 3; ++i) {
    clock.now += 2s;
    CHECK(set.verify("second-secret-token"));
  }
  CHECK(reloads(metrics, "empty") == 1);
  TokenSetStatus st = set.status();
  CHECK(st.stale);
  CHECK(st.error.find("holds no token") != std::string::npos);
  CHECK(st.tokens == 2);
  CHECK(gauge() == 2);

  // Deleted: kept, counted once as missing.
  REQUIRE(::unlink(path.c_str()) == 0);
  for (int i = 0; i < 3; ++i) {
    clock.now += 2s;
    CHECK(set.verify("second-secret-token"));
  }
  CHECK(reloads(metrics, "missing") == 1);
  CHECK(set.status().stale);

  // Back: in use again, no longer stale.
  dir.write("tokens", "fourth-secret-token\n");
  clock.now += 2s;
  CHECK(set.verify("fourth-secret-token"));
  CHECK_FALSE(set.verify("second-secret-token"));
  CHECK_FALSE(set.status().stale);
  CHECK(set.last_reload_error().empty());
  CHECK(reloads(metrics, "ok") == 2);
  CHECK(gauge() == 1);
  CHECK(set.reload_count() == 4);

  std::string text = log.text();
  INFO(text);
  CHECK(count(text, "\"msg\":\"API tokens reloaded\"") == 2);
  CHECK(count(text, "\"msg\":\"API tokens reload failed; the last good set stays valid\"") == 2);
  CHECK(count(text, "\"result\":\"empty\"") == 1);
  CHECK(count(text, "\"result\":\"missing\"") == 1);
  CHECK(count(text, "\"tokens\":2") >= 3);
  CHECK(count(text, "\"recovered\":true") == 1);
  CHECK(count(text, "\"source\":\"file " + path + "\"") == 4);
  CHECK(text.find("secret-token") == std::string::npos);
}

TEST_CASE("a rewrite with the same tokens is counted but not logged", "[http]") {
  FakeClock clock;
  TempDir dir;
  MetricsRegistry metrics;
  std::string path = dir.write("tokens", "same\n");
  StderrCapture log(dir);
  auto f = TokenSet::create(std::make_unique<TokenFileSource>(path),
                            {.recheck_every = 1000ms, .clock = clock.fn(), .metrics = &metrics});
  REQUIRE(f.has_value());
  dir.write("tokens", "# comment\nsame\n");
  clock.now += 2s;
  CHECK((*f)->verify("same"));
  CHECK(reloads(metrics, "ok") == 1);
  CHECK(log.text().find("API tokens reloaded") == std::string::npos);
}

TEST_CASE("a failing token source keeps the last good set and says so", "[http]") {
  FakeClock clock;
  MetricsRegistry metrics;
  std::deque<FakeTokenSource::Result> results = {{Status::ok(), {"a1", "b1"}}};
  auto f = TokenSet::create(std::make_unique<FakeTokenSource>(&results),
                            {.recheck_every = 1000ms, .clock = clock.fn(), .metrics = &metrics});
  REQUIRE(f.has_value());
  TokenSet& set = **f;
  results.push_back({Status::unavailable("vault GET x: HTTP 503"), {}});
  clock.now += 2s;
  CHECK(set.verify("a1"));
  CHECK(set.verify("b1"));
  CHECK(reloads(metrics, "error") == 1);
  CHECK(set.status().stale);
  CHECK(set.status().error == "vault GET x: HTTP 503");
  // Checked only once per interval: the next queued result waits for the clock.
  results.push_back({Status::ok(), {"c1"}});
  CHECK_FALSE(set.verify("c1"));
  clock.now += 2s;
  CHECK(set.verify("c1"));
  CHECK_FALSE(set.verify("a1"));
  CHECK_FALSE(set.status().stale);

  nlohmann::json h = token_health_json(set.status());
  CHECK(h["source"] == "fake");
  CHECK(h["count"] == 1);
  CHECK(h["stale"] == false);
  CHECK_FALSE(h.contains("error"));
  results.push_back({Status::corruption("no \"current\" token"), {}});
  clock.now += 2s;
  h = token_health_json(set.status());
  CHECK(h["stale"] == true);
  CHECK(h["error"] == "no \"current\" token");
  CHECK(reloads(metrics, "empty") == 1);
}

TEST_CASE("a token source that fails at the first read is refused with its code", "[http]") {
  std::deque<FakeTokenSource::Result> results = {{Status::unavailable("down"), {}}};
  CHECK(TokenSet::create(std::make_unique<FakeTokenSource>(&results)).status().code() ==
        StatusCode::kUnavailable);
  results = {{Status::corruption("empty"), {}}};
  CHECK(TokenSet::create(std::make_unique<FakeTokenSource>(&results)).status().code() ==
        StatusCode::kInvalidArgument);
  results.clear();  // nothing at all
  CHECK(TokenSet::create(std::make_unique<FakeTokenSource>(&results)).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("authorization header yields a bearer token or the basic password", "[http]") {
  CHECK(*token_from_authorization("Bearer abc") == "abc");
  CHECK(*token_from_authorization("bearer   abc ") == "abc");
  // "user:s3cret:x" in base64: the password is everything after the first colon.
  CHECK(*token_from_authorization("Basic dXNlcjpzM2NyZXQ6eA==") == "s3cret:x");
  CHECK_FALSE(token_from_authorization("").has_value());
  CHECK_FALSE(token_from_authorization("Bearer").has_value());
  CHECK_FALSE(token_from_authorization("Basic !!!").has_value());
  CHECK_FALSE(token_from_authorization("Basic dXNlcg==").has_value());  // "user", no colon
  CHECK_FALSE(token_from_authorization("Digest abc").has_value());
}

TEST_CASE("base64 decodes RFC 4648 input", "[http]") {
  CHECK(*base64_decode("aGVsbG8=") == "hello");
  CHECK(*base64_decode("aGVsbG8") == "hello");
  CHECK(*base64_decode("") == "");
  CHECK_FALSE(base64_decode("a").has_value());
  CHECK_FALSE(base64_decode("a$==").has_value());
}

TEST_CASE("rate limiter refuses an address after too many failures until its window ends",
          "[http]") {
  FakeClock clock;
  AuthRateLimiter limiter(3, 60s, clock.fn());
  long retry = 0;
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.allowed("10.0.0.1", &retry));
    limiter.record_failure("10.0.0.1");
  }
  CHECK_FALSE(limiter.allowed("10.0.0.1", &retry));
  CHECK(retry == 60);
  CHECK(limiter.allowed("10.0.0.2", &retry));
  clock.now += 30s;
  CHECK_FALSE(limiter.allowed("10.0.0.1", &retry));
  CHECK(retry == 30);
  clock.now += 31s;
  CHECK(limiter.allowed("10.0.0.1", &retry));
}
