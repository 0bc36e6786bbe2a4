"""CPython's cyclic garbage collector in a long-running service process.

Once start-up has built what lives as long as the process (routes, schemas, models,
configuration), `settle_after_start_up` moves it out of the collector's sight
(`gc.freeze`, made for servers), so that the full collections a busy service triggers do
not walk it again and again. It also raises the youngest generation's threshold from 700
to 10,000 net allocations: a request that builds many objects (activity-service's batch
of 1,000 records builds some hundred thousand, alive until it commits) triggered a young
collection every 700, each walking what the request still held and passing it on to the
older generations, whose collections walked it again; that was about a ninth of a batch's
CPU (bench/README.md, section 7, third pass). The older generations keep their default
ratios, so garbage in cycles (rare: what the reference counts free is most of it) is still
found, 14 times less often."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle_after_start_up() -> None:
    """Collect, freeze what start-up left, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
