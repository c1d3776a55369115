#!/usr/bin/env python3
"""bench/latency/measure.py: the timing side of bench/latency/run.

Writes journal entries at a steady rate into each host's journal file through its own
systemd-journal-remote (export format on stdin, as make-journal does), and watches where each
entry shows up: a row on the replica (a query every 50 ms through the mariadb client) and an
`entry` event on serve's /api/live stream; with --page-file, also the row in the live page's
DOM in Chromium (recorded by page.mjs). Each entry's MESSAGE is "lat HOST SEQ"; its
__REALTIME_TIMESTAMP is the moment it is handed to journal-remote, so every latency is measured
from the journal write, on one clock. Prints one JSON object with the samples' percentiles.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time


def now_us():
    return time.time_ns() // 1000


def export_entry(host, seq, ts, boot):
    msg = f"lat {host} {seq}"
    return (f"__REALTIME_TIMESTAMP={ts}\n__MONOTONIC_TIMESTAMP={seq}\n_BOOT_ID={boot}\n"
            f"_HOSTNAME={host}\nPRIORITY=6\n_SYSTEMD_UNIT=bench.service\n"
            f"SYSLOG_IDENTIFIER=bench\nMESSAGE={msg}\n\n").encode()


class Writer(threading.Thread):
    """One host: a journal-remote process and a steady stream of entries into it."""

    def __init__(self, host, path, rate, journal_remote, written):
        super().__init__(daemon=True)
        self.host, self.rate, self.written = host, rate, written
        self.boot = os.urandom(16).hex()
        self.proc = subprocess.Popen([journal_remote, "--split-mode=none", "--output=" + path, "-"],
                                     stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.seq = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def write_one(self):
        self.seq += 1
        ts = now_us()
        self.proc.stdin.write(export_entry(self.host, self.seq, ts, self.boot))
        self.proc.stdin.flush()
        with self.lock:
            self.written[(self.host, self.seq)] = ts

    def run(self):
        period = 1.0 / self.rate
        # Staggered starts, so that the hosts do not all write in the same millisecond.
        next_t = time.monotonic() + period * (hash(self.host) % 1000) / 1000
        while not self.stop.is_set():
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.write_one()
            next_t += period

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def replica_watch(args, seen, stop):
    """Polls the replica every 50 ms for new bench rows; records when each is first seen."""
    p = subprocess.Popen(["mariadb", "--defaults-file=" + args.replica_cnf, "-N", "-B", "-n",
                          args.database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    since = args.start_us
    while not stop.is_set():
        p.stdin.write(f"SELECT realtime_us, message FROM entries WHERE realtime_us > {since} "
                      "AND unit = 'bench.service'; SELECT 'EOQ';\n")
        p.stdin.flush()
        t = now_us()
        while True:
            line = p.stdout.readline()
            if not line or line.strip() == "EOQ":
                break
            rt, msg = line.rstrip("\n").split("\t", 1)
            parts = msg.split(" ")
            if len(parts) == 3 and parts[0] == "lat":
                seen.setdefault((parts[1], int(parts[2])), t)
        # Rows of one host come in order, but another host's may still be older: look back.
        since = max(since, now_us() - 30_000_000)
        time.sleep(0.05)
    p.stdin.close()
    p.wait()


def sse_watch(args, seen, stop, lags):
    """Reads serve's /api/live for the bench unit; records when each entry event arrives."""
    while not stop.is_set():
        try:
            c = http.client.HTTPConnection("127.0.0.1", args.serve_port, timeout=5)
            c.request("GET", "/api/live?unit=bench.service")
            r = c.getresponse()
            if r.status != 200:
                time.sleep(0.5)
                continue
            event, data = None, None
            while not stop.is_set():
                line = r.fp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "":
                    if event == "entry" and data:
                        t = now_us()
                        e = json.loads(data)
                        parts = str(e.get("message", "")).split(" ")
                        if len(parts) == 3 and parts[0] == "lat":
                            seen.setdefault((parts[1], int(parts[2])), t)
                    elif event == "lag" and data:
                        lags.append(json.loads(data))
                    event, data = None, None
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)


ENTRY_MESSAGE = re.compile(r"^lat (\S+) (\d+)")


class PageRows:
    """The rows bench/latency/page.mjs saw inserted into the live page's DOM (JSON lines
    {"m": message, "t": insert_ms, "f": frame_ms}, wall clock); read as the file grows."""

    def __init__(self, path):
        self.path, self.offset, self.partial = path, 0, ""
        self.dom, self.frame = {}, {}

    def read(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
        except FileNotFoundError:
            return
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()  # an incomplete last line waits for the next read
        for line in lines:
            if not line:
                continue
            r = json.loads(line)
            m = ENTRY_MESSAGE.match(str(r.get("m", "")))
            if not m:
                continue
            key = (m.group(1), int(m.group(2)))
            self.dom.setdefault(key, int(r["t"] * 1000))
            if r.get("f") is not None:
                self.frame.setdefault(key, int(r["f"] * 1000))


def percentiles(values):
    if not values:
        return {"n": 0}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]
    return {"n": len(v), "p50_ms": pick(0.50) / 1000, "p95_ms": pick(0.95) / 1000,
            "p99_ms": pick(0.99) / 1000, "max_ms": v[-1] / 1000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--journals", required=True, help="directory of HOST.journal files")
    ap.add_argument("--hosts", required=True, help="comma-separated host names")
    ap.add_argument("--rate", type=float, default=10, help="entries per second per host")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--settle", type=float, default=5, help="seconds to wait for stragglers")
    ap.add_argument("--replica-cnf", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--serve-port", type=int, required=True)
    ap.add_argument("--journal-remote", default="/lib/systemd/systemd-journal-remote")
    ap.add_argument("--page-file",
                    help="rows of the live page in Chromium, appended by page.mjs (optional)")
    ap.add_argument("--go-file", required=True,
                    help="after one entry per host (HOST.journal exists, and PRIMED beside this "
                         "file), waits for this file before measuring")
    args = ap.parse_args()
    hosts = args.hosts.split(",")
    written = {}
    writers = [Writer(h, os.path.join(args.journals, h + ".journal"), args.rate, args.journal_remote,
                      written) for h in hosts]
    for w in writers:
        w.write_one()
    written.clear()  # the priming entries are not measured
    open(args.go_file + ".primed", "w").close()
    while not os.path.exists(args.go_file):
        time.sleep(0.1)
    args.start_us = now_us()
    on_replica, on_sse, lags = {}, {}, []
    stop = threading.Event()
    watchers = [threading.Thread(target=replica_watch, args=(args, on_replica, stop), daemon=True),
                threading.Thread(target=sse_watch, args=(args, on_sse, stop, lags), daemon=True)]
    for t in watchers:
        t.start()
    time.sleep(2)  # the stream is open before the first write
    for w in writers:
        w.start()
    time.sleep(args.duration)
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join()
    page = PageRows(args.page_file) if args.page_file else None
    def page_done():
        if page is None:
            return True
        page.read()
        return all(k in page.dom for k in written)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline and (len(on_replica) < len(written) or len(on_sse) < len(written)
                                           or not page_done()):
        time.sleep(0.1)
    stop.set()
    for w in writers:
        w.close()
    rep = [on_replica[k] - t for k, t in written.items() if k in on_replica]
    sse = [on_sse[k] - t for k, t in written.items() if k in on_sse]
    # serve's own part: from the benchmark's first sight of the row on the replica to the event
    # (negative when the event beat the benchmark's 50 ms poll).
    serve_part = [on_sse[k] - on_replica[k] for k in written if k in on_sse and k in on_replica]
    out = {"written": len(written), "replica": percentiles(rep), "sse": percentiles(sse),
           "replica_to_sse": percentiles(serve_part),
           "missing_replica": len(written) - len(rep), "missing_sse": len(written) - len(sse),
           "rate_per_host": args.rate, "hosts": len(hosts), "duration_s": args.duration,
           "lag_events": len(lags),
           "lag_last": lags[-1] if lags else None}
    if page is not None:
        page.read()
        dom = [page.dom[k] - t for k, t in written.items() if k in page.dom]
        out["page"] = percentiles(dom)
        out["page_frame"] = percentiles([page.frame[k] - t for k, t in written.items() if k in page.frame])
        # The browser's own part: from the Python client's sight of the event to the row in the
        # DOM (both streams get the event from serve at the same time).
        out["sse_to_page"] = percentiles([page.dom[k] - on_sse[k] for k in written
                                          if k in page.dom and k in on_sse])
        out["missing_page"] = len(written) - len(dom)
        out["page_rows_not_written"] = len([k for k in page.dom if k not in written])
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
