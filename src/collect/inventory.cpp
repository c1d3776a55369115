#include "infralogs/collect/inventory.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

namespace infralogs::collect {
namespace {

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument("cannot read token file " + path);
  std::string line;
  while (std::getline(in, line)) {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_last_not_of(" \t\r");
    return line.substr(b, e - b + 1);
  }
  return Status::invalid_argument("token file " + path + " holds no token");
}

std::string string_or(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// The URL is scheme://host[:port] only. Credentials in it (user:password@) would be logged with
// every error message and stored in the host's labels, so they are refused without repeating
// them; a path would be silently replaced by the protocol's /logs, so it is refused too (a
// trailing "/" is fine). `url` starts with http:// or https://.
Status check_url_authority(const std::string& url) {
  size_t start = url.find("://") + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string_view authority(url.data() + start,
                             (end == std::string::npos ? url.size() : end) - start);
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalid_argument(
        "\"url\" must not carry credentials (user:password@host); give the agent's token in "
        "\"token_file\" or \"token_env\"");
  }
  if (authority.empty()) return Status::invalid_argument("\"url\" has no host");
  if (end != std::string::npos && url.find_first_not_of('/', end) != std::string::npos) {
    return Status::invalid_argument(
        "\"url\" must be scheme://host:port, without a path, query or fragment (the collector "
        "asks the agent's /logs itself)");
  }
  return Status::ok();
}

}  // namespace

Result<std::vector<wire::AgentSpec>> parse_inventory(const std::string& text,
                                                     const std::string& base_dir) {
  // Duplicate keys: JSON allows them and nlohmann keeps the last, so {"name": "a", "name": "b"}
  // would silently be agent b. Refused, naming the key. One set of keys per open object.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto check_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) open_objects.emplace_back();
    if (event == E::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == E::key && !open_objects.empty() && duplicate.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, check_keys);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() says where: "parse error at line L, column C: ...".
    std::string what = e.what();
    size_t at = what.find("parse error");
    return Status::invalid_argument("inventory: want a JSON object with an \"agents\" array: " +
                                    (at == std::string::npos ? what : what.substr(at)));
  } catch (const nlohmann::json::exception& e) {
    // A number too large for a double (out_of_range 406: "number overflow parsing '1e999'")
    // is thrown by the parser too; uncaught, it ended collect (found by fuzz_inventory).
    return Status::invalid_argument(std::string("inventory: not valid JSON: ") + e.what());
  }
  if (!duplicate.empty())
    return Status::invalid_argument("inventory: key \"" + duplicate.substr(0, 64) +
                                    "\" appears twice in one object");
  if (!j.is_object() || !j.contains("agents") || !j["agents"].is_array()) {
    return Status::invalid_argument("inventory: want a JSON object with an \"agents\" array");
  }
  std::string default_token_file = string_or(j, "token_file");
  std::vector<wire::AgentSpec> out;
  std::set<std::string> names;
  size_t index = 0;
  for (const auto& a : j["agents"]) {
    std::string where = "inventory: agent #" + std::to_string(index++);
    if (!a.is_object()) return Status::invalid_argument(where + " is not an object");
    wire::AgentSpec spec;
    spec.name = string_or(a, "name");
    spec.url = string_or(a, "url");
    if (spec.name.empty()) return Status::invalid_argument(where + " has no \"name\"");
    where = "inventory: agent " + spec.name;
    if (!names.insert(spec.name).second)
      return Status::invalid_argument(where + " is listed twice");
    if (spec.name.size() > kMaxAgentNameBytes) {
      return Status::invalid_argument("inventory: agent #" + std::to_string(index - 1) +
                                      ": \"name\" is longer than " +
                                      std::to_string(kMaxAgentNameBytes) + " bytes");
    }
    if (spec.url.rfind("http://", 0) != 0 && spec.url.rfind("https://", 0) != 0) {
      return Status::invalid_argument(where + ": \"url\" must start with http:// or https://");
    }
    Status url_ok = check_url_authority(spec.url);
    if (!url_ok.is_ok()) return Status::invalid_argument(where + ": " + url_ok.message());
    while (!spec.url.empty() && spec.url.back() == '/') spec.url.pop_back();
    if (a.contains("protocol")) {
      std::string protocol = a["protocol"].is_string() ? a["protocol"].get<std::string>() : "";
      if (protocol == "gatewayd") {
        spec.protocol = wire::AgentProtocol::kGatewayd;
      } else if (protocol != "infralogs") {
        return Status::invalid_argument(
            "inventory: agent #" + std::to_string(index - 1) + " (" + spec.name +
            "): \"protocol\" must be \"infralogs\" (the default) or \"gatewayd\", not " +
            a["protocol"]
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                .substr(0, 64));
      }
    }
    spec.ca_file = resolve(base_dir, string_or(a, "ca_file"));
    spec.client_cert_file = resolve(base_dir, string_or(a, "client_cert_file"));
    spec.client_key_file = resolve(base_dir, string_or(a, "client_key_file"));
    if (spec.client_cert_file.empty() != spec.client_key_file.empty()) {
      return Status::invalid_argument(where +
                                      ": \"client_cert_file\" and \"client_key_file\" go together");
    }
    for (const std::string* f : {&spec.ca_file, &spec.client_cert_file, &spec.client_key_file}) {
      if (!f->empty() && ::access(f->c_str(), R_OK) != 0) {
        return Status::invalid_argument(where + ": cannot read " + *f);
      }
    }
    if (a.contains("labels")) {
      if (!a["labels"].is_object())
        return Status::invalid_argument(where + ": \"labels\" must be an object");
      for (const auto& [k, v] : a["labels"].items()) {
        if (!v.is_string())
          return Status::invalid_argument(where + ": label " + k + " must be a string");
        spec.labels[k] = v.get<std::string>();
      }
    }
    std::string token_env = string_or(a, "token_env");
    std::string token_file = resolve(base_dir, string_or(a, "token_file"));
    if (token_file.empty() && token_env.empty()) token_file = resolve(base_dir, default_token_file);
    if (!token_env.empty()) {
      const char* v = std::getenv(token_env.c_str());
      if (!v || !*v)
        return Status::invalid_argument(where + ": environment variable " + token_env +
                                        " is not set");
      spec.token = v;
    } else if (!token_file.empty()) {
      auto t = read_token(token_file);
      if (!t) return Status::invalid_argument(where + ": " + t.status().message());
      spec.token = *t;
    } else if (spec.protocol != wire::AgentProtocol::kGatewayd) {
      // gatewayd has no authentication of its own (a token is still sent when given: for a
      // proxy in front of it).
      return Status::invalid_argument(where + " has no \"token_file\" or \"token_env\"");
    }
    out.push_back(std::move(spec));
  }
  if (out.empty()) return Status::invalid_argument("inventory: no agents");
  return out;
}

Result<std::string> read_token_file(const std::string& path) { return read_token(path); }

Result<std::vector<wire::AgentSpec>> load_inventory(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument("cannot read inventory " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  size_t slash = path.rfind('/');
  return parse_inventory(ss.str(), slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace infralogs::collect
