#include "infralogs/collect/round_report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "infralogs/core/log.h"
#include "infralogs/core/metrics.h"
#include "infralogs/core/time.h"

namespace infralogs::collect {
namespace {

constexpr std::string_view kComponent = "collect";
constexpr uint64_t kDayUsec = 86400ULL * 1000000ULL;

uint64_t wall_clock(const RoundOptions& o) { return o.now_usec ? o.now_usec() : now_usec(); }

// The Status of a failed POSIX call on `file`, from errno.
Status io_error(const char* call, const std::string& file) {
  int e = errno;
  std::string msg = std::string(call) + " " + file + ": " + std::strerror(e);
  if (e == EACCES || e == EPERM || e == EROFS) return Status::permission_denied(msg);
  return Status::internal(msg);
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes all of `text` to fd (write() may write less than asked).
bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Writes `text` to `tmp`, fsynced and closed.
Status write_synced(const std::string& tmp, const std::string& text) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open", tmp);
  Status s;
  if (!write_all(fd, text))
    s = io_error("write", tmp);
  else if (::fsync(fd) != 0)
    s = io_error("fsync", tmp);
  // close() reports a deferred write error (NFS) that fsync did not.
  if (::close(fd) != 0 && s.is_ok()) s = io_error("close", tmp);
  return s;
}

void log_agent(const AgentReport& a, uint64_t now) {
  nlohmann::json f = {
      {"agent", a.name},         {"url", a.url},
      {"ok", a.status.is_ok()},  {"entries", a.entries},
      {"bytes", a.bytes},        {"batches", a.batches},
      {"gaps", a.gaps},          {"races", a.races},
      {"seconds", a.seconds},    {"entries_per_s", a.seconds > 0 ? a.entries / a.seconds : 0},
      {"caught_up", a.caught_up}};
  if (a.last_realtime_usec)
    f["lag_s"] = static_cast<double>(now - std::min(now, a.last_realtime_usec)) / 1e6;
  if (!a.status.is_ok()) f["error"] = a.status.message();
  log::write(a.status.is_ok() ? log::Level::kInfo : log::Level::kError, kComponent, "agent done",
             f);
}

void apply_retention(storage::LogStore& store, const RoundOptions& options, uint64_t now) {
  uint64_t keep = static_cast<uint64_t>(options.retain.count()) * kDayUsec;
  auto dropped = store.drop_partitions_before(now > keep ? now - keep : 0);
  if (!dropped)
    log::warn(kComponent, "retention: cannot drop old partitions",
              {{"error", dropped.status().message()}});
  else if (*dropped > 0)
    log::info(kComponent, "retention: dropped day partitions", {{"partitions", *dropped}});
}

}  // namespace

bool RoundReport::all_ok() const {
  for (const auto& a : agents) {
    if (!a.status.is_ok()) return false;
  }
  return true;
}

storage::RunRecord RoundReport::run_record(const std::string& collector) const {
  storage::RunRecord run{collector, started_usec, finished_usec, 0, 0, 0, 0, ""};
  for (const auto& a : agents) {
    run.entries += a.entries;
    run.bytes += a.bytes;
    if (a.status.is_ok()) {
      ++run.agents_ok;
    } else {
      ++run.agents_failed;
      run.summary += a.name + ": " + a.status.message() + "\n";
    }
  }
  return run;
}

std::vector<std::string> RoundReport::failed_agents() const {
  std::vector<std::string> out;
  for (const auto& a : agents) {
    if (!a.status.is_ok())
      out.push_back("FAILED " + a.name + " (" + a.url + "): " + a.status.message());
  }
  return out;
}

RoundReport poll_round(Collector& collector, const std::vector<wire::AgentSpec>& agents,
                       const RoundOptions& options, std::stop_token stop) {
  RoundReport report;
  report.started_usec = wall_clock(options);
  auto t0 = std::chrono::steady_clock::now();
  report.agents = collector.poll_once(agents, stop);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.finished_usec = wall_clock(options);
  return report;
}

void record_round(const RoundReport& report, storage::LogStore& store,
                  const RoundOptions& options) {
  uint64_t now = wall_clock(options);
  for (const auto& a : report.agents) log_agent(a, now);
  storage::RunRecord run = report.run_record(options.collector);
  Status s = store.record_run(run);
  if (s.is_ok()) s = store.heartbeat(options.collector);
  if (!s.is_ok()) log::warn(kComponent, "cannot record the run", {{"error", s.message()}});
  if (options.retain.count() > 0) apply_retention(store, options, now);
  log::info(kComponent, "round done",
            {{"agents_ok", run.agents_ok},
             {"agents_failed", run.agents_failed},
             {"entries", run.entries},
             {"bytes", run.bytes},
             {"seconds", report.seconds}});
}

std::string render_round_metrics(const RoundReport& report) {
  MetricsRegistry r;
  for (const auto& a : report.agents) {
    MetricLabels l = {{"agent", a.name}};
    r.gauge("infralogs_collect_agent_up", "1 when the agent's last round succeeded.", l)
        .set(a.status.is_ok() ? 1 : 0);
    r.gauge("infralogs_collect_agent_entries", "Entries stored from the agent in the last round.",
            l)
        .set(static_cast<double>(a.entries));
    r.gauge("infralogs_collect_agent_bytes", "Bytes received from the agent in the last round.", l)
        .set(static_cast<double>(a.bytes));
    r.gauge("infralogs_collect_agent_gaps", "Gaps recorded for the agent in the last round.", l)
        .set(static_cast<double>(a.gaps));
    r.gauge("infralogs_collect_agent_caught_up", "1 when the last round reached the agent's tail.",
            l)
        .set(a.caught_up ? 1 : 0);
    r.gauge("infralogs_collect_agent_seconds", "Seconds the last round spent on the agent.", l)
        .set(a.seconds);
    r.gauge("infralogs_collect_agent_last_progress_seconds",
            "Seconds since a round last moved the agent's cursor or found it at the tail.", l)
        .set(a.progress_age_seconds);
    r.gauge("infralogs_collect_agent_stalled",
            "1 when the agent said it has more entries but the cursor did not move for "
            "--stall-rounds rounds.",
            l)
        .set(a.stalled ? 1 : 0);
    if (a.last_realtime_usec) {
      r.gauge("infralogs_collect_agent_last_entry_timestamp_seconds",
              "Realtime of the newest entry stored.", l)
          .set(static_cast<double>(a.last_realtime_usec) / 1e6);
    }
  }
  r.gauge("infralogs_collect_run_seconds", "Duration of the last round.").set(report.seconds);
  r.gauge("infralogs_collect_last_run_timestamp_seconds", "When the last round finished.")
      .set(static_cast<double>(report.finished_usec) / 1e6);
  return r.render();
}

Status write_round_textfile(const RoundReport& report, const std::string& path) {
  return write_textfile(path, render_round_metrics(report));
}

Status write_textfile(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  Status s = write_synced(tmp, text);
  if (s.is_ok() && std::rename(tmp.c_str(), path.c_str()) != 0) s = io_error("rename", tmp);
  if (!s.is_ok()) {
    ::unlink(tmp.c_str());  // best effort: the Status already says what failed
    return s;
  }
  // The rename is durable once the directory is; a failure here leaves the new file in place.
  std::string dir = directory_of(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", dir);
  if (::fsync(fd) != 0) s = io_error("fsync", dir);
  ::close(fd);
  return s;
}

}  // namespace infralogs::collect
