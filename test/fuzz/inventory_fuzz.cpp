// libFuzzer target: the collector's inventory (collect::parse_inventory), the file an operator
// or a generator (Terraform, a CMDB export) writes. Relative paths resolve in a directory made
// once, holding only the token file `token`; `token_env` may name INFRALOGS_FUZZ_TOKEN, which is
// set.
//
// Beyond "no crash, leak or UB": an accepted inventory has agents with unique non-empty names
// of at most kMaxAgentNameBytes, an http(s) URL with no credentials and no path, and a token;
// an error never holds a token (neither the file's nor the variable's).

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "infralogs/collect/inventory.h"

namespace {

const char kFileToken[] = "fuzz-token-from-file";
const char kEnvToken[] = "fuzz-token-from-env";

// Made at the first input, removed at exit (libFuzzer ends with exit(), which runs this).
struct BaseDir {
  std::string path;
  BaseDir() {
    path = std::filesystem::temp_directory_path() /
           ("infralogs-fuzz-inventory-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    std::ofstream(path + "/token") << "# the agents' token\n\n  " << kFileToken << "  \n";
    ::setenv("INFRALOGS_FUZZ_TOKEN", kEnvToken, 1);
  }
  ~BaseDir() {
    std::error_code ignored;  // best effort: a leftover temporary directory harms nothing
    std::filesystem::remove_all(path, ignored);
  }
};

const std::string& base_dir() {
  static const BaseDir dir;
  return dir.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto agents = infralogs::collect::parse_inventory(text, base_dir());
  if (!agents) {
    std::string m = agents.status().message();  // status() is a copy
    // Unless the input itself holds it: a JSON parse error quotes the last token read.
    for (const char* token : {kFileToken, kEnvToken}) {
      if (m.find(token) != std::string::npos && text.find(token) == std::string::npos) std::abort();
    }
    return 0;
  }
  if (agents->empty()) std::abort();
  std::set<std::string> names;
  for (const auto& a : *agents) {
    if (a.name.empty() || a.name.size() > infralogs::collect::kMaxAgentNameBytes) std::abort();
    if (!names.insert(a.name).second) std::abort();
    size_t scheme = a.url.find("://");
    if (scheme == std::string::npos ||
        (a.url.substr(0, scheme) != "http" && a.url.substr(0, scheme) != "https"))
      std::abort();
    std::string authority = a.url.substr(scheme + 3);
    if (authority.empty() || authority.find_first_of("@/?#") != std::string::npos) std::abort();
    if (a.token.empty()) std::abort();
  }
  return 0;
}
