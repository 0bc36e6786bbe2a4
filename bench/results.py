"""One way to report a benchmark figure: a median over repeated runs with min and max beside
it, and where there is one, the ratio against a baseline measured in the same invocation."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class Figure:
    benchmark: str  # e.g. "write_path/audit-service"
    metric: str  # e.g. "req/s", "p99 ms"
    runs: list[float]
    target: str = ""  # e.g. ">= 0.8x baseline", "<= 50 ms"
    baseline_runs: list[float] = field(default_factory=list)
    met: bool | None = None  # whether the target is met (None: no target)
    note: str = ""  # why there are no runs ("skipped: ports in use"), or what to know

    @property
    def skipped(self) -> bool:
        """No runs: the benchmark did not measure this (the note says why)."""
        return not self.runs

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def ratio(self) -> float | None:
        if not self.baseline_runs or self.skipped:
            return None
        base = statistics.median(self.baseline_runs)
        return self.median / base if base else None

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out |= {
            "median": None if self.skipped else self.median,
            "min": min(self.runs, default=None),
            "max": max(self.runs, default=None),
            "ratio": self.ratio,
        }
        if self.baseline_runs:
            out["baseline_median"] = statistics.median(self.baseline_runs)
        return out


def table(figures: list[Figure]) -> str:
    rows = [
        (
            "benchmark",
            "metric",
            "median",
            "min",
            "max",
            "baseline",
            "ratio",
            "target",
            "met",
            "note",
        )
    ]
    for f in figures:
        base = f"{statistics.median(f.baseline_runs):.1f}" if f.baseline_runs else ""
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "NO")
        if f.skipped:
            median = low = high = "-"
        else:
            median, low, high = (f"{v:.1f}" for v in (f.median, min(f.runs), max(f.runs)))
        rows.append((f.benchmark, f.metric, median, low, high, base, ratio, f.target, met, f.note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def write_latest(figures: list[Figure], path: Path = RESULTS / "latest.json") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([f.as_json() for f in figures], indent=2))
