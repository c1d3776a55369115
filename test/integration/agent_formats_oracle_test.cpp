// /logs?output=verbose|export against the oracle: for the same journal files, the bytes must be
// exactly what `journalctl --all -o verbose|export` prints (TZ=UTC), for the whole journal, for
// filtered journals, and for pages after a cursor put back together. The JSON sibling is
// agent_oracle_test.cpp.

#include <httplib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/journal.h"
#include "support/process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace infralogs::test;

namespace {

constexpr const char* kToken = "formats-oracle-token";

httplib::Client client(const ServerProcess& agent) {
  httplib::Client c("127.0.0.1", agent.port());
  c.set_bearer_token_auth(kToken);
  c.set_read_timeout(std::chrono::seconds(120));
  return c;
}

// `journalctl ARGS --all -o OUTPUT -q --no-pager` with TZ=UTC: its stdout, bytes as printed.
std::string journalctl(const std::string& output, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"journalctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--all", "-q", "--no-pager", "-o"}) argv.push_back(a);
  argv.push_back(output);
  CommandResult r = run(argv, {"TZ=UTC"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// The cursor of the last entry in a page of `output` format. Verbose: every line but an
// entry's header is indented, and the header ends with " [CURSOR]". Export: each entry starts
// with a __CURSOR= line after the previous entry's empty line.
std::string last_cursor(const std::string& output, const std::string& body) {
  if (output == "verbose") {
    size_t end = body.size() - 1;  // the '\n' that ends the last line
    while (true) {
      size_t start = body.rfind('\n', end - 1);
      start = start == std::string::npos ? 0 : start + 1;
      if (body[start] != ' ') {
        std::string header = body.substr(start, end - start);
        size_t open = header.rfind(" [");
        REQUIRE(open != std::string::npos);
        REQUIRE(header.back() == ']');
        return header.substr(open + 2, header.size() - open - 3);
      }
      REQUIRE(start > 0);
      end = start - 1;
    }
  }
  size_t at = body.rfind("\n\n__CURSOR=");
  at = at == std::string::npos ? 0 : at + 2;
  REQUIRE(body.compare(at, 9, "__CURSOR=") == 0);
  size_t nl = body.find('\n', at);
  return body.substr(at + 9, nl - at - 9);
}

// Every page /logs gives for `query` in `output`, following `after` until an empty page, put
// back together. Checks each page's Content-Type on the way.
std::string fetch_all(httplib::Client& c, const std::string& output, const std::string& query,
                      size_t limit) {
  std::string all, after;
  while (true) {
    std::string url = "/logs?output=" + output + "&limit=" + std::to_string(limit) +
                      (query.empty() ? "" : "&" + query);
    if (!after.empty()) url += "&after=" + httplib::detail::encode_query_param(after);
    auto res = c.Get(url.c_str());
    REQUIRE(res);
    INFO(url << " -> " << res->body.substr(0, 300));
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Content-Type") ==
          (output == "verbose" ? "text/plain" : "application/vnd.fdo.journal"));
    if (res->body.empty()) break;
    all += res->body;
    after = last_cursor(output, res->body);
  }
  return all;
}

// Where two byte strings first differ, with some context, for a readable failure.
std::string first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  size_t from = i < 200 ? 0 : i - 200;
  return "at byte " + std::to_string(i) + " of " + std::to_string(got.size()) + "/" +
         std::to_string(want.size()) + "\nagent:      " + got.substr(from, 400) +
         "\njournalctl: " + want.substr(from, 400);
}

void check_same(const std::string& got, const std::string& want) {
  INFO(first_difference(got, want));
  CHECK(got.size() == want.size());
  CHECK(got == want);
}

}  // namespace

TEST_CASE("agent serves verbose and export output exactly as journalctl --all",
          "[integration][oracle][formats]") {
  TempDir dir;
  const std::string file = dir.path() + "/fleet.journal";
  generate_journal(file, {"--hosts", "2", "--entries", "600", "--hostile", "--boots", "2"});
  std::string tokens = dir.write("tokens", std::string(kToken) + "\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", file});
  auto c = client(agent);

  for (const std::string output : {"verbose", "export"}) {
    INFO("output=" << output);
    const std::string whole = journalctl(output, {"--file", file});
    REQUIRE(whole.size() > 1000000);  // the hostile 1 MiB message is in it
    // The hostile shapes reach the comparison: a NUL cuts a verbose line, binary stays raw.
    if (output == "verbose") CHECK(whole.find("    MESSAGE=hostile nul: before\n") != whole.npos);
    check_same(fetch_all(c, output, "", 100000), whole);
    // Pages of 7 after each page's last cursor add up to the whole.
    check_same(fetch_all(c, output, "", 7), whole);
  }
}

TEST_CASE("verbose and export agree with journalctl given the same filters",
          "[integration][oracle][formats]") {
  TempDir dir;
  const std::string file = dir.path() + "/fleet.journal";
  generate_journal(file, {"--hosts", "3", "--entries", "300", "--hostile"});
  std::string tokens = dir.write("tokens", std::string(kToken) + "\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", file});
  auto c = client(agent);
  const std::string all = journalctl("export", {"--file", file});
  // The cursor of the n-th entry of an export text (its n-th __CURSOR line after an empty one).
  auto nth_cursor = [](const std::string& text, int n) {
    size_t at = 0;
    for (int i = 0; i < n; ++i) at = text.find("\n\n__CURSOR=", at) + 2;
    return text.substr(at + 9, text.find('\n', at) - at - 9);
  };
  const std::string cursor = nth_cursor(all, 300);
  // With a filter, the cursor is one of the filtered entries: journalctl --after-cursor skips
  // two matching steps from the cursor's place, so from an entry the filter leaves out it would
  // also drop the first match (the agent does not: it serves every entry after the cursor).
  const std::string warning_cursor =
      nth_cursor(journalctl("export", {"--file", file, "-p", "warning"}), 40);

  struct Case {
    std::string query;
    std::vector<std::string> journalctl;
  };
  const std::vector<Case> cases = {
      {"unit=nginx.service", {"-u", "nginx.service"}},
      {"priority=err", {"-p", "err"}},
      {"match=_HOSTNAME%3Dvm-02&match=PRIORITY%3D3", {"_HOSTNAME=vm-02", "PRIORITY=3"}},
      {"match=HOSTILE%3Dnul-binary", {"HOSTILE=nul-binary"}},
      {"fields=MESSAGE,_PID,HOSTILE,BINARY_BLOB",
       {"--output-fields=MESSAGE,_PID,HOSTILE,BINARY_BLOB"}},
      {"after=" + httplib::detail::encode_query_param(cursor), {"--after-cursor", cursor}},
      {"after=" + httplib::detail::encode_query_param(warning_cursor) + "&priority=warning",
       {"--after-cursor", warning_cursor, "-p", "warning"}},
  };
  for (const std::string output : {"verbose", "export"}) {
    for (const auto& tc : cases) {
      INFO("output=" << output << " query: " << tc.query);
      std::vector<std::string> args = {"--file", file};
      args.insert(args.end(), tc.journalctl.begin(), tc.journalctl.end());
      const std::string want = journalctl(output, args);
      REQUIRE(!want.empty());
      if (tc.query.rfind("fields=", 0) != 0) CHECK(want.size() < all.size());  // it filters
      // fetch_all adds its own after= past the first page; a case's after= is the first page's.
      auto first = c.Get(("/logs?output=" + output + "&limit=100000&" + tc.query).c_str());
      REQUIRE(first);
      REQUIRE(first->status == 200);
      check_same(first->body, want);
      if (tc.query.rfind("after=", 0) != 0) check_same(fetch_all(c, output, tc.query, 50), want);
    }
  }
}

TEST_CASE("verbose shows _SOURCE_REALTIME_TIMESTAMP as journalctl 252 parses it",
          "[integration][oracle][formats]") {
  // Entries whose source time journalctl takes (decimal, hex, octal, spaces, '+', a NUL ending
  // the number, the last of several values, the largest valid time) or refuses for the
  // journal's time (a sign, text, trailing bytes, zero, 2^55 and more, an unparsable last
  // value), written through journal-remote as make-journal writes its files.
  const std::vector<std::vector<std::string>> sources = {
      {"1735689600123456"},
      {"0x62a99ba111edd"},
      {"0755"},
      {" 1735689600000001"},
      {"+1735689600000002"},
      {"-5"},
      {"-0"},
      {"abc"},
      {""},
      {"0"},
      {"18446744073709551615"},
      {"36028797018963967"},
      {"36028797018963968"},
      {std::string("12\0 34", 6)},
      {"1735689600000003 "},
      {"1735689600000004\n"},
      {"1735689600000007", "5"},
      {"1735689600000013", "xyz"},
      {"abc", "1735689600000008"},
  };
  std::string stream;
  uint64_t t = 1735689700000000;
  for (size_t i = 0; i < sources.size(); ++i) {
    stream += "__REALTIME_TIMESTAMP=" + std::to_string(t + i * 1000) +
              "\n__MONOTONIC_TIMESTAMP=" + std::to_string(1000 + i) +
              "\n_BOOT_ID=b7ef3ab6d5514059b86f8f0411fdfda3\nMESSAGE=source time " +
              std::to_string(i) + "\n";
    for (const std::string& v : sources[i]) {
      if (v.find_first_of(std::string("\n\0", 2)) == std::string::npos) {
        stream += "_SOURCE_REALTIME_TIMESTAMP=" + v + "\n";
        continue;
      }
      stream += "_SOURCE_REALTIME_TIMESTAMP\n";
      for (int b = 0; b < 8; ++b) stream.push_back(static_cast<char>((v.size() >> (8 * b)) & 0xFF));
      stream += v + "\n";
    }
    stream += "\n";
  }
  TempDir dir;
  const std::string source = dir.write("source.export", stream);
  const std::string file = dir.path() + "/source.journal";
  CommandResult r =
      run({"/lib/systemd/systemd-journal-remote", "--split-mode=none", "--output=" + file, source});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string tokens = dir.write("tokens", std::string(kToken) + "\n");
  ServerProcess agent("agent", {"--token-file", tokens, "--file", file});
  auto c = client(agent);
  const std::string want = journalctl("verbose", {"--file", file});
  // Both kinds are there: source times (1970 and 3111 among them) and the journal's own.
  CHECK(want.find("Thu 1970-01-01 00:00:00.000493 UTC") != want.npos);  // 0755, octal
  CHECK(want.find("Sat 3111-09-16 23:10:18.963967 UTC") != want.npos);
  CHECK(want.find("Wed 2025-01-01 00:01:40.005000 UTC") != want.npos);  // "-5" refused
  check_same(fetch_all(c, "verbose", "", 1000), want);
}
