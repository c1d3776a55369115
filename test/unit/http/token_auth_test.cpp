#include "infralogs/http/token_auth.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace infralogs::http;
using namespace std::chrono_literals;

namespace {

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/infralogs-token-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << content;
  return path;
}

struct FakeClock {
  Clock::time_point now = Clock::time_point(1000s);
  ClockFn fn() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("token file accepts every listed token and nothing else", "[http]") {
  std::string path = temp_file("# comment\n\n  alpha  \nbeta\r\n");
  auto f = TokenFile::load(path);
  REQUIRE(f.has_value());
  CHECK((*f)->token_count() == 2);
  CHECK((*f)->verify("alpha"));
  CHECK((*f)->verify("beta"));
  CHECK_FALSE((*f)->verify("gamma"));
  CHECK_FALSE((*f)->verify(""));
  CHECK_FALSE((*f)->verify("alph"));
  unlink(path.c_str());
}

TEST_CASE("token file without tokens is refused at load", "[http]") {
  std::string path = temp_file("# only a comment\n\n");
  auto f = TokenFile::load(path);
  CHECK(f.status().code() == infralogs::StatusCode::kInvalidArgument);
  unlink(path.c_str());
  CHECK_FALSE(TokenFile::load("/nonexistent/tokens").has_value());
}

TEST_CASE("token file is re-read when it changes", "[http]") {
  FakeClock clock;
  std::string path = temp_file("old\n");
  auto f = TokenFile::load(path, 1000ms, clock.fn());
  REQUIRE(f.has_value());
  std::ofstream(path) << "new-token-1\nnew-token-2\n";
  // Not yet re-checked: the old token still works.
  CHECK((*f)->verify("old"));
  clock.now += 2s;
  CHECK((*f)->verify("new-token-2"));
  CHECK_FALSE((*f)->verify("old"));
  CHECK((*f)->reload_count() == 1);

  SECTION("an emptied file keeps the last good tokens and reports why") {
    std::ofstream(path) << "\n";
    clock.now += 2s;
    CHECK((*f)->verify("new-token-1"));
    CHECK((*f)->last_reload_error().find("holds no token") != std::string::npos);
  }
  unlink(path.c_str());
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
