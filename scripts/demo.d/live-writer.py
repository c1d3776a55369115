#!/usr/bin/python3
"""live-writer: keeps writing new entries into the demo VMs' journals while the demo runs.

Each VM's journal gets entries stamped with the current time, at an uneven rate (a slow wave
over ten minutes, random gaps), from the services a web or database VM runs (sshd, nginx,
cron, postgresql, docker, the kernel), with the units make-journal's history has. Now and then
one VM has a burst of errors (nginx upstream timeouts, postgresql out of connections), and rarely
a hostile entry (HTML in the message, a binary field) that must stay text.

Each burst is sized so that the dashboard's anomaly detection flags its hour: at the start the
writer counts each (VM, unit)'s entries and errors per hour in the journals (the history
make-journal wrote, and earlier runs' live entries), adds what it writes, and applies the
dashboard's rule (include/infralogs/dashboard/anomalies.h, the AnomalyOptions defaults: the
baseline is the 24 hours before the hour, none before the pair's first hour, and spans 12 or
more; the hour is flagged when errors >= 20, >= 3 x the baseline's mean and >= mean + 4 x
max(stddev, 1)). A burst goes to a (VM, unit) pair with such a baseline and writes errors until
its hour holds 1.25 x that threshold plus 5 (more if the hour turns during the burst: the new
hour has its own threshold). The first burst starts --first-burst seconds after the start and
lasts 10 s; the next ones follow every --burst-every seconds on average and last 10-30 s. When
no pair has 12 hours of history (a short --entries), bursts are 0-3 errors a tenth of a second
and the log says that the dashboard cannot flag them.

The entries go, in the Journal Export Format, into one systemd-journal-remote per VM that
appends to the VM's active journal file, as make-journal wrote it; journal-remote rotates the
file when it fills, in the same directory, so the agent serving that directory keeps reading.
Each VM's entries continue its machine ID (from make-journal's manifest) in a new boot, as
after a reboot.

usage: live-writer.py --manifest M --journal HOST=FILE... [--rate R] [--burst-every S]
                      [--first-burst S] [--seed N] [--status FILE]
Stops on SIGTERM or SIGINT: journal-remote finishes its files and exits. Every minute one line
on stderr says how many entries (and errors) were written; --status FILE holds the running
totals as JSON ({"entries": N, "errors": E, "bursts": B, "flaggable_bursts": F,
"last_burst": {...}}) for tests; each burst logs one line when it starts ("error burst": host,
unit, the hour's baseline mean, threshold and target) and one when it ends ("burst done").
"""

import argparse
import glob
import json
import math
import os
import random
import signal
import struct
import subprocess
import sys
import time

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
HOUR_USEC = 3600 * 1000000

# The dashboard's anomaly rule: AnomalyOptions in include/infralogs/dashboard/anomalies.h.
BASELINE_HOURS, MIN_BASELINE_HOURS, MIN_COUNT, MIN_RATIO, MIN_SCORE = 24, 12, 20, 3.0, 4.0
# A burst aims this far above the rule's threshold (the hour's count must stay above it).
BURST_MARGIN, BURST_EXTRA = 1.25, 5
BURST_UNITS = ["nginx.service", "postgresql.service"]

# (unit, identifier, comm, exe, weight): what runs on a demo VM, and how chatty it is.
SERVICES = [
    ("nginx.service", "nginx", "nginx", "/usr/sbin/nginx", 40),
    ("sshd.service", "sshd", "sshd", "/usr/sbin/sshd", 12),
    ("cron.service", "CRON", "cron", "/usr/sbin/cron", 6),
    ("postgresql.service", "postgres", "postgres", "/usr/lib/postgresql/15/bin/postgres", 18),
    ("docker.service", "dockerd", "dockerd", "/usr/bin/dockerd", 10),
    (None, "kernel", None, None, 4),
]
PATHS = ["/api/v1/orders", "/api/v1/users/42", "/healthz", "/static/app.js", "/login", "/api/v1/cart"]
USERS = ["deploy", "ansible", "alice", "bob"]


def ip(rng, private=True):
    if private:
        return f"10.0.{rng.randrange(0, 8)}.{rng.randrange(2, 250)}"
    return f"203.0.113.{rng.randrange(1, 254)}"


def message(rng, ident, now):
    """A (priority, message) pair for a normal entry of the service `ident`."""
    r = rng.random()
    if ident == "nginx":
        if r < 0.97:
            status = rng.choices([200, 200, 200, 304, 301, 404, 499], k=1)[0]
            return 6, (f'{ip(rng)} - - "{rng.choice(["GET", "GET", "POST"])} {rng.choice(PATHS)} HTTP/1.1" '
                       f"{status} {rng.randrange(120, 40000)} rt={rng.random() * 0.3:.3f}")
        return 4, f"limiting requests, excess: {rng.random() * 5:.3f} by zone \"api\", client: {ip(rng, False)}"
    if ident == "sshd":
        if r < 0.5:
            return 6, (f"Accepted publickey for {rng.choice(USERS)} from {ip(rng)} port "
                       f"{rng.randrange(30000, 65000)} ssh2: ED25519 SHA256:{os.urandom(8).hex()}")
        if r < 0.8:
            return 6, f"Invalid user {rng.choice(['admin', 'test', 'oracle', 'ubnt'])} from {ip(rng, False)} port {rng.randrange(30000, 65000)}"
        return 5, f"Disconnected from authenticating user root {ip(rng, False)} port {rng.randrange(30000, 65000)} [preauth]"
    if ident == "CRON":
        return 6, rng.choice(["(root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
                              "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                              "(postgres) CMD (/usr/local/bin/pg-backup --incremental)"])
    if ident == "postgres":
        if r < 0.9:
            return 6, rng.choice([f"LOG:  checkpoint complete: wrote {rng.randrange(10, 3000)} buffers",
                                  "LOG:  automatic vacuum of table \"shop.public.orders\": index scans: 1",
                                  f"LOG:  duration: {rng.randrange(200, 2500)}.{rng.randrange(100, 999)} ms  statement: SELECT ..."])
        return 4, "WARNING:  could not send data to client: Broken pipe"
    if ident == "dockerd":
        return 6, (f'time="{time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))}Z" level=info '
                   f'msg="Container {os.urandom(6).hex()} health status changed to healthy"')
    return 4, f"TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies."


def poisson(rng, mean):
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def burst_message(rng, unit):
    if unit == "nginx.service":
        return 3, (f"[error] upstream timed out (110: Connection timed out) while reading response header "
                   f"from upstream, client: {ip(rng)}, request: \"GET {rng.choice(PATHS)} HTTP/1.1\"")
    return 3, "FATAL:  remaining connection slots are reserved for non-replication superuser connections"


def field(name, value):
    """One export-format field: text as NAME=VALUE, anything else in the binary form."""
    data = value if isinstance(value, bytes) else str(value).encode()
    if b"\n" in data or any(b < 0x20 and b != 0x09 for b in data):
        return name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return name.encode() + b"=" + data + b"\n"


class Hours:
    """Entries and errors per (host, unit) and hour (index since the epoch), as the dashboard's
    rollups count them: PRIORITY 0..3 is an error, the unit is _SYSTEMD_UNIT."""

    def __init__(self):
        self.series = {}  # (host, unit) -> {hour: [entries, errors]}

    def add(self, host, unit, usec, priority):
        cell = self.series.setdefault((host, unit), {}).setdefault(usec // HOUR_USEC, [0, 0])
        cell[0] += 1
        if priority <= 3:
            cell[1] += 1

    def errors(self, key, hour):
        return self.series.get(key, {}).get(hour, [0, 0])[1]

    def threshold(self, key, hour):
        """(threshold, baseline mean): the fewest errors in `hour` the dashboard flags for the
        pair, or None when the pair has no baseline of MIN_BASELINE_HOURS hours."""
        s = self.series.get(key)
        if not s:
            return None
        start = max(hour - BASELINE_HOURS, min(s))
        if hour < start + MIN_BASELINE_HOURS:
            return None
        values = [s.get(h, [0, 0])[1] for h in range(start, hour)]
        mean = sum(values) / len(values)
        sd = math.sqrt(max(0.0, sum(v * v for v in values) / len(values) - mean * mean))
        need = max(MIN_COUNT, MIN_RATIO * mean, mean + MIN_SCORE * max(sd, 1.0))
        return math.ceil(need), mean


def read_history(hours, name, path, now_usec):
    """Counts the entries of BURST_UNITS in `name`'s journal directory (every *.journal beside
    `path`) from one hour before the baseline of the current hour on."""
    files = sorted(glob.glob(os.path.join(os.path.dirname(path) or ".", "*.journal")))
    if not files:
        return 0
    since = (now_usec // HOUR_USEC - BASELINE_HOURS - 1) * HOUR_USEC
    cmd = ["journalctl", "-q", "-o", "json", "--output-fields=_SYSTEMD_UNIT,PRIORITY",
           f"--since=@{since // 1000000}"]
    for f in files:
        cmd += ["--file", f]
    cmd += [f"_SYSTEMD_UNIT={u}" for u in BURST_UNITS]  # the pairs a burst can go to
    n = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        for line in proc.stdout:
            try:
                e = json.loads(line)
                usec = int(e["__REALTIME_TIMESTAMP"])
                priority = int(e.get("PRIORITY", 6))
            except (ValueError, KeyError, TypeError):
                continue
            unit = e.get("_SYSTEMD_UNIT")
            if isinstance(unit, str):
                hours.add(name, unit, usec, priority)
                n += 1
    return n


class Host:
    def __init__(self, name, machine_id, path, rng):
        self.name = name
        self.machine_id = machine_id
        self.boot_id = os.urandom(16).hex()
        self.boot_usec = int(time.time() * 1e6) - rng.randrange(30, 300) * 1000000
        self.pids = {}
        self.rng = rng
        self.proc = subprocess.Popen(
            [JOURNAL_REMOTE, "--split-mode=none", f"--output={path}", "-"],
            stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def write(self, unit, ident, comm, exe, priority, text, extra=()):
        """Writes one entry; returns its realtime in µs."""
        now = time.time()
        usec = int(now * 1e6)
        parts = [field("__REALTIME_TIMESTAMP", usec),
                 field("__MONOTONIC_TIMESTAMP", usec - self.boot_usec),
                 field("_BOOT_ID", self.boot_id), field("_MACHINE_ID", self.machine_id),
                 field("_HOSTNAME", self.name), field("PRIORITY", priority),
                 field("SYSLOG_IDENTIFIER", ident), field("MESSAGE", text)]
        if unit is None:
            parts += [field("_TRANSPORT", "kernel"), field("SYSLOG_FACILITY", 0)]
        else:
            pid = self.pids.setdefault(ident, self.rng.randrange(300, 60000))
            parts += [field("_TRANSPORT", "syslog" if ident in ("sshd", "CRON") else "stdout"),
                      field("_PID", pid), field("_UID", 0), field("_GID", 0), field("_COMM", comm),
                      field("_EXE", exe), field("_SYSTEMD_UNIT", unit),
                      field("_SYSTEMD_SLICE", "system.slice"), field("SYSLOG_FACILITY", 3)]
        parts += [field(k, v) for k, v in extra]
        self.proc.stdin.write(b"".join(parts) + b"\n")
        self.proc.stdin.flush()
        return usec

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--manifest", required=True, help="make-journal's OUTPUT.manifest.json")
    p.add_argument("--journal", action="append", required=True, metavar="HOST=FILE",
                   help="the active journal file of HOST (appended to)")
    p.add_argument("--rate", type=float, default=2.0, help="mean entries per second per VM (default 2)")
    p.add_argument("--burst-every", type=float, default=240.0,
                   help="mean seconds between error bursts on some VM (default 240)")
    p.add_argument("--first-burst", type=float, default=5.0,
                   help="seconds from the start to the first error burst (default 5)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    p.add_argument("--status", help="file to hold the running totals as JSON")
    a = p.parse_args()
    if a.rate <= 0 or a.burst_every <= 0 or a.first_burst < 0:
        p.error("--rate and --burst-every must be positive, --first-burst not negative")

    rng = random.Random(a.seed)
    with open(a.manifest, encoding="utf-8") as f:
        ids = {h["hostname"]: h["machine_id"] for h in json.load(f)["hosts"]}
    specs = []
    for spec in a.journal:
        name, sep, path = spec.partition("=")
        if not sep or name not in ids:
            p.error(f"--journal {spec}: want HOST=FILE with HOST in the manifest")
        specs.append((name, path))
    # What the journals hold, read before journal-remote appends to them.
    hours = Hours()
    t0 = time.time()
    counted = sum(read_history(hours, name, path, int(t0 * 1e6)) for name, path in specs)
    print(json.dumps({"msg": "history counted", "entries": counted,
                      "seconds": round(time.time() - t0, 2)}), file=sys.stderr, flush=True)
    hosts = [Host(name, ids[name], path, rng) for name, path in specs]

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    weights = [s[4] for s in SERVICES]
    totals = {"entries": 0, "errors": 0, "bursts": 0, "flaggable_bursts": 0, "last_burst": None}
    minute = {"entries": 0, "errors": 0}
    start = time.time()
    next_report = start + 60
    next_burst = start + a.first_burst
    next_hostile = start + rng.uniform(60, 600)
    burst = None  # dict: host, unit, until, hour, target (None: no baseline), written
    phases = [rng.uniform(0, 2 * math.pi) for _ in hosts]

    def record(host, unit, usec, priority):
        if unit is not None:
            hours.add(host.name, unit, usec, priority)
        totals["entries"] += 1
        minute["entries"] += 1
        if priority <= 3:
            totals["errors"] += 1
            minute["errors"] += 1

    while not stop:
        now = time.time()
        # Each VM's rate drifts on a ten-minute wave; arrivals are random (Poisson).
        for i, h in enumerate(hosts):
            rate = a.rate * (1 + 0.7 * math.sin(2 * math.pi * (now - start) / 600 + phases[i]))
            for _ in range(poisson(rng, rate * 0.1)):
                unit, ident, comm, exe, _ = rng.choices(SERVICES, weights=weights, k=1)[0]
                prio, text = message(rng, ident, now)
                record(h, unit, h.write(unit, ident, comm, exe, prio, text), prio)
        if burst is None and now >= next_burst:
            hour = int(now * 1e6) // HOUR_USEC
            pairs = [(h, u) for h in hosts for u in BURST_UNITS]
            flaggable = [pr for pr in pairs if hours.threshold((pr[0].name, pr[1]), hour)]
            host, unit = rng.choice(flaggable or pairs)
            first = totals["bursts"] == 0
            burst = {"host": host, "unit": unit, "start": now, "hour": None, "target": None,
                     "until": now + (10 if first else rng.uniform(10, 30)), "written": 0}
            totals["bursts"] += 1
            line = {"msg": "error burst", "host": host.name, "unit": unit}
            if flaggable:
                totals["flaggable_bursts"] += 1
                need, mean = hours.threshold((host.name, unit), hour)
                line.update(hour=hour * HOUR_USEC, baseline=round(mean, 1), threshold=need,
                            target=math.ceil(need * BURST_MARGIN) + BURST_EXTRA)
            else:
                line["note"] = ("no (VM, unit) pair has 12 hours of history:"
                                " the dashboard cannot flag this burst")
            print(json.dumps(line), file=sys.stderr, flush=True)
        if burst is not None:
            host, unit = burst["host"], burst["unit"]
            key = (host.name, unit)
            service = next(s for s in SERVICES if s[0] == unit)
            hour = int(now * 1e6) // HOUR_USEC
            if burst["hour"] != hour:  # the start, or the hour turned: its own threshold
                burst["hour"] = hour
                t = hours.threshold(key, hour)
                burst["target"] = None if t is None else math.ceil(t[0] * BURST_MARGIN) + BURST_EXTRA
            if burst["target"] is None:
                n = rng.randrange(0, 4)
                done = now >= burst["until"]
            else:
                # Spread what the hour still lacks over the ticks left (at least 2 a tick).
                lack = burst["target"] - hours.errors(key, hour)
                ticks = max(1, int((burst["until"] - now) * 10))
                n = max(0, min(lack, max(2, math.ceil(lack / ticks)) + rng.randrange(0, 2)))
                # Done when the hour holds the target, after the planned end (the hour may
                # turn meanwhile and need more); never more than a minute past it.
                done = (lack - n <= 0 and now >= burst["until"]) or now >= burst["until"] + 60
            for _ in range(n):
                prio, text = burst_message(rng, unit)
                record(host, unit, host.write(unit, service[1], service[2], service[3], prio, text), prio)
            burst["written"] += n
            if done:
                info = {"host": host.name, "unit": unit, "errors": burst["written"],
                        "hour": hour * HOUR_USEC, "hour_errors": hours.errors(key, hour),
                        "target": burst["target"], "seconds": round(now - burst["start"], 1)}
                totals["last_burst"] = info
                print(json.dumps({"msg": "burst done", **info}), file=sys.stderr, flush=True)
                burst = None
                next_burst = now + rng.expovariate(1 / a.burst_every)
        if now >= next_hostile:
            h = rng.choice(hosts)
            usec = h.write("nginx.service", "nginx", "nginx", "/usr/sbin/nginx", 4,
                           '<script>alert("live")</script> <img src=x onerror=alert(1)> \'; DROP TABLE entries; --',
                           extra=[("PAYLOAD", b"\x00\x01\xff binary\r\n")])
            record(h, "nginx.service", usec, 4)
            next_hostile = now + rng.uniform(300, 900)
        if now >= next_report:
            print(json.dumps({"msg": "written", "entries": minute["entries"], "errors": minute["errors"],
                              "seconds": 60}), file=sys.stderr, flush=True)
            minute = {"entries": 0, "errors": 0}
            next_report = now + 60
        if a.status:
            tmp = a.status + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(totals, f)
            os.replace(tmp, a.status)
        time.sleep(0.1)
    for h in hosts:
        h.close()
    print(json.dumps({"msg": "stopped", **totals}), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
