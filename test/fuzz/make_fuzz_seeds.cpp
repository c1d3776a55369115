// make_fuzz_seeds DIR: writes the seed corpora of the fuzz targets, one directory per target
// (DIR/decode_entry, DIR/logs_query, DIR/journal_encoders, DIR/range_header): a few valid
// inputs, made with the real encoder where there is one, and hostile ones. libFuzzer mutates
// from these, so each seed shows the target a path it would take long to find alone.

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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds DIR\n");
    return 2;
  }
  fs::path dir = argv[1];
  write_seeds(dir / "decode_entry", decode_entry_seeds());
  write_seeds(dir / "logs_query", logs_query_seeds());
  write_seeds(dir / "journal_encoders", journal_encoder_seeds());
  write_seeds(dir / "range_header", range_header_seeds());
  return 0;
}
