#pragma once
// A fleet for integration tests: N hosts, each a journal file written by make-journal
// (--split-hosts) and served by its own real `infralogs agent`, and an inventory listing them.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace infralogs::test {

struct FleetOptions {
  size_t hosts = 3;                        // named vm-01..vm-NN
  size_t entries = 400;                    // normal entries per host (make-journal --entries)
  bool hostile = true;                     // make-journal --hostile: 19 hostile entries per host
  std::string token = "fleet-test-token";  // the token every agent accepts
};

// Not thread-safe. The agents run until the Fleet is destroyed.
class Fleet {
 public:
  // One agent that the inventory lists besides the fleet's own (a fake, a dead port, ...).
  struct ExtraAgent {
    std::string name;
    std::string url;
    std::string token;
  };

  // Writes the journals, starts one agent per host and writes the inventory; fails the test if
  // any of that fails.
  explicit Fleet(const FleetOptions& options = {});
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }  // vm-01, vm-02, ...
  const std::vector<std::string>& files() const { return files_; }  // each host's journal
  ServerProcess& agent(size_t i) { return *agents_.at(i); }
  std::string url(size_t i) const;  // http://127.0.0.1:PORT of host i's agent
  const std::string& token() const { return token_; }
  const std::string& token_file() const { return token_file_; }
  // The inventory file for `collect --inventory`: every host with its URL, the token file and
  // the label rack=rI.
  const std::string& inventory() const { return inventory_; }
  const TempDir& dir() const { return dir_; }

  // Rewrites inventory() with the fleet's hosts followed by `extra`.
  void write_inventory(const std::vector<ExtraAgent>& extra = {});
  // Replaces inventory() with `inventory` as it is.
  void replace_inventory(const nlohmann::json& inventory);

 private:
  TempDir dir_;
  std::string token_, token_file_, inventory_;
  std::vector<std::string> names_, files_;
  std::vector<std::unique_ptr<ServerProcess>> agents_;
};

}  // namespace infralogs::test
