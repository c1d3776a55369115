// make_fuzz_seeds DIR: writes the seed corpora of the fuzz targets, one directory per target
// (DIR/decode_entry, DIR/export_decoder, DIR/logs_query, DIR/journal_encoders, DIR/range_header,
// DIR/inventory, DIR/credentials_file, DIR/vault_response, DIR/kv_tokens): a few valid inputs, made
// with the real encoder where there is one, and hostile ones. libFuzzer mutates from these, so each
// seed shows the target a path it would take long to find alone.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "infralogs/journal/entry_format.h"

namespace fs = std::filesystem;
using infralogs::journal::Entry;

namespace {

void write_seeds(const fs::path& dir, const std::vector<std::string>& seeds) {
  fs::create_directories(dir);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::ofstream(dir / ("seed-" + std::to_string(i)), std::ios::binary) << seeds[i];
  }
}

Entry make_entry(const std::vector<std::string>& items) {
  Entry e;
  e.cursor =
      "s=0123456789abcdef0123456789abcdef;i=2a;b=fedcba9876543210fedcba9876543210;"
      "m=3e8;t=5f5e100;x=1234abcd";
  e.realtime_usec = 1735689600000000;
  e.monotonic_usec = 1000;
  e.boot_id = "fedcba9876543210fedcba9876543210";
  for (const auto& item : items) e.add_item(item.data(), item.size());
  return e;
}

// Agent lines: what append_json makes of ordinary and hostile entries, then broken JSON.
std::vector<std::string> decode_entry_seeds() {
  std::vector<std::vector<std::string>> entries = {
      {"MESSAGE=hello", "PRIORITY=6", "_SYSTEMD_UNIT=cron.service", "_PID=42", "_UID=0"},
      {"MESSAGE=two", "MESSAGE=messages", "SYSLOG_IDENTIFIER=x", "_COMM=sh"},
      {std::string("MESSAGE=nul\0byte", 16), "BIN=\xff\xfe invalid utf-8"},
      {"MESSAGE=<script>alert(1)</script>'; DROP TABLE entries; --", "_TRANSPORT=journal"},
      {"MESSAGE=\x01\x1b[31mcontrol\t\n", "PRIORITY=99", "_PID=-1"},
  };
  std::vector<std::string> seeds;
  for (const auto& items : entries) {
    std::string line;
    infralogs::journal::append_json(make_entry(items), {}, &line);
    line.pop_back();  // the collector splits lines before decoding
    seeds.push_back(line);
  }
  seeds.push_back("{}");
  seeds.push_back("[]");
  seeds.push_back("{\"__CURSOR\":\"s=zz;i=1\",\"__REALTIME_TIMESTAMP\":\"1\"}");
  seeds.push_back("{\"__CURSOR\":\"s=0123456789abcdef0123456789abcdef;i=ffffffffffffffffff\"}");
  seeds.push_back("{\"a\":\"\\ud800\",\"b\":[1,2,3],\"c\":{\"d\":null},\"e\":1e999}");
  seeds.push_back("{\"__CURSOR\":\"s=0123456789abcdef0123456789abcdef;i=1\",");
  seeds.push_back(std::string(200, '[') + std::string(200, ']'));
  return seeds;
}

// gatewayd bodies in the Journal Export Format: what append_export makes of ordinary and
// hostile entries (binary values with their 64-bit lengths), alone and back to back, then
// broken ones.
std::vector<std::string> export_decoder_seeds() {
  std::vector<std::vector<std::string>> entries = {
      {"MESSAGE=hello", "PRIORITY=6", "_SYSTEMD_UNIT=cron.service", "_PID=42"},
      {"MESSAGE=two", "MESSAGE=messages", "A=1", "MESSAGE=apart"},
      {std::string("MESSAGE=nul\0byte", 16), "BIN=\xff\xfe invalid utf-8"},
      {"MESSAGE=line one\nline two", "TAB=a\tb", "EMPTY="},
  };
  std::vector<std::string> seeds;
  std::string all;
  for (const auto& items : entries) {
    std::string body;
    infralogs::journal::append_export(make_entry(items), &body);
    seeds.push_back(body);
    all += body;
  }
  seeds.push_back(all);
  seeds.push_back(all.substr(0, all.size() / 2));  // ends inside an entry
  seeds.push_back(std::string("MESSAGE\n") + std::string("\xff\xff\xff\xff\xff\xff\xff\x7f") +
                  "x\n\n");  // a length far past any bound
  seeds.push_back("=value\n\n");
  seeds.push_back("\n\n\n");
  return seeds;
}

std::vector<std::string> logs_query_seeds() {
  return {
      "after=s%3D0123456789abcdef0123456789abcdef%3Bi%3D2a%3Bb%3Dfedcba9876543210fedcba9876543210"
      "&limit=100",
      "limit=1&since=2025-01-01T00:00:00Z&until=@1735689600",
      "unit=cron&unit=ssh.socket&priority=err&boot=fedcba98-7654-3210-fedc-ba9876543210",
      "match=PRIORITY%3D3&match=_PID%3D1&fields=MESSAGE,_PID",
      "since=1735689600000000&until=2025-01-01 00:00:00.123456",
      "limit=-1&limit=99999999999999999999",
      "after=raw=cursor=with=equals&match==&match=%00%ff",
      "fields=&unit=&priority=8&boot=xyz&since=9999-99-99T99:99:99",
      "nope=1",
  };
}

// FuzzedDataProvider input: 8+8 bytes of integers taken from the end, a flag byte, then
// strings each ended by "\\ " (ConsumeRandomLengthString's terminator).
std::vector<std::string> journal_encoder_seeds() {
  std::string tail(17, '\x01');
  return {
      "MESSAGE=hello\\ PRIORITY=6\\ _PID=1\\ " + tail,
      std::string("MESSAGE=\0\xff\xfe\\ MESSAGE=again\\ ", 24) + tail,
      "=\\ NOEQUALS\\ 0BAD=name\\ lower=case\\ " + tail,
      "MESSAGE=\xc3\x28 \xe2\x82\\ X=\x7f\x1b\\ " + tail,
      std::string(5000, 'A') + "=" + std::string(300, 'b') + tail,
  };
}

std::vector<std::string> range_header_seeds() {
  return {
      "entries=",
      "entries=:2:3",
      "entries=:-2:",
      "entries=fake-1",
      "entries=fake-2:1:2",
      "entries=fake-4:-10:100",
      "entries= fake-0 :0: 5 ",
      "entries=::",
      "entries=x:99999999999999999999:1",
      "entries=:-9223372036854775808:18446744073709551615",
      "bytes=0-10",
      "entries=fake-1:1:0",
  };
}

// Inventories: the documented shape (inventory.h), each refusal the parser knows, duplicate keys.
std::vector<std::string> inventory_seeds() {
  return {
      R"({"agents": [{"name": "vm-1", "url": "https://vm-1:19532", "token_file": "token",
                      "labels": {"env": "prod", "rack": "r1"}}], "token_file": "token"})",
      R"({"token_file": "token", "agents": [{"name": "a", "url": "http://10.0.0.1:19532/"},
          {"name": "b", "url": "http://[::1]:19532", "token_env": "INFRALOGS_FUZZ_TOKEN"}]})",
      R"({"agents": [{"name": "a", "url": "http://user:pass@a:19532", "token_file": "token"}]})",
      R"({"agents": [{"name": "a", "url": "http://a:19532/logs?x#y", "token_file": "token"}]})",
      R"({"agents": [{"name": "a", "name": "b", "url": "http://a", "token_file": "token"}]})",
      R"({"agents": [{"name": "a", "url": "http://a", "token_file": "token"},
                     {"name": "a", "url": "http://b", "token_file": "token"}]})",
      R"({"agents": [{"name": "a", "url": "ftp://a", "client_cert_file": "c.pem"}]})",
      R"({"agents": [{"name": "a", "url": "http://a", "token_env": "UNSET_VARIABLE_X"}]})",
      R"({"agents": [{"name": "a", "url": "http://a", "token_file": "token", "labels": [1]}]})",
      R"({"agents": [{"name": ")" + std::string(300, 'n') +
          R"(", "url": "http://a", "token_file": "token"}]})",
      R"({"agents": []})",
      R"({"agents": [1, null, "x"]})",
      R"({"agents": [{"name": "\u0000\ud800", "url": "http://a"})",
  };
}

// Rendered credentials files: the three documented shapes, then what a template gets wrong.
std::vector<std::string> credentials_file_seeds() {
  return {
      R"({"username": "infralogs_ro", "password": "s3cret"})",
      R"({"data": {"username": "v-ro-abc", "password": "A1a-xyz"}})",
      R"({"data": {"data": {"username": "u", "password": "p"}, "metadata": {"version": 3}}})",
      R"({"username": "u", "password": 12345})",
      R"({"data": {"data": {"data": {"username": "u", "password": "p"}}}})",
      R"({"username": "u")",
      "database/creds/ro",
      "database/static-creds/ro",
      "kv:secret/infralogs/db",
      "kv:/x",
      "",
  };
}

// Vault answers (../shared/reference/vault-api.md): a dynamic secret, a static one, KV v2, a
// login, lookup-self, an error; then wrong types and absurd numbers.
std::vector<std::string> vault_response_seeds() {
  return {
      R"({"request_id":"1","lease_id":"database/creds/ro/abc","renewable":true,
          "lease_duration":3600,"data":{"username":"v-ro","password":"pw"},"warnings":null,
          "auth":null})",
      R"({"data":{"username":"ro","password":"pw","ttl":120,"rotation_period":3600,
          "last_vault_rotation":"2026-01-01T00:00:00.000000Z"}})",
      R"({"data":{"data":{"username":"u","password":"p"},
          "metadata":{"version":7,"created_time":"2026-01-01T00:00:00Z"}}})",
      R"({"auth":{"client_token":"hvs.x","accessor":"a","policies":["p"],
          "lease_duration":2764800,"renewable":true},"data":null})",
      R"({"data":{"ttl":3599,"renewable":true,"policies":["root"]}})",
      R"({"errors":["1 error occurred:\n\t* permission denied\n\n"]})",
      R"({"lease_duration":"3600","renewable":"true","data":{"ttl":"x","username":1},
          "auth":{"client_token":"t","lease_duration":-1,"renewable":1}})",
      R"({"lease_duration":9223372036854775807,"auth":{"client_token":"t",
          "lease_duration":18446744073709551615},"data":{"ttl":1e308}})",
      R"({"warnings":[1,"w",null],"data":[],"auth":[]})",
  };
}

std::vector<std::string> kv_tokens_seeds() {
  return {
      R"({"data":{"data":{"current":"tok-new-0123456789","previous":"tok-old-0123456789"},
          "metadata":{"version":4,"destroyed":false}}})",
      R"({"data":{"data":{"current":"only"},"metadata":{"version":"4"}}})",
      R"({"data":{"data":{"current":1,"previous":"tok-old-0123456789"}}})",
      R"({"data":{"data":{}},"metadata":null})",
      R"({"data":{"data":"current"}})",
      R"({"data":null})",
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds DIR\n");
    return 2;
  }
  fs::path dir = argv[1];
  write_seeds(dir / "decode_entry", decode_entry_seeds());
  write_seeds(dir / "export_decoder", export_decoder_seeds());
  write_seeds(dir / "logs_query", logs_query_seeds());
  write_seeds(dir / "journal_encoders", journal_encoder_seeds());
  write_seeds(dir / "range_header", range_header_seeds());
  write_seeds(dir / "inventory", inventory_seeds());
  write_seeds(dir / "credentials_file", credentials_file_seeds());
  write_seeds(dir / "vault_response", vault_response_seeds());
  write_seeds(dir / "kv_tokens", kv_tokens_seeds());
  return 0;
}
