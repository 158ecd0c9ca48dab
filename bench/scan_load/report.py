"""The figures of a run, printed one per line against their targets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from bench.scan_load.measure import percentile


@dataclass(frozen=True)
class Measured:
    scans: int
    result: dict[str, Any]  # the load process's answer (`load.load_scans`)
    raw: dict[str, Any]  # the baseline's (`calls.raw_pairs`)
    stats: dict[str, Any]  # the fake provider's
    cpu: dict[str, float]  # CPU seconds of each process during the load
    servers: dict[str, float]  # CPU seconds of each shared server during the load
    idle_rss: int  # the AI worker's RSS after the warm-up, KiB
    peak_rss: int  # its peak during the load, KiB
    load_before: float  # the 1-minute load average before the load


def line(label: str, text: str) -> None:
    print(f"{label:28s} {text}", flush=True)


def report(m: Measured) -> bool:
    """Print the figures; whether the targets were met."""
    result, raw, scans = m.result, m.raw, m.scans
    latencies: list[float] = result["latencies"]
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    share = result["completed"] / scans
    line(
        "completed",
        f"{result['completed']}/{scans} ({share:.1%}, target 100%)"
        f"  by status {result['statuses']}  checked by GET {result['verified']}",
    )
    if result["errors"]:
        line("submit errors", f"{result['errors']}: {result['first_errors']}")
    if result["seen_by_poll"]:
        line("finished seen by polling", str(result["seen_by_poll"]))
    line(
        "completion rate",
        f"{result['completed'] / result['elapsed']:.1f} scans/s"
        f" (all submitted in {result['submitted_in']:.2f} s, done in"
        f" {result['elapsed']:.1f} s)",
    )
    sub = result["submit_latencies"]
    line(
        "submit (POST -> 202)",
        f"p50 {percentile(sub, 0.5) * 1000:.0f} ms  p95 {percentile(sub, 0.95) * 1000:.0f} ms",
    )
    line(
        "pipeline submit->completed",
        f"p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(latencies, default=float('nan')):.2f} s"
        f"  (target p95 <= 12 s)",
    )
    line(
        "raw vision+answer pairs",
        f"p50 {raw['p50']:.2f} s  p95 {raw['p95']:.2f} s  max {raw['max']:.2f} s"
        f"  ok {raw['ok']}  errors {raw['errors']} {raw['first_error']}",
    )
    line("pipeline p95 / raw p95", f"{p95 / raw['p95']:.2f}")
    line(
        "stages p50/p95 (s)",
        "  ".join(f"{k} {a:.2f}/{b:.2f}" for k, (a, b) in result["stages"].items()),
    )
    stats = m.stats
    line(
        "fake provider calls",
        f"vision {stats['vision']}, answer {stats['answer']}, peak concurrent {stats['peak']}",
    )
    in_flight = max(result["peak_in_flight"], 1)
    per_scan = (m.peak_rss - m.idle_rss) / in_flight
    line(
        "AI worker memory",
        f"idle RSS {m.idle_rss / 1024:.1f} MiB, peak {m.peak_rss / 1024:.1f} MiB,"
        f" peak in-flight scans {result['peak_in_flight']}"
        f" -> {per_scan:.1f} KiB per in-flight scan (target <= 100)",
    )
    line("load average", f"before {m.load_before:.1f}, after {os.getloadavg()[0]:.1f} (1 min)")
    total = sum(m.cpu.values())
    line(
        "CPU seconds (submit to done)",
        ", ".join(f"{name} {seconds:.1f}" for name, seconds in m.cpu.items())
        + f"; total {total:.1f} = {total / scans * 1000:.1f} ms per scan",
    )
    line(
        "  shared servers",
        ", ".join(f"{name} {seconds:.1f}" for name, seconds in m.servers.items())
        + " (every process of each server, other users' load included)",
    )
    ok = share == 1.0 and p95 <= 12.0 and per_scan <= 100.0
    line("targets", "met" if ok else "NOT met")
    return ok
