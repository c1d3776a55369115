#include "storage/connection_pool.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "fakes/fake_credential_source.h"
#include "storage/mariadb_connection.h"

using namespace infralogs;
using namespace std::chrono_literals;
using storage::Lease;
using storage::Pool;

namespace {

// What the fake connections saw: which were opened with which credentials, and which closed.
struct World {
  Mutex mu;
  int opened GUARDED_BY(mu) = 0;
  std::vector<std::string> users GUARDED_BY(mu);  // by connection id - 1
  std::set<int> closed GUARDED_BY(mu);

  int opened_count() {
    MutexLock lock(mu);
    return opened;
  }
  std::string user_of(int id) {
    MutexLock lock(mu);
    return users.at(static_cast<size_t>(id - 1));
  }
  bool is_closed(int id) {
    MutexLock lock(mu);
    return closed.count(id) > 0;
  }
};

struct FakeConn {
  FakeConn(World& w, int id) : world(w), id(id) {}
  ~FakeConn() {
    MutexLock lock(world.mu);
    world.closed.insert(id);
  }
  bool broken() const { return is_broken; }

  World& world;
  int id;
  bool is_broken = false;
};

using FakeCredentials = fakes::FakeCredentialSource;

struct Fixture {
  World world;
  FakeCredentials credentials;
  Status connect_failure;  // returned by connect instead of a connection when set
  std::function<void()> during_connect;
  Pool<FakeConn> pool{credentials,
                      [this](const Credentials& c) -> Result<std::unique_ptr<FakeConn>> {
                        if (during_connect) during_connect();
                        if (!connect_failure.is_ok()) return connect_failure;
                        MutexLock lock(world.mu);
                        world.users.push_back(c.username);
                        return std::make_unique<FakeConn>(world, ++world.opened);
                      }};

  Lease<FakeConn> lease() {
    auto l = pool.lease();
    REQUIRE(l.has_value());
    return std::move(*l);
  }
};

using Counts = Pool<FakeConn>::GenerationCounts;

}  // namespace

namespace Catch {
template <>
struct StringMaker<Pool<FakeConn>::GenerationCounts> {
  static std::string convert(const Pool<FakeConn>::GenerationCounts& c) {
    return "{generation " + std::to_string(c.generation) + ", leased " + std::to_string(c.leased) +
           ", idle " + std::to_string(c.idle) + "}";
  }
};
}  // namespace Catch

TEST_CASE("a returned connection is reused, and a new one made only when all are leased",
          "[storage][pool]") {
  Fixture f;
  int first;
  {
    auto a = f.lease();
    first = a->id;
    auto b = f.lease();
    CHECK(b->id != first);
    CHECK(f.world.opened_count() == 2);
    CHECK(f.pool.counts() == std::vector<Counts>{{1, 2, 0}});
  }
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 0, 2}});
  {
    auto again = f.lease();
    auto again2 = f.lease();
    CHECK(std::set<int>{again->id, again2->id} == std::set<int>{1, 2});
  }
  CHECK(f.world.opened_count() == 2);
  CHECK_FALSE(f.world.is_closed(first));
}

TEST_CASE("a moved lease returns its connection once", "[storage][pool]") {
  Fixture f;
  {
    auto a = f.lease();
    Lease<FakeConn> b = std::move(a);
    CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 0}});
    auto c = f.lease();
    c = std::move(b);  // c's own connection goes back first
    CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 1}});
  }
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 0, 2}});
}

TEST_CASE("a broken connection is closed on return, and so are the idle ones", "[storage][pool]") {
  Fixture f;
  auto a = f.lease();
  int a_id = a->id;
  int idle_id;
  {
    auto b = f.lease();
    idle_id = b->id;
  }
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 1}});
  a->is_broken = true;
  { Lease<FakeConn> gone = std::move(a); }
  CHECK(f.world.is_closed(a_id));
  CHECK(f.world.is_closed(idle_id));
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 0, 0}});
  auto fresh = f.lease();
  CHECK(fresh->id == 3);
}

TEST_CASE("a failed connect leaves nothing leased and gives its status", "[storage][pool]") {
  Fixture f;
  f.connect_failure = Status::unavailable("cannot connect to db:3306/x as v1: refused");
  auto l = f.pool.lease();
  REQUIRE_FALSE(l.has_value());
  CHECK(l.status().code() == StatusCode::kUnavailable);
  f.credentials.set_failure(Status::invalid_argument("credentials file is not JSON"));
  CHECK(f.pool.lease().status().code() == StatusCode::kInvalidArgument);
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 0, 0}});
  CHECK(f.pool.wait_drained(2, 0ms));
}

TEST_CASE("a new generation connects with the new credentials and closes the old idle ones",
          "[storage][pool]") {
  Fixture f;
  { auto warm = f.lease(); }   // connection 1: idle, generation 1
  auto held = f.lease();       // reuses 1
  { auto other = f.lease(); }  // connection 2: idle
  CHECK(f.world.user_of(1) == "v1");
  f.credentials.set_user("v2");
  uint64_t g = f.pool.new_generation();
  CHECK(g == 2);
  CHECK(f.pool.generation() == 2);
  CHECK(f.world.is_closed(2));  // (b) idle at once
  CHECK_FALSE(f.world.is_closed(1));
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 0}, {2, 0, 0}});

  auto now = f.lease();  // (a) not the old idle one: a new connection as v2
  CHECK(now->id == 3);
  CHECK(now.generation() == 2);
  CHECK(f.world.user_of(3) == "v2");
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 0}, {2, 1, 0}});

  { Lease<FakeConn> back = std::move(held); }  // (c) an old leased one closes when returned
  CHECK(f.world.is_closed(1));
  CHECK(f.pool.counts() == std::vector<Counts>{{2, 1, 0}});
  { Lease<FakeConn> back = std::move(now); }  // a current one is pooled
  CHECK(f.pool.counts() == std::vector<Counts>{{2, 0, 1}});
  CHECK_FALSE(f.world.is_closed(3));
}

TEST_CASE("waiting for a generation to drain times out while an old connection is leased",
          "[storage][pool]") {
  Fixture f;
  auto old = f.lease();
  uint64_t g = f.pool.new_generation();
  auto current = f.lease();  // a current lease does not hold the wait up
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(f.pool.wait_drained(g, 100ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 100ms);
  CHECK(f.pool.wait_drained(1, 0ms));  // nothing older than generation 1

  std::thread returner([&] {
    std::this_thread::sleep_for(50ms);
    Lease<FakeConn> back = std::move(old);
  });
  t0 = std::chrono::steady_clock::now();
  bool drained = f.pool.wait_drained(g, 10s);
  auto waited = std::chrono::steady_clock::now() - t0;
  returner.join();
  CHECK(drained);
  CHECK(waited < 5s);
  CHECK(f.pool.wait_drained(g, 0ms));
}

TEST_CASE("a connection being made across a new generation belongs to the old one",
          "[storage][pool]") {
  Fixture f;
  uint64_t g = 0;
  f.during_connect = [&] {
    if (g == 0) g = f.pool.new_generation();  // a rotation lands while v1 connects
  };
  auto l = f.lease();
  CHECK(l.generation() == 1);
  CHECK(f.world.user_of(l->id) == "v1");
  CHECK_FALSE(f.pool.wait_drained(g, 0ms));
  int id = l->id;
  { Lease<FakeConn> back = std::move(l); }
  CHECK(f.world.is_closed(id));
  CHECK(f.pool.wait_drained(g, 0ms));
}

TEST_CASE("many threads leasing at once each get a connection of their own", "[storage][pool]") {
  Fixture f;
  Mutex mu;
  std::set<FakeConn*> in_use;
  bool shared = false;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto l = f.pool.lease();
        if (!l) continue;
        FakeConn* c = &**l;
        {
          MutexLock lock(mu);
          if (!in_use.insert(c).second) shared = true;
        }
        std::this_thread::yield();
        MutexLock lock(mu);
        in_use.erase(c);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(shared);
  CHECK(f.world.opened_count() <= 8);
  auto counts = f.pool.counts();
  REQUIRE(counts.size() == 1);
  CHECK(counts[0].leased == 0);
  CHECK(counts[0].idle == static_cast<size_t>(f.world.opened_count()));
}

TEST_CASE("pool: a refused login refetches the credentials once and retries once",
          "[storage][pool]") {
  Fixture f;
  int calls = 0;
  f.connect_failure = Status::permission_denied("access denied");
  f.during_connect = [&] {
    if (++calls == 2) f.connect_failure = Status::ok();
  };
  auto l = f.pool.lease();
  REQUIRE(l.has_value());
  CHECK(calls == 2);
  CHECK(f.credentials.refreshes() == 1);
  CHECK(f.pool.auth_retries() == 1);
}

TEST_CASE("pool: a login refused after the source switched retries with the new credentials",
          "[storage][pool]") {
  Fixture f;
  f.during_connect = [&] {
    // The source switches while the first connect (as v1) is under way, and v1 is refused.
    f.credentials.set_user("v2");
    f.connect_failure = f.world.opened_count() == 0 && f.connect_failure.is_ok()
                            ? Status::permission_denied("no")
                            : Status::ok();
  };
  auto l = f.pool.lease();
  REQUIRE(l.has_value());
  CHECK(f.world.user_of((**l).id) == "v2");
  CHECK(f.credentials.refreshes() == 0);  // no read of the source was needed
  CHECK(f.pool.auth_retries() == 1);
}

TEST_CASE("pool: a login refused twice is reported after exactly one refetch", "[storage][pool]") {
  Fixture f;
  f.connect_failure = Status::permission_denied("access denied");
  auto l = f.pool.lease();
  REQUIRE(!l.has_value());
  CHECK(l.status().code() == StatusCode::kPermissionDenied);
  CHECK(f.credentials.refreshes() == 1);
  CHECK(f.pool.auth_retries() == 1);
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 0, 0}});
}

TEST_CASE("pool: other connect failures are not retried", "[storage][pool]") {
  Fixture f;
  f.connect_failure = Status::unavailable("server down");
  auto l = f.pool.lease();
  REQUIRE(!l.has_value());
  CHECK(f.credentials.refreshes() == 0);
  CHECK(f.pool.auth_retries() == 0);
}

// A source that switches on refresh as VaultCredentialSource does: its listener's switched()
// (the pool's switch_to) waits for the older generations to drain before the refresh returns.
class SwitchingOnRefresh : public fakes::FakeCredentialSource {
 public:
  Result<Credentials> refresh_after_auth_failure() override {
    set_user("v2");
    drained = pool->switch_to(2, std::chrono::steady_clock::now() + 5s);
    return FakeCredentialSource::refresh_after_auth_failure();
  }
  Pool<FakeConn>* pool = nullptr;
  bool drained = false;
};

TEST_CASE("pool: a refused login waiting for the refresh does not hold up the switch's drain",
          "[storage][pool]") {
  World world;
  SwitchingOnRefresh source;
  Pool<FakeConn> pool(source, [&](const Credentials& c) -> Result<std::unique_ptr<FakeConn>> {
    if (c.username == "v1") return Status::permission_denied("access denied");
    MutexLock lock(world.mu);
    world.users.push_back(c.username);
    return std::make_unique<FakeConn>(world, ++world.opened);
  });
  source.pool = &pool;
  auto t0 = std::chrono::steady_clock::now();
  auto l = pool.lease();
  REQUIRE(l.has_value());
  // Before the fix the attempt counted as a leased connection of generation 1, so the switch
  // waited for it until its deadline (5 s here) while it waited for the switch.
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(source.drained);
  CHECK(l->generation() == 2);
  CHECK(world.user_of((**l).id) == "v2");
  CHECK(pool.counts() == std::vector<Counts>{{2, 1, 0}});
  CHECK(pool.auth_retries() == 1);
}

TEST_CASE("pool: switch_to closes idle ones, waits for leased ones until the deadline",
          "[storage][pool]") {
  Fixture f;
  auto held = f.lease();
  { auto idle = f.lease(); }  // connection 2 goes back to the pool
  int held_id = held->id;
  f.credentials.set_user("v2");
  auto t0 = std::chrono::steady_clock::now();
  CHECK(!f.pool.switch_to(4, t0 + 50ms));
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  CHECK(f.world.is_closed(2));
  CHECK(!f.world.is_closed(held_id));
  CHECK(f.pool.generation() == 4);
  CHECK(f.pool.counts() == std::vector<Counts>{{1, 1, 0}, {4, 0, 0}});
  auto fresh = f.lease();
  CHECK(fresh.generation() == 4);
  CHECK(f.world.user_of(fresh->id) == "v2");
  std::thread release([&] {
    std::this_thread::sleep_for(20ms);
    Lease<FakeConn> gone = std::move(held);
  });
  CHECK(f.pool.switch_to(4, std::chrono::steady_clock::now() + 5s));
  release.join();
  CHECK(f.world.is_closed(held_id));
  // An older generation number never goes back.
  CHECK(f.pool.switch_to(3, std::chrono::steady_clock::now()));
  CHECK(f.pool.generation() == 4);
}

TEST_CASE("pool: connect_failure_message names the server and never the password",
          "[storage][pool]") {
  storage::MariaDbConnectionOptions o;
  o.host = "db.internal";
  o.port = 3307;
  o.database = "logs";
  std::string plain = storage::connect_failure_message(o, "reader", false, "Access denied");
  CHECK(plain == "cannot connect to db.internal:3307/logs as reader: Access denied");
  std::string tls = storage::connect_failure_message(o, "reader", true, "");
  CHECK(tls.find("db.internal:3307") != std::string::npos);
  CHECK(tls.find("requires TLS") != std::string::npos);
  CHECK(tls.find("--db-tls-ca") != std::string::npos);
  o.tls_ca = "/ca.pem";
  CHECK(storage::connect_failure_message(o, "reader", false, "bad cert").find("over TLS") !=
        std::string::npos);
}
