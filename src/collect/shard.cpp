#include "infralogs/collect/shard.h"

namespace infralogs::collect {
namespace {

// A decimal number of at most 18 digits (no sign, no spaces), or false.
bool parse_decimal(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::stoull(s);
  return true;
}

}  // namespace

Result<Shard> parse_shard(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return Status::invalid_argument("--shard " + text + ": " + why +
                                    " (want INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/2)");
  };
  size_t slash = text.find('/');
  if (slash == std::string::npos) return bad("no '/'");
  Shard s;
  if (!parse_decimal(text.substr(0, slash), &s.index)) return bad("INDEX is not a number");
  if (!parse_decimal(text.substr(slash + 1), &s.count)) return bad("COUNT is not a number");
  if (s.count == 0) return bad("COUNT must be at least 1");
  if (s.index >= s.count) return bad("INDEX must be less than COUNT");
  return s;
}

Result<Shard> resolve_shard(const std::string& flag, const char* job_completion_index,
                            uint64_t count) {
  if (!flag.empty()) return parse_shard(flag);
  if (job_completion_index == nullptr) return Shard{};
  if (count == 0) {
    return Status::invalid_argument(
        "JOB_COMPLETION_INDEX is set: --shard-count (or --shard INDEX/COUNT) is required");
  }
  auto s = parse_shard(std::string(job_completion_index) + "/" + std::to_string(count));
  if (!s) {
    return Status::invalid_argument("JOB_COMPLETION_INDEX=" + std::string(job_completion_index) +
                                    " with --shard-count " + std::to_string(count) + ": " +
                                    s.status().message());
  }
  return s;
}

uint64_t shard_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t shard_of(const std::string& name, uint64_t count) { return shard_hash(name) % count; }

std::vector<wire::AgentSpec> select_shard(const std::vector<wire::AgentSpec>& agents,
                                          const Shard& shard) {
  std::vector<wire::AgentSpec> out;
  for (const auto& a : agents) {
    if (shard_of(a.name, shard.count) == shard.index) out.push_back(a);
  }
  return out;
}

}  // namespace infralogs::collect
