#include "support/fleet.h"

#include <filesystem>

#include "support/journal.h"

namespace infralogs::test {

Fleet::Fleet(const FleetOptions& options) : token_(options.token) {
  std::string out = dir_.file("journals");
  std::filesystem::create_directory(out);
  std::vector<std::string> args = {"--split-hosts", "--hosts", std::to_string(options.hosts),
                                   "--entries", std::to_string(options.entries)};
  if (options.hostile) args.push_back("--hostile");
  generate_journal(out, args);
  token_file_ = dir_.write("tokens", token_ + "\n");
  inventory_ = dir_.file("inventory.json");
  for (size_t i = 1; i <= options.hosts; ++i) {
    std::string name = (i < 10 ? "vm-0" : "vm-") + std::to_string(i);
    names_.push_back(name);
    files_.push_back(out + "/" + name + ".journal");
    agents_.push_back(std::make_unique<ServerProcess>(
        "agent", std::vector<std::string>{"--token-file", token_file_, "--file", files_.back(),
                                          "--name", name}));
  }
  write_inventory();
}

std::string Fleet::url(size_t i) const {
  return "http://127.0.0.1:" + std::to_string(agents_.at(i)->port());
}

void Fleet::write_inventory(const std::vector<ExtraAgent>& extra) {
  nlohmann::json inv = {{"agents", nlohmann::json::array()}};
  for (size_t i = 0; i < size(); ++i) {
    inv["agents"].push_back({{"name", names_[i]},
                             {"url", url(i)},
                             {"token_file", token_file_},
                             {"labels", {{"rack", "r" + std::to_string(i)}}}});
  }
  for (const auto& a : extra) {
    inv["agents"].push_back({{"name", a.name},
                             {"url", a.url},
                             {"token_file", dir_.write(a.name + ".token", a.token + "\n")}});
  }
  replace_inventory(inv);
}

void Fleet::replace_inventory(const nlohmann::json& inventory) {
  dir_.write("inventory.json", inventory.dump(2));
}

}  // namespace infralogs::test
