"""`python -m reporting_service.rebuild_client --token T [--url U]`: ask a running
reporting-service to rebuild its projections from the topics, wait, and report
(`make rebuild-reports`)."""

from __future__ import annotations

import argparse
import sys
import time

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8004")
    parser.add_argument("--token", required=True, help="a bearer token with the admin scope")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}
    started = time.monotonic()
    with httpx.Client(base_url=args.url, headers=headers, timeout=30) as client:
        response = client.post("/v1/admin/rebuild")
        if response.status_code != 202:
            sys.exit(f"rebuild refused: {response.status_code} {response.text}")
        before = response.json()["active"]
        while time.monotonic() - started < args.timeout:
            state = client.get("/v1/admin/rebuild").json()
            if state["status"] == "idle":
                if state["error"] or state["active"] == before:
                    sys.exit(
                        f"rebuild failed ({state['error']}); still answering from {state['active']}"
                    )
                print(f"rebuilt {before} -> {state['active']} in {time.monotonic() - started:.1f}s")
                return
            time.sleep(0.5)
    sys.exit("rebuild did not finish in time")


if __name__ == "__main__":
    main()
