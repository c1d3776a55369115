// The KV secrets engine, version 2 (vault-plugin-secrets-kv path_data.go, path_metadata.go,
// path_delete.go, path_destroy.go, path_config.go).

#include <set>

#include "core.h"

namespace infralogs::vaultd {
namespace {

constexpr int64_t kDefaultMaxVersions = 10;

std::string time_or_empty(const std::optional<TimePoint>& t) { return t ? rfc3339_nano(*t) : ""; }

Result<std::vector<uint64_t>> version_list(const nlohmann::json& body) {
  std::vector<uint64_t> out;
  if (!body.contains("versions") || body["versions"].is_null()) return out;
  const nlohmann::json& v = body["versions"];
  auto add = [&](const nlohmann::json& e) -> Status {
    if (e.is_number_integer() && e.get<int64_t>() >= 0) {
      out.push_back(e.get<uint64_t>());
    } else if (e.is_string()) {
      for (const auto& part : split(e.get<std::string>(), ',')) {
        std::string p = trim(part);
        if (p.empty()) continue;
        try {
          out.push_back(std::stoull(p));
        } catch (const std::exception&) {
          return Status::invalid_argument("error converting input " + e.dump() +
                                          " for field \"versions\"");
        }
      }
    } else {
      return Status::invalid_argument("error converting input " + e.dump() +
                                      " for field \"versions\"");
    }
    return Status::ok();
  };
  if (v.is_array()) {
    for (const auto& e : v) {
      Status s = add(e);
      if (!s.is_ok()) return s;
    }
  } else {
    Status s = add(v);
    if (!s.is_ok()) return s;
  }
  return out;
}

}  // namespace

Core::Resp Core::kv(Call& call) {
  MutexLock lock(mu_);
  Mount* m = find_mount(call.mount);
  if (!m || !m->kv) return Resp::error(404, "unsupported path");
  const std::string& rel = call.rel;
  if (rel == "config") return kv_config(call, *m);
  if (starts_with(rel, "data/")) return kv_data(call, *m, rel.substr(5));
  if (starts_with(rel, "metadata/") || rel == "metadata") {
    return kv_metadata(call, *m, rel.size() > 9 ? rel.substr(9) : "");
  }
  for (const char* verb : {"delete/", "undelete/", "destroy/"}) {
    if (starts_with(rel, verb)) {
      std::string v(verb);
      return kv_versions_op(call, *m, v.substr(0, v.size() - 1), rel.substr(v.size()));
    }
  }
  return Resp::error(404, "unsupported path");
}

Core::Resp Core::kv_config(Call& call, Mount& m) {
  KvState& kv = *m.kv;
  if (call.op == Op::kRead) {
    return Resp::ok({{"max_versions", kv.max_versions},
                     {"cas_required", kv.cas_required},
                     {"delete_version_after", go_duration(kv.delete_version_after)}});
  }
  if (call.op != Op::kUpdate && call.op != Op::kCreate)
    return Resp::error(405, "unsupported operation");
  Fields f(call.body);
  auto max = f.integer("max_versions", kv.max_versions);
  auto cas = f.boolean("cas_required", kv.cas_required);
  auto dva = f.duration("delete_version_after", kv.delete_version_after);
  for (const Status& s : {max.status(), cas.status(), dva.status()}) {
    if (!s.is_ok()) return Resp::error_response(s.message());
  }
  kv.max_versions = *max;
  kv.cas_required = *cas;
  kv.delete_version_after = *dva < 0 ? 0 : *dva;
  return Resp::nil();
}

Core::Resp Core::kv_data(Call& call, Mount& m, const std::string& key) {
  KvState& kv = *m.kv;
  TimePoint now = Clock::now();
  if (key.empty() || ends_with(key, "/")) return Resp::error(404, "unsupported path");
  auto it = kv.keys.find(key);
  switch (call.op) {
    case Op::kRead: {
      if (it == kv.keys.end()) return Resp::nil();
      KvKey& meta = it->second;
      auto version = Fields(call.body).integer("version");
      if (!version) return Resp::error_response(version.status().message());
      uint64_t num = *version > 0 ? static_cast<uint64_t>(*version) : meta.current;
      auto v = meta.versions.find(num);
      if (v == meta.versions.end()) return Resp::nil();
      Resp r = Resp::ok({{"data", nullptr},
                         {"metadata",
                          {{"version", num},
                           {"created_time", rfc3339_nano(v->second.created)},
                           {"deletion_time", time_or_empty(v->second.deleted)},
                           {"destroyed", v->second.destroyed},
                           {"custom_metadata", meta.custom_metadata}}}});
      bool deleted = v->second.deleted && *v->second.deleted < now;
      if (deleted || v->second.destroyed) {
        r.status = 404;
        return r;
      }
      r.data["data"] = v->second.data;
      return r;
    }
    case Op::kCreate:
    case Op::kUpdate: {
      if (!call.body.contains("data") || call.body["data"].is_null()) {
        return Resp::error_response("no data provided");
      }
      if (!call.body["data"].is_object()) {
        return Resp::error_response("error converting input for field \"data\": expected a map");
      }
      KvKey fresh;
      KvKey& meta = it == kv.keys.end() ? fresh : it->second;
      // validateCheckAndSetOption
      bool cas_given = false;
      uint64_t cas = 0;
      if (call.body.contains("options") && call.body["options"].is_object() &&
          call.body["options"].contains("cas") && !call.body["options"]["cas"].is_null()) {
        const nlohmann::json& c = call.body["options"]["cas"];
        cas_given = true;
        if (c.is_number_integer() && c.get<int64_t>() >= 0) {
          cas = c.get<uint64_t>();
        } else if (c.is_number_float() && c.get<double>() >= 0) {
          cas = static_cast<uint64_t>(c.get<double>());
        } else if (c.is_string()) {
          try {
            size_t used = 0;
            cas = std::stoull(c.get<std::string>(), &used);
            if (used != c.get<std::string>().size()) throw std::invalid_argument("trailing");
          } catch (const std::exception&) {
            return Resp::error_response("error parsing check-and-set parameter");
          }
        } else {
          return Resp::error_response("error parsing check-and-set parameter");
        }
      }
      if (cas_given) {
        if (cas != meta.current) {
          return Resp::error_response("check-and-set parameter did not match the current version");
        }
      } else if (kv.cas_required || meta.cas_required) {
        return Resp::error_response("check-and-set parameter required for this call");
      }
      KvVersion v;
      v.created = now;
      v.data = call.body["data"];
      int64_t dva = meta.delete_version_after ? meta.delete_version_after : kv.delete_version_after;
      if (dva > 0) v.deleted = now + std::chrono::seconds(dva);
      meta.current += 1;
      meta.versions[meta.current] = v;
      meta.updated = now;
      if (meta.created == TimePoint()) meta.created = now;
      // AddVersion: keep max(key, engine) versions, 10 when neither is set.
      int64_t max = std::max(meta.max_versions, kv.max_versions);
      if (max <= 0) max = kDefaultMaxVersions;
      if (static_cast<int64_t>(meta.current - meta.oldest) >= max) {
        uint64_t to_delete = meta.current - static_cast<uint64_t>(max);
        for (uint64_t i = meta.oldest; i <= to_delete; ++i) meta.versions.erase(i);
        meta.oldest = to_delete + 1;
      }
      nlohmann::json data = {{"version", meta.current},
                             {"created_time", rfc3339_nano(v.created)},
                             {"deletion_time", time_or_empty(v.deleted)},
                             {"destroyed", false},
                             {"custom_metadata", meta.custom_metadata}};
      if (it == kv.keys.end()) kv.keys[key] = std::move(fresh);
      return Resp::ok(data);
    }
    case Op::kDelete: {
      if (it == kv.keys.end()) return Resp::nil();
      auto v = it->second.versions.find(it->second.current);
      if (v == it->second.versions.end() || v->second.destroyed) return Resp::nil();
      if (v->second.deleted && *v->second.deleted < now) return Resp::nil();
      v->second.deleted = now;
      return Resp::nil();
    }
    case Op::kPatch:
      return Resp::error(405, "unsupported operation");
    default:
      return Resp::error(405, "unsupported operation");
  }
}

Core::Resp Core::kv_metadata(Call& call, Mount& m, const std::string& key) {
  KvState& kv = *m.kv;
  if (call.op == Op::kList) {
    std::set<std::string> keys;
    for (const auto& [k, meta] : kv.keys) {
      if (!starts_with(k, key)) continue;
      std::string rest = k.substr(key.size());
      size_t slash = rest.find('/');
      keys.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
    }
    return Resp::ok({{"keys", std::vector<std::string>(keys.begin(), keys.end())}});
  }
  if (key.empty()) return Resp::error(404, "unsupported path");
  auto it = kv.keys.find(key);
  switch (call.op) {
    case Op::kRead: {
      if (it == kv.keys.end()) return Resp::nil();
      const KvKey& meta = it->second;
      nlohmann::json versions = nlohmann::json::object();
      for (const auto& [n, v] : meta.versions) {
        versions[std::to_string(n)] = {{"created_time", rfc3339_nano(v.created)},
                                       {"deletion_time", time_or_empty(v.deleted)},
                                       {"destroyed", v.destroyed}};
      }
      return Resp::ok({{"versions", versions},
                       {"current_version", meta.current},
                       {"oldest_version", meta.oldest},
                       {"created_time", rfc3339_nano(meta.created)},
                       {"updated_time", rfc3339_nano(meta.updated)},
                       {"max_versions", meta.max_versions},
                       {"cas_required", meta.cas_required},
                       {"delete_version_after", go_duration(meta.delete_version_after)},
                       {"custom_metadata", meta.custom_metadata}});
    }
    case Op::kCreate:
    case Op::kUpdate: {
      Fields f(call.body);
      bool any = f.has("max_versions") || f.has("cas_required") || f.has("delete_version_after") ||
                 f.has("custom_metadata");
      if (!any) return Resp::nil();
      auto max = f.integer("max_versions");
      auto cas = f.boolean("cas_required");
      auto dva = f.duration("delete_version_after");
      auto custom = f.string_map("custom_metadata");
      for (const Status& s : {max.status(), cas.status(), dva.status(), custom.status()}) {
        if (!s.is_ok()) return Resp::error_response(s.message());
      }
      Resp r = Resp::nil();
      if (f.has("cas_required") && kv.cas_required && !*cas) {
        r = Resp::ok(nullptr);
        r.warnings.push_back(
            "\"cas_required\" set to false, but is mandated by backend config. This value will "
            "be ignored.");
      }
      KvKey& meta = kv.keys[key];
      if (meta.created == TimePoint()) meta.created = meta.updated = Clock::now();
      if (f.has("max_versions")) meta.max_versions = *max;
      if (f.has("cas_required")) meta.cas_required = *cas;
      if (f.has("delete_version_after")) meta.delete_version_after = *dva;
      if (f.has("custom_metadata")) meta.custom_metadata = *custom;
      return r;
    }
    case Op::kDelete:
      kv.keys.erase(key);
      return Resp::nil();
    default:
      return Resp::error(405, "unsupported operation");
  }
}

Core::Resp Core::kv_versions_op(Call& call, Mount& m, const std::string& verb,
                                const std::string& key) {
  if (call.op != Op::kUpdate && call.op != Op::kCreate)
    return Resp::error(405, "unsupported operation");
  auto versions = version_list(call.body);
  if (!versions) return Resp::error_response(versions.status().message());
  if (versions->empty()) {
    return Resp::error_response(verb == "destroy" ? "no version number provided"
                                                  : "No version number provided");
  }
  auto it = m.kv->keys.find(key);
  if (it == m.kv->keys.end()) return Resp::nil();
  TimePoint now = Clock::now();
  for (uint64_t n : *versions) {
    auto v = it->second.versions.find(n);
    if (v == it->second.versions.end() || v->second.destroyed) continue;
    if (verb == "delete") {
      if (v->second.deleted && *v->second.deleted < now) continue;
      v->second.deleted = now;
    } else if (verb == "undelete") {
      v->second.deleted.reset();
    } else {
      v->second.destroyed = true;
      v->second.data = nullptr;
    }
  }
  return Resp::nil();
}

}  // namespace infralogs::vaultd
