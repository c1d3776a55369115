#pragma once
// Pool<Conn> and Lease<Conn>: database connections kept for reuse, and the move-only lease a
// caller holds while it uses one. Private to src/storage/: ConnectionPool (mariadb_connection.h)
// is Pool<Connection>; a template so that unit tests run it on fake connections, without a
// server. `Conn` needs `bool broken() const`.
//
// A lease returns its connection to the pool when destroyed. A broken connection is closed
// instead, and so are the idle ones: after a server restart they are all dead, and the next
// callers should not have to find that out one by one.
//
// Credential generations. Every connection belongs to the generation that was current when it
// was asked for. new_generation() (after a credential rotation) starts the next one: idle
// connections of older generations are closed at once, leased ones are closed when they come
// back instead of being pooled, and new leases connect with the credential source's current
// credentials. wait_drained() waits until no connection of an older generation is leased any
// more, so the old credentials can be revoked without breaking a statement in flight.
//
// Authentication failures. A connect that fails with kPermissionDenied (the server refused the
// credentials) makes the pool ask the source once for fresh ones
// (refresh_after_auth_failure) and connect once more before it reports the failure: a source
// that missed a rotation catches up without failing the request. auth_retries() counts them.
//
// Thread-safety: thread-safe. Connections are made and closed outside the pool's mutex (they
// take network round trips). Every lease must be gone before the pool is destroyed.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "infralogs/core/credentials.h"
#include "infralogs/core/mutex.h"
#include "infralogs/core/status.h"
#include "infralogs/secrets/credential_source.h"

namespace infralogs::storage {

template <typename Conn>
class Pool;

template <typename Conn>
class Lease {
 public:
  Lease(Lease&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)),
        conn_(std::move(other.conn_)),
        generation_(other.generation_) {}
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      give_back();
      pool_ = std::exchange(other.pool_, nullptr);
      conn_ = std::move(other.conn_);
      generation_ = other.generation_;
    }
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { give_back(); }

  // The connection; only while the lease holds it (not after being moved from).
  Conn& operator*() const { return *conn_; }
  Conn* operator->() const { return conn_.get(); }
  // The credential generation the connection belongs to.
  uint64_t generation() const { return generation_; }

 private:
  friend class Pool<Conn>;
  Lease(Pool<Conn>* pool, std::unique_ptr<Conn> conn, uint64_t generation)
      : pool_(pool), conn_(std::move(conn)), generation_(generation) {}

  void give_back() {
    if (pool_) std::exchange(pool_, nullptr)->give_back(std::move(conn_), generation_);
  }

  Pool<Conn>* pool_;
  std::unique_ptr<Conn> conn_;
  uint64_t generation_;
};

template <typename Conn>
class Pool {
 public:
  // Opens a connection with these credentials; never returns a null connection when ok.
  // kPermissionDenied means the server refused the credentials (see the class comment).
  using Connect = std::function<Result<std::unique_ptr<Conn>>(const Credentials&)>;

  // Connections of one generation, for metrics.
  struct GenerationCounts {
    uint64_t generation = 0;
    size_t leased = 0;  // held by leases, or being connected for one
    size_t idle = 0;    // pooled for reuse
    bool operator==(const GenerationCounts&) const = default;
  };

  // `credentials` must outlive the pool; it is asked at every new connection.
  Pool(secrets::CredentialSource& credentials, Connect connect)
      : credentials_(credentials), connect_(std::move(connect)) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection for the caller alone: the most recently returned idle one, else a new one made
  // with the credential source's current credentials. Fails with the credential source's or
  // the connect function's Status.
  Result<Lease<Conn>> lease() EXCLUDES(mu_) {
    uint64_t generation;
    {
      MutexLock lock(mu_);
      generation = generation_;
      ++leased_[generation];
      if (!idle_.empty()) {
        std::unique_ptr<Conn> c = std::move(idle_.back());
        idle_.pop_back();
        return Lease<Conn>(this, std::move(c), generation);
      }
    }
    Result<std::unique_ptr<Conn>> c = connect_with_current(&generation);
    if (!c) {
      MutexLock lock(mu_);
      unlease(generation);
      return c.status();
    }
    return Lease<Conn>(this, std::move(*c), generation);
  }

  // Starts a new credential generation and returns its number (generations count up from 1).
  // Closes the idle connections, which are all of older generations now.
  uint64_t new_generation() EXCLUDES(mu_) {
    std::vector<std::unique_ptr<Conn>> closing;  // closed after the mutex is released
    MutexLock lock(mu_);
    ++generation_;
    closing.swap(idle_);
    return generation_;
  }

  // Makes `generation` the current one if it is newer (a credential source's generation
  // number, see RotationListener::switched), closing the idle connections, then waits as
  // wait_drained() until `deadline`. Returns whether no older connection is leased.
  bool switch_to(uint64_t generation, std::chrono::steady_clock::time_point deadline)
      EXCLUDES(mu_) {
    {
      std::vector<std::unique_ptr<Conn>> closing;  // closed after the mutex is released
      MutexLock lock(mu_);
      if (generation > generation_) {
        generation_ = generation;
        closing.swap(idle_);
      }
    }
    auto left = deadline - std::chrono::steady_clock::now();
    return wait_drained(generation, std::max(left, std::chrono::steady_clock::duration::zero()));
  }

  // Connect retries after an authentication failure, since the pool was made.
  uint64_t auth_retries() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return auth_retries_;
  }

  // The current generation.
  uint64_t generation() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return generation_;
  }

  // Waits until no connection of a generation before `generation` is leased (or being
  // connected), at most `timeout`; returns whether that is so.
  bool wait_drained(uint64_t generation, std::chrono::steady_clock::duration timeout)
      EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return drained_.wait_for(mu_, timeout, [&] {
      mu_.assert_held();
      return leased_.empty() || leased_.begin()->first >= generation;
    });
  }

  // The generations that have connections, oldest first, and always the current one.
  std::vector<GenerationCounts> counts() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    std::vector<GenerationCounts> out;
    for (const auto& [generation, n] : leased_) {
      if (generation != generation_) out.push_back({generation, n, 0});
    }
    auto current = leased_.find(generation_);
    out.push_back({generation_, current == leased_.end() ? 0 : current->second, idle_.size()});
    return out;
  }

 private:
  friend class Lease<Conn>;

  // Connects for a lease counted in *generation (leased_), which the retry after a refused
  // login may move to the then current generation.
  Result<std::unique_ptr<Conn>> connect_with_current(uint64_t* generation) {
    Result<Credentials> credentials = credentials_.current();
    if (!credentials) return credentials.status();
    Result<std::unique_ptr<Conn>> c = connect_(*credentials);
    if (!c && c.status().code() == StatusCode::kPermissionDenied) {
      // The refresh may switch the credentials, and the source's switched() waits until the
      // older generations' leases drain. Counted among them while it waits for the refresh,
      // this attempt and the switch would wait for each other until the drain deadline (30 s
      // by default: requests timed out in test/vault/load_test.cpp). So it leaves its
      // generation for the wait, and counts in the one current after it.
      {
        MutexLock lock(mu_);
        ++auth_retries_;
        unlease(*generation);
      }
      // Refused credentials the source has already replaced (a switch while this connect ran)
      // need no refresh: asking would spend the source's rate-limited read on nothing, and a
      // rotation right after could then find the limit in force.
      Result<Credentials> latest = credentials_.current();
      Result<Credentials> fresh =
          latest && *latest != *credentials ? latest : credentials_.refresh_after_auth_failure();
      {
        MutexLock lock(mu_);
        *generation = generation_;
        ++leased_[*generation];
      }
      if (!fresh) return c.status();  // the server's refusal says more than the source's error
      // Read after the generation, as lease() does: credentials at least as new as it, never
      // older ones counted in a newer generation (they would escape the next drain).
      Result<Credentials> now = credentials_.current();
      c = connect_(now ? *now : *fresh);
    }
    if (c && !*c) return Status::internal("the connect function returned no connection");
    return c;
  }

  void give_back(std::unique_ptr<Conn> c, uint64_t generation) EXCLUDES(mu_) {
    std::vector<std::unique_ptr<Conn>> closing;  // closed after the mutex is released
    MutexLock lock(mu_);
    unlease(generation);
    if (c->broken()) {
      closing.swap(idle_);
      closing.push_back(std::move(c));
    } else if (generation != generation_) {
      closing.push_back(std::move(c));
    } else {
      idle_.push_back(std::move(c));
    }
  }

  void unlease(uint64_t generation) REQUIRES(mu_) {
    auto it = leased_.find(generation);
    if (--it->second == 0) {
      leased_.erase(it);
      drained_.notify_all();
    }
  }

  secrets::CredentialSource& credentials_;
  const Connect connect_;
  mutable Mutex mu_;
  CondVar drained_;
  uint64_t generation_ GUARDED_BY(mu_) = 1;
  uint64_t auth_retries_ GUARDED_BY(mu_) = 0;
  std::map<uint64_t, size_t> leased_ GUARDED_BY(mu_);        // generation -> leased (> 0)
  std::vector<std::unique_ptr<Conn>> idle_ GUARDED_BY(mu_);  // all of generation_
};

}  // namespace infralogs::storage
