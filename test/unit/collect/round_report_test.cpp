#include "infralogs/collect/round_report.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "fakes/fake_agent_client.h"
#include "fakes/in_memory_log_store.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace infralogs;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kNow = 1767225600ULL * 1000000ULL;  // 2026-01-01T00:00:00Z
constexpr uint64_t kDayUsec = 86400ULL * 1000000ULL;

wire::AgentSpec spec(const std::string& name) {
  wire::AgentSpec s;
  s.name = name;
  s.url = "http://" + name + ":19532";
  s.token = "secret-token";
  return s;
}

collect::CollectorOptions fast_options() {
  collect::CollectorOptions o;
  o.batch_entries = 7;
  o.backoff = 1ms;
  o.attempts = 2;
  return o;
}

collect::RoundOptions round_options() {
  collect::RoundOptions o;
  o.collector = "collector-1:42";
  o.now_usec = [] { return kNow; };
  return o;
}

// A round over "a" (20 entries), "down" (no such agent: unavailable) and "bad" (a corrupt
// response), through the real Collector.
struct Round {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  collect::RoundReport report;

  explicit Round(const collect::RoundOptions& options = round_options()) {
    client.add_entries("a", 20, 5000000);
    client.add_entries("bad", 3);
    client.agents["bad"].failures = {Status::corruption("entry 2: unexpected value")};
    collect::Collector collector(client, store, fast_options());
    report = collect::poll_round(collector, {spec("a"), spec("down"), spec("bad")}, options, {});
    collect::record_round(report, store, options);
  }
};

// The text exposition format, strictly enough to catch a malformed file: every line is
// "# HELP name text", "# TYPE name gauge|counter" or `name{label="value",...} number`, and a
// sample's family was declared by a TYPE line before it. Returns the samples by their
// `name{labels}` text; fails the test on a bad line.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  auto valid_name = [](const std::string& n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    for (char c : n) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    }
    return true;
  };
  while (std::getline(in, line)) {
    INFO("line: " << line);
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      CHECK(valid_name(rest.substr(0, rest.find(' '))));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      CHECK(valid_name(name));
      CHECK((type == "gauge" || type == "counter"));
      types[name] = type;
      continue;
    }
    REQUIRE(line[0] != '#');
    size_t name_end = line.find_first_of("{ ");
    REQUIRE(name_end != std::string::npos);
    std::string name = line.substr(0, name_end);
    CHECK(valid_name(name));
    CHECK(types.count(name) == 1);
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      // label="value" pairs; values escape \, " and newline with a backslash.
      size_t i = name_end + 1;
      while (line[i] != '}') {
        size_t eq = line.find('=', i);
        REQUIRE(eq != std::string::npos);
        CHECK(valid_name(line.substr(i, eq - i)));
        REQUIRE(line[eq + 1] == '"');
        i = eq + 2;
        while (line[i] != '"') {
          REQUIRE(i < line.size());
          if (line[i] == '\\') {
            REQUIRE((line[i + 1] == '\\' || line[i + 1] == '"' || line[i + 1] == 'n'));
            ++i;
          }
          ++i;
        }
        ++i;
        if (line[i] == ',') ++i;
        REQUIRE(i < line.size());
      }
      value_at = i + 1;
    }
    REQUIRE(line[value_at] == ' ');
    std::string value = line.substr(value_at + 1);
    size_t used = 0;
    double v = std::stod(value, &used);
    CHECK(used == value.size());
    samples[line.substr(0, value_at)] = v;
  }
  return samples;
}

// Runs write_round_textfile into `path` as a user who may not write its directory: as root
// (who writes anywhere) in a child that gave up root for nobody. Returns the child's verdict:
// 0 the write succeeded, 1 it failed with kPermissionDenied naming the file, 2 another failure.
int write_unprivileged(const collect::RoundReport& report, const std::string& path) {
  auto verdict = [&] {
    Status s = collect::write_round_textfile(report, path);
    if (s.is_ok()) return 0;
    bool named = s.message().find(path) != std::string::npos;
    return s.code() == StatusCode::kPermissionDenied && named ? 1 : 2;
  };
  if (geteuid() != 0) return verdict();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    _exit(verdict());
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("a round report says what the round did per agent", "[collect]") {
  Round r;
  const auto& agents = r.report.agents;
  REQUIRE(agents.size() == 3);
  CHECK(agents[0].name == "a");
  CHECK(agents[0].url == "http://a:19532");
  CHECK(agents[0].status.is_ok());
  CHECK(agents[0].entries == 20);
  CHECK(agents[0].bytes == 20 * 100);  // FakeAgentClient counts 100 bytes an entry
  CHECK(agents[0].batches == 3);
  CHECK(agents[0].caught_up);
  CHECK(agents[0].last_realtime_usec == 5000000 + 20);
  CHECK(agents[1].status.code() == StatusCode::kUnavailable);
  CHECK(agents[2].status.code() == StatusCode::kCorruption);
  CHECK(agents[2].entries == 0);
  CHECK_FALSE(r.report.all_ok());
  CHECK(r.report.started_usec == kNow);
  CHECK(r.report.finished_usec == kNow);
  CHECK(r.report.seconds >= 0);

  CHECK(r.report.failed_agents() ==
        std::vector<std::string>{"FAILED down (http://down:19532): down: connection refused",
                                 "FAILED bad (http://bad:19532): entry 2: unexpected value"});
}

TEST_CASE("a round records its run and the heartbeat, and no token", "[collect]") {
  Round r;
  REQUIRE(r.store.runs.size() == 1);
  const storage::RunRecord& run = r.store.runs[0];
  CHECK(run.collector == "collector-1:42");
  CHECK(run.started_usec == kNow);
  CHECK(run.finished_usec == kNow);
  CHECK(run.agents_ok == 1);
  CHECK(run.agents_failed == 2);
  CHECK(run.entries == 20);
  CHECK(run.bytes == 2000);
  CHECK(run.summary == "down: down: connection refused\nbad: entry 2: unexpected value\n");
  CHECK(run.summary.find("secret-token") == std::string::npos);
  CHECK(r.store.heartbeats == std::vector<std::string>{"collector-1:42"});
  // Only the agent that reached its tail is marked polled.
  CHECK(r.store.polled == std::set<uint32_t>{r.store.hosts["a"]});
  // 3 pages of "a"; the corrupt page of "bad" never reached the store.
  CHECK(r.store.appends == 3);
  CHECK(r.store.dropped_before.empty());  // retention off by default
}

TEST_CASE("a round with retention drops the partitions older than retain days", "[collect]") {
  auto o = round_options();
  o.retain = std::chrono::days(7);
  Round r(o);
  CHECK(r.store.dropped_before == std::vector<uint64_t>{kNow - 7 * kDayUsec});

  SECTION("a retention longer than since the epoch drops nothing older than 1970") {
    o.retain = std::chrono::days(100000);
    Round longer(o);
    CHECK(longer.store.dropped_before == std::vector<uint64_t>{0});
  }
}

TEST_CASE("a stopped round reports every agent stopped and is still recorded", "[collect]") {
  test::FakeAgentClient client;
  test::InMemoryLogStore store;
  client.add_entries("a", 5);
  collect::Collector collector(client, store, fast_options());
  std::stop_source stop;
  stop.request_stop();
  auto report = collect::poll_round(collector, {spec("a")}, round_options(), stop.get_token());
  collect::record_round(report, store, round_options());
  REQUIRE(report.agents.size() == 1);
  CHECK(report.agents[0].status.code() == StatusCode::kUnavailable);
  CHECK(report.agents[0].status.message() == "stopped");
  REQUIRE(store.runs.size() == 1);
  CHECK(store.runs[0].agents_failed == 1);
}

TEST_CASE("the round's textfile is Prometheus text with every agent's numbers", "[collect]") {
  Round r;
  r.report.agents[1].name = "we\"ird\\name";  // label values are escaped
  r.report.seconds = 1.5;
  test::TempDir dir;
  std::string path = dir.file("collect.prom");
  REQUIRE(collect::write_round_textfile(r.report, path).is_ok());
  std::string text = test::read_file(path);
  CHECK(text == collect::render_round_metrics(r.report));
  CHECK_FALSE(test::try_read_file(path + ".tmp").has_value());

  auto m = parse_prometheus(text);
  CHECK(m.at("infralogs_collect_agent_up{agent=\"a\"}") == 1);
  CHECK(m.at("infralogs_collect_agent_up{agent=\"bad\"}") == 0);
  CHECK(m.at("infralogs_collect_agent_up{agent=\"we\\\"ird\\\\name\"}") == 0);
  CHECK(m.at("infralogs_collect_agent_entries{agent=\"a\"}") == 20);
  CHECK(m.at("infralogs_collect_agent_bytes{agent=\"a\"}") == 2000);
  CHECK(m.at("infralogs_collect_agent_gaps{agent=\"a\"}") == 0);
  CHECK(m.at("infralogs_collect_agent_caught_up{agent=\"a\"}") == 1);
  CHECK(m.at("infralogs_collect_agent_caught_up{agent=\"bad\"}") == 0);
  CHECK(m.at("infralogs_collect_agent_last_entry_timestamp_seconds{agent=\"a\"}") ==
        Approx(5.00002));
  // No entry stored, no timestamp.
  CHECK(m.count("infralogs_collect_agent_last_entry_timestamp_seconds{agent=\"bad\"}") == 0);
  CHECK(m.at("infralogs_collect_run_seconds") == 1.5);
  CHECK(m.at("infralogs_collect_last_run_timestamp_seconds") == Approx(kNow / 1e6));
  CHECK(text.find("secret-token") == std::string::npos);
}

TEST_CASE("a textfile that cannot be written is an error and leaves the previous one",
          "[collect]") {
  Round r;
  test::TempDir dir;
  std::string sub = dir.path() + "/textfiles";
  REQUIRE(mkdir(sub.c_str(), 0755) == 0);
  std::string path = sub + "/collect.prom";
  auto first = r.report;
  first.agents.resize(1);
  REQUIRE(collect::write_round_textfile(first, path).is_ok());
  std::string previous = test::read_file(path);

  SECTION("a directory the collector may not write") {
    // nobody may enter dir (0700, root's): open it to others, but not `sub` for writing.
    REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
    REQUIRE(chmod(sub.c_str(), 0555) == 0);
    CHECK(write_unprivileged(r.report, path) == 1);
    REQUIRE(chmod(sub.c_str(), 0755) == 0);
  }
  SECTION("the temporary file's place is taken") {
    REQUIRE(mkdir((path + ".tmp").c_str(), 0755) == 0);
    Status s = collect::write_round_textfile(r.report, path);
    CHECK(s.code() == StatusCode::kInternal);
    CHECK(s.message().find("open " + path + ".tmp") != std::string::npos);
  }
  SECTION("the file is a directory that cannot be replaced") {
    std::string target = sub + "/taken.prom";
    REQUIRE(mkdir(target.c_str(), 0755) == 0);
    REQUIRE(mkdir((target + "/x").c_str(), 0755) == 0);
    Status s = collect::write_round_textfile(r.report, target);
    CHECK_FALSE(s.is_ok());
    CHECK(s.message().find("rename " + target + ".tmp") != std::string::npos);
    CHECK_FALSE(test::try_read_file(target + ".tmp").has_value());  // removed again
  }
  CHECK(test::read_file(path) == previous);
  CHECK(previous.find("agent=\"bad\"") == std::string::npos);
}
