#include "infralogs/collect/shard.h"

#include <catch2/catch.hpp>
#include <map>

using namespace infralogs;

namespace {

std::vector<wire::AgentSpec> agents(size_t n) {
  std::vector<wire::AgentSpec> out;
  for (size_t i = 0; i < n; ++i) {
    wire::AgentSpec a;
    a.name = (i % 3 == 0 ? "node-" : i % 3 == 1 ? "vm-" : "db.example.org-") + std::to_string(i);
    a.url = "http://h" + std::to_string(i) + ":19532";
    out.push_back(a);
  }
  return out;
}

}  // namespace

TEST_CASE("shards partition the agents: each agent in exactly one shard", "[collect][shard]") {
  auto all = agents(300);
  for (uint64_t count = 1; count <= 8; ++count) {
    INFO("count " << count);
    std::map<std::string, int> seen;
    size_t biggest = 0;
    for (uint64_t index = 0; index < count; ++index) {
      auto part = collect::select_shard(all, {index, count});
      biggest = std::max(biggest, part.size());
      for (const auto& a : part) ++seen[a.name];
    }
    CHECK(seen.size() == all.size());
    for (const auto& [name, n] : seen) {
      INFO(name);
      CHECK(n == 1);
    }
    // Roughly even: no shard holds more than twice its fair share of 300 names.
    CHECK(biggest <= 2 * all.size() / count + 1);
  }
}

TEST_CASE("shard assignment is FNV-1a 64, the same in every build", "[collect][shard]") {
  // Published FNV-1a 64 test vectors.
  CHECK(collect::shard_hash("") == 0xcbf29ce484222325ULL);
  CHECK(collect::shard_hash("a") == 0xaf63dc4c8601ec8cULL);
  // Fixed assignments: a change here moves agents between collectors on upgrade.
  CHECK(collect::shard_hash("vm-01") == 0x95298e717b08c9b8ULL);
  CHECK(collect::shard_of("vm-01", 2) == 0);
  CHECK(collect::shard_of("vm-02", 2) == 1);
  CHECK(collect::shard_of("vm-03", 2) == 0);
  CHECK(collect::shard_of("vm-04", 2) == 1);
  CHECK(collect::shard_of("vm-01", 3) == 1);
  CHECK(collect::shard_of("vm-03", 3) == 0);
  CHECK(collect::shard_of("node-a", 3) == 0);
  auto two = collect::select_shard(agents(6), {1, 1});
  CHECK(two.empty());  // index out of range selects nothing rather than everything
}

TEST_CASE("a shard INDEX/COUNT parses and refuses anything else", "[collect][shard]") {
  auto ok = collect::parse_shard("1/4");
  REQUIRE(ok.has_value());
  CHECK(ok->index == 1);
  CHECK(ok->count == 4);
  CHECK(collect::parse_shard("0/1").has_value());
  for (const char* bad : {"3/2", "2/2", "x/2", "0/0", "1/", "/2", "1", "-1/2", "1/2/3", " 1/2",
                          "1/x", "", "99999999999999999999/2"}) {
    INFO(bad);
    auto r = collect::parse_shard(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("INDEX/COUNT") != std::string::npos);
  }
}

TEST_CASE("the shard comes from --shard, else JOB_COMPLETION_INDEX with --shard-count",
          "[collect][shard]") {
  auto none = collect::resolve_shard("", nullptr, 0);
  REQUIRE(none.has_value());
  CHECK(none->count == 1);
  auto flag = collect::resolve_shard("1/3", "0", 5);  // the flag wins over the environment
  REQUIRE(flag.has_value());
  CHECK(flag->index == 1);
  CHECK(flag->count == 3);
  auto job = collect::resolve_shard("", "2", 4);
  REQUIRE(job.has_value());
  CHECK(job->index == 2);
  CHECK(job->count == 4);
  auto no_count = collect::resolve_shard("", "2", 0);
  REQUIRE_FALSE(no_count.has_value());
  CHECK(no_count.status().message().find("--shard-count") != std::string::npos);
  auto too_big = collect::resolve_shard("", "4", 4);
  REQUIRE_FALSE(too_big.has_value());
  CHECK(too_big.status().message().find("JOB_COMPLETION_INDEX=4") != std::string::npos);
}
