#!/usr/bin/env python3
"""Turns a recorded series (deploy/prometheus/recorded/*.csv) into promtool input_series: one
sample per `interval` seconds, the last recorded value at or before it (what a scrape would have
stored). Prints the YAML lines and the second of the first failure.

With --csv it makes that CSV from a raw recording instead: the `.series` file a lead test writes
with TIMEWAIT_RECORD_SERIES=DIR ("# t=S failed=BOOL" lines, each followed by the exporter's lines
of that scrape); the CSV's comment lines are to be added above it."""
import csv
import sys


def main(path, netns="lab", interval=1.0):
    rows = [r for r in csv.DictReader(l for l in open(path) if not l.startswith("#"))]
    end = float(rows[-1]["t"])
    first_failure = next(float(r["t"]) for r in rows if r["failed"] == "1")
    cols = [c for c in rows[0] if c not in ("t", "failed")]
    for col in cols:
        kind, pool = col.rsplit("_", 1)
        metric = {"level": "timewait_port_pool_worst_level",
                  "exhausted": "timewait_port_pools_exhausted"}[kind]
        values, i, t = [], 0, 0.0
        while t <= end:
            while i + 1 < len(rows) and float(rows[i + 1]["t"]) <= t:
                i += 1
            values.append(rows[i][col] if float(rows[i]["t"]) <= t else "_")
            t += interval
        print(f"      - series: '{metric}{{netns=\"{netns}\",pool=\"{pool}\"}}'")
        print(f"        values: '{' '.join(values)}'")
    print(f"# first failure at {first_failure} s")


POOLS = ("tuple", "bind")
METRICS = {"level": "timewait_port_pool_worst_level", "exhausted": "timewait_port_pools_exhausted"}


def series_to_csv(path):
    print("t,failed," + ",".join(f"{k}_{p}" for k in METRICS for p in POOLS))
    row = None

    def flush():
        if row is not None:
            print(",".join([row["t"], row["failed"]] +
                           [row.get(f"{k}_{p}", "0") for k in METRICS for p in POOLS]))

    for line in open(path):
        if line.startswith("# t="):
            flush()
            t, failed = line[2:].split()
            row = {"t": t[2:], "failed": "1" if failed == "failed=true" else "0"}
            continue
        for kind, metric in METRICS.items():
            if line.startswith(metric + "{") and row is not None:
                pool = line.split('pool="', 1)[1].split('"', 1)[0]
                value = str(int(float(line.rsplit(" ", 1)[1])))
                key = f"{kind}_{pool}"
                # One namespace is recorded; more would be summed (exhausted) or the worst (level).
                old = int(row.get(key, "0"))
                row[key] = str(old + int(value) if kind == "exhausted" else max(old, int(value)))
    flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--csv"]:
        series_to_csv(sys.argv[2])
    else:
        main(*sys.argv[1:2])
