#!/usr/bin/env python3
"""Turns a recorded series (deploy/prometheus/recorded/*.csv) into promtool input_series: one
sample per `interval` seconds, the last recorded value at or before it (what a scrape would have
stored). Prints the YAML lines and the second of the first failure."""
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


if __name__ == "__main__":
    main(*sys.argv[1:2])
