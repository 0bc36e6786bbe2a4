"""Demo benchmark reference data for `deploy/local/demo.py`, through reporting-service's
`POST /v1/benchmarks` with a `reports:admin` token.

`deploy/local/demo/benchmarks-synthetic.csv` is SYNTHETIC: made up by this script from a
seeded generator, not DfE's published figures. It has every benchmarked measure for the
years `YEARS`: England, the South East and London, and 30 LAs (Kent and Medway, their
statistical neighbours, other South East authorities), enough for quartile bands. Its
label is its file name and `deploy/local/demo/README.md` (the CSV's columns are the
contract's; there is no room for one in the file).

`python deploy/local/demo_benchmarks.py --regenerate` writes it again, byte for byte the
same."""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

import httpx

from qaf_shared import devtoken

REPORTS = os.environ.get("QA_DEMO_REPORTS_URL", "http://127.0.0.1:8004")
FILE = Path(__file__).parent / "demo" / "benchmarks-synthetic.csv"
YEARS = (2024, 2025)
SEED = 20_251_125
ENGLAND, SOUTH_EAST, LONDON = "E92000001", "E12000008", "E12000007"
# Kent, Medway, their neighbours (DOMAIN.md) and more of the South East.
LAS = sorted(
    {
        "886", "887",
        "881", "845", "878", "303", "935", "926", "891", "938", "822", "933",
        "866", "332", "883", "351", "384",
        "825", "826", "846", "850", "851", "852", "867", "868", "869", "870", "871", "872",
        "921",
    }
)  # fmt: skip
# Each measure's typical figure and spread across authorities (made up, of a plausible size).
MEASURES = {
    "re_referrals_12m_pct": (22.0, 5.0),
    "cp_second_or_subsequent_pct": (23.0, 5.0),
    "cp_open_2y_plus_at_end": (12.0, 6.0),
    "cla_3plus_placements_12m_pct": (10.0, 2.5),
    "assessments_within_45wd_pct": (82.0, 9.0),
    "icpc_within_15wd_pct": (78.0, 11.0),
    "cp_reviews_on_time_pct": (92.0, 5.0),
    "cla_reviews_on_time_pct": (88.0, 6.0),
    "visits_on_time_pct.CIN": (75.0, 10.0),
    "visits_on_time_pct.CP": (85.0, 8.0),
    "visits_on_time_pct.CLA": (90.0, 5.0),
}


def rows() -> list[tuple[int, str, str, str, str]]:
    """Every figure, as the file's rows: LA figures to one decimal, England's and the
    regions' (DfE rounds them) to whole numbers."""
    rng = random.Random(SEED)
    out: list[tuple[int, str, str, str, str]] = []
    for year in YEARS:
        for measure, (centre, spread) in MEASURES.items():
            top = 100.0 if measure.split(".")[0].endswith("_pct") else 1000.0
            figures = {la: min(top, max(0.0, rng.gauss(centre, spread))) for la in LAS}
            south_east = sum(figures.values()) / len(figures)
            out += [
                (year, ENGLAND, "ENGLAND", measure, f"{round(centre + rng.uniform(-1, 1))}"),
                (year, SOUTH_EAST, "REGION", measure, f"{round(south_east)}"),
                (year, LONDON, "REGION", measure, f"{round(centre + rng.uniform(-3, 3))}"),
            ]
            out += [(year, la, "LA", measure, f"{v:.1f}") for la, v in figures.items()]
    return out


def text() -> str:
    lines = ["year,area_code,area_level,measure,value"]
    lines += [",".join(str(cell) for cell in row) for row in rows()]
    return "\n".join(lines) + "\n"


def load(client: httpx.Client) -> int:
    """Load the shipped file (replacing the years it gives); how many figures it held."""
    token = devtoken.mint(scopes="reports:admin", tenant="886", subject="demo-loader")
    response = client.post(
        f"{REPORTS}/v1/benchmarks",
        content=FILE.read_bytes(),
        headers={
            "Authorization": f"Bearer {token}",
            "X-Actor": "demo-loader",
            "Content-Type": "text/csv",
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"demo: the synthetic benchmark file was refused: {response.text}")
    return int(response.json()["rows"])


def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regenerate", action="store_true", help="write the shipped file again")
    if not parser.parse_args(argv).regenerate:
        parser.error("demo.py loads the demo data; this script only --regenerate's the file")
    FILE.write_text(text())
    print(f"{FILE} ({FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    _main(sys.argv[1:])
