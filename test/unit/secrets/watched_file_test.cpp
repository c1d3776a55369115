// WatchedFileCredentialSource and the credentials file shapes: a sidecar-rendered file
// replaced by rename while a consumer holds credentials, bad content kept out, verify/switched.

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fakes/fake_rotation_listener.h"
#include "infralogs/secrets/watched_file_credential_source.h"
#include "secrets/credentials_json.h"

namespace infralogs::secrets {
namespace {

using std::chrono::milliseconds;

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/infralogs-secrets-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Dir() { std::filesystem::remove_all(path); }
  // As Vault Agent renders: a temporary file in the same directory, then rename(2).
  void render(const std::string& name, const std::string& content) const {
    std::string tmp = path + "/." + name + ".tmp";
    std::ofstream(tmp) << content;
    REQUIRE(std::rename(tmp.c_str(), (path + "/" + name).c_str()) == 0);
  }
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 200; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return f();
}

WatchedFileOptions fast() {
  WatchedFileOptions o;
  o.poll_interval = milliseconds(60000);  // inotify only: the tests must not pass by polling
  o.verify_retry = milliseconds(10);
  o.verify_timeout = milliseconds(2000);
  return o;
}

TEST_CASE("credentials JSON: plain, .Data and .Data.data shapes; errors never quote content",
          "[secrets]") {
  Credentials want{"u", "p"};
  CHECK(*parse_credentials_json(R"({"username":"u","password":"p"})", "f") == want);
  CHECK(*parse_credentials_json(R"({"data":{"username":"u","password":"p"}})", "f") == want);
  CHECK(*parse_credentials_json(
            R"({"data":{"data":{"username":"u","password":"p"},"metadata":{"version":3}}})", "f") ==
        want);
  Result<Credentials> bad = parse_credentials_json(R"({"username":"u","pass":"s3cr3t"})", "file x");
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("file x") != std::string::npos);
  CHECK(bad.status().message().find("s3cr3t") == std::string::npos);
  CHECK(parse_credentials_json("s3cr3t", "f").status().message().find("s3cr3t") ==
        std::string::npos);
}

TEST_CASE("a file replaced by rename is followed: verify, then current(), then switched",
          "[secrets]") {
  Dir dir;
  dir.render("db.json", R"({"username":"alice","password":"pw-a"})");
  fakes::FakeRotationListener listener;
  WatchedFileCredentialSource src(dir.path + "/db.json", &listener, fast());
  REQUIRE(src.start().is_ok());
  // A consumer holds the first credentials across the change.
  Credentials held = *src.current();
  CHECK(held.username == "alice");

  listener.set_unavailable_times(3);  // the new user is not on the replica yet
  dir.render("db.json", R"({"data":{"data":{"username":"bob","password":"pw-b"}}})");
  REQUIRE(eventually([&] { return src.current()->username == "bob"; }));
  CHECK(held.password == "pw-a");
  CHECK(listener.verified() == std::vector<std::string>{"bob", "bob", "bob", "bob"});
  // switched() comes right after current() changed.
  REQUIRE(eventually([&] { return !listener.switched().empty(); }));
  CHECK(listener.switched() == std::vector<uint64_t>{2});
  CredentialInfo info = src.info();
  CHECK(info.generation == 2);
  CHECK(info.switches == 1);
  CHECK(info.username == "bob");
  CHECK(info.source == "file");

  // Unrelated files in the directory do not trigger anything.
  dir.render("other.json", R"({"username":"x","password":"y"})");
  std::this_thread::sleep_for(milliseconds(100));
  CHECK(listener.verified().size() == 4);
}

TEST_CASE("bad content or a missing file keeps the last good credentials", "[secrets]") {
  Dir dir;
  dir.render("db.json", R"({"username":"alice","password":"pw-a"})");
  WatchedFileCredentialSource src(dir.path + "/db.json", nullptr, fast());
  REQUIRE(src.start().is_ok());
  dir.render("db.json", "{not json");
  REQUIRE(eventually([&] { return !src.info().source_reachable; }));
  CHECK(src.current()->username == "alice");
  CHECK(src.info().failures == 1);
  CHECK(src.info().last_error.find("db.json") != std::string::npos);
  std::filesystem::remove(dir.path + "/db.json");
  std::this_thread::sleep_for(milliseconds(100));
  CHECK(src.current()->username == "alice");
  dir.render("db.json", R"({"username":"carol","password":"pw-c"})");
  REQUIRE(eventually([&] { return src.current()->username == "carol"; }));
  CHECK(src.info().source_reachable);
}

TEST_CASE("new content the listener refuses is not used; start() fails clearly", "[secrets]") {
  Dir dir;
  dir.render("db.json", R"({"username":"alice","password":"pw-a"})");
  fakes::FakeRotationListener listener;
  listener.set_result(Status::permission_denied("Access denied"));
  WatchedFileCredentialSource src(dir.path + "/db.json", &listener, fast());
  REQUIRE(src.start().is_ok());
  dir.render("db.json", R"({"username":"bob","password":"pw-b"})");
  REQUIRE(eventually([&] { return src.info().failures == 1; }));
  CHECK(src.current()->username == "alice");
  CHECK(listener.switched().empty());

  WatchedFileCredentialSource missing(dir.path + "/none.json", nullptr, fast());
  Status s = missing.start();
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("none.json") != std::string::npos);
}

TEST_CASE("refresh_after_auth_failure re-reads the file; stop() is prompt", "[secrets]") {
  Dir dir;
  dir.render("db.json", R"({"username":"alice","password":"pw-a"})");
  auto src = std::make_unique<WatchedFileCredentialSource>(dir.path + "/db.json", nullptr, fast());
  REQUIRE(src->start().is_ok());
  // Written in place with no rename and read before the watcher gets to it.
  std::ofstream(dir.path + "/db.json") << R"({"username":"bob","password":"pw-b"})";
  CHECK(src->refresh_after_auth_failure()->username == "bob");
  auto t0 = std::chrono::steady_clock::now();
  src.reset();
  CHECK(std::chrono::steady_clock::now() - t0 < milliseconds(500));
}

}  // namespace
}  // namespace infralogs::secrets
