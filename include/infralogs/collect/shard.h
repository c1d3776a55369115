#pragma once
// Sharding the inventory across collectors (`collect --shard INDEX/COUNT`, docs/operations.md).
// An agent belongs to shard FNV-1a-64(name) mod COUNT. The hash is written out here, not
// std::hash, so every build, compiler and run assigns an agent to the same shard: two
// collectors with different shards never poll the same agent.

#include <cstdint>
#include <string>
#include <vector>

#include "infralogs/core/status.h"
#include "infralogs/wire/agent_client.h"

namespace infralogs::collect {

struct Shard {
  uint64_t index = 0;  // 0 <= index < count
  uint64_t count = 1;  // 1: one collector takes every agent
};

// "INDEX/COUNT" with 0 <= INDEX < COUNT, both decimal. kInvalidArgument otherwise ("3/2",
// "x/2", "0/0", "1/", ...), saying what is wanted.
Result<Shard> parse_shard(const std::string& text);

// The shard a collector takes: `flag` ("INDEX/COUNT") when not empty; else, when
// `job_completion_index` is set (an Indexed Job's pod: the mode passes the environment
// variable, or nullptr), that index over `count` (--shard-count, 0 when not given: an error,
// since the index alone cannot say how many shards there are); else the single shard 0/1.
Result<Shard> resolve_shard(const std::string& flag, const char* job_completion_index,
                            uint64_t count);

// FNV-1a 64 of `name`'s bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t shard_hash(const std::string& name);

// The shard `name` belongs to among `count` (> 0).
uint64_t shard_of(const std::string& name, uint64_t count);

// The agents of `agents` in `shard`, in their order.
std::vector<wire::AgentSpec> select_shard(const std::vector<wire::AgentSpec>& agents,
                                          const Shard& shard);

}  // namespace infralogs::collect
