"""The report routes' kept answers, given without FastAPI's routing and dependency solving.

A report that the cache (readcache.py) holds is the same bytes for every reader of its
tenant, scopes and query, so answering it costs nothing but deciding that the request is one
the route would answer with them. Through FastAPI that decision was most of a cached read's
CPU (routing through the included routers, solving the token's dependency and validating
each query parameter, the exception layers, building a `Response`: 84% of it in
`bench.cached_reads`). `FastReads` makes the same decision directly for the Deep Dive (JSON
or CSV), the escalation trends and the measure trends, with the routes' own functions
(api/reports.py: `deep_dive`, `escalation_trends`, `measure_trends`) on the same values.

It answers only when everything is certain: a GET of one of those paths, a bearer token the
authenticator has already verified and that still holds, with `reports:read` (or what
implies it) and not a provider's (`known_caller`, the route's own checks), each query
parameter the route declares at most once with a value FastAPI would accept as it is, none
it does not declare, the route's own checks passed, and the answer kept at the version
known now. Any other request (no or unknown token, a missing scope, a refused or unusual
query, a report not kept yet or being built, a proxy's root path, overridden dependencies)
goes on to the app as before, so that every refusal and every build is the route's, word
for word, and the OpenAPI document is the routes'. The kept answer is sent as the route sends it (the same
status line, headers and body); the middleware around this layer (request id, metrics by
the route's template, cache headers) see it as they see the route's."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from prometheus_client import Counter
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qaf_shared.http.auth import Principal, known_caller
from qaf_shared.http.problems import Problem
from reporting_service.api import reports
from reporting_service.api.readcache import Built, ResponseCache
from reporting_service.api.reports import Report

ANSWERED = Counter("qa_report_fast_answers_total", "Kept reports answered before FastAPI's routing")
# What FastAPI accepts for the routes' constrained query parameters, as the route declares
# them (`UnitCode`, the quarters' pattern, `dimension`'s): a value this does not match goes
# to the route, which accepts or refuses it itself.
_UNIT = re.compile(r"[A-Z0-9_\-]{1,64}")
_QUARTER = re.compile(r"FY[0-9]{4}Q[1-4]")
_DIMENSION = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _one_of(*values: str) -> Callable[[str], bool]:
    return frozenset(values).__contains__


def _any(value: str) -> bool:
    return True


Query = Mapping[str, str]
Make = Callable[[Request, Principal, str, Query], Report]


@dataclass(frozen=True)
class _Fast:
    """A report route answered here: its FastAPI route (for the metrics' template), the
    query parameters it declares (by alias) with what FastAPI accepts for each as given,
    those it requires, and its `Report` from the path's parameter and the query."""

    endpoint: Callable[..., object]
    params: Mapping[str, Callable[[str], bool]]
    required: frozenset[str]
    make: Make


_TREND_RANGE = {"from": _matches(_QUARTER), "to": _matches(_QUARTER)}
_GRANULARITY = _one_of("quarter", "month")

DEEP_DIVE = _Fast(
    reports.get_deep_dive,
    {"unit": _matches(_UNIT)},
    frozenset(),
    lambda request, principal, quarter, q: reports.deep_dive(
        request, principal, quarter, q.get("unit")
    ),
)
ESCALATION_TRENDS = _Fast(
    reports.get_escalation_trends,
    {
        **_TREND_RANGE,
        "by": _one_of("category", "stage", "area", "service"),
        "granularity": _GRANULARITY,
        "unit": _matches(_UNIT),
    },
    frozenset(),
    lambda request, principal, _, q: reports.escalation_trends(
        request,
        principal,
        q.get("from"),
        q.get("to"),
        q.get("by", "category"),
        q.get("granularity", "quarter"),
        q.get("unit"),
    ),
)
MEASURE_TRENDS = _Fast(
    reports.get_trends,
    {
        "measure": _any,
        "dimension": _matches(_DIMENSION),
        **_TREND_RANGE,
        "by": _one_of("area", "service", "district"),
        "granularity": _GRANULARITY,
        "unit": _matches(_UNIT),
    },
    frozenset({"measure"}),
    lambda request, principal, _, q: reports.measure_trends(
        request,
        principal,
        q["measure"],
        q.get("dimension"),
        q.get("from"),
        q.get("to"),
        q.get("by"),
        q.get("granularity", "quarter"),
        q.get("unit"),
    ),
)
_EXACT = {"/v1/escalation-trends": ESCALATION_TRENDS, "/v1/trends": MEASURE_TRENDS}
_DEEP_DIVES = "/v1/deep-dives/"


def _query(raw: bytes, fast: _Fast) -> dict[str, str] | None:
    """The query's parameters as FastAPI reads them (Starlette's parsing), when each is one
    the route declares, given once, with a value FastAPI accepts as it is, and the required
    ones are there; None otherwise."""
    if not raw:
        return {} if not fast.required else None
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        accepts = fast.params.get(name)
        if accepts is None or name in query or not accepts(value):
            return None
        query[name] = value
    return query if fast.required <= query.keys() else None


class FastReads:
    """Pure ASGI, the innermost of the app's middleware (`create_service_app`'s
    `innermost`): answers a report request from the report cache when it can be certain of
    the route's answer (the module's docstring), and passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        routes = {r.endpoint: r for r in reports.router.routes if isinstance(r, APIRoute)}
        self._routes = {
            fast.endpoint: routes[fast.endpoint]
            for fast in (DEEP_DIVE, ESCALATION_TRENDS, MEASURE_TRENDS)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            answer = self._kept(scope)
            if answer is not None:
                fast, built = answer
                ANSWERED.inc()
                # The route's template in the metrics and the request's span, as routing sets.
                scope["route"] = self._routes[fast.endpoint]
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": list(built.raw_headers),
                    }
                )
                await send({"type": "http.response.body", "body": built.body})
                return
        await self.app(scope, receive, send)

    def _kept(self, scope: Scope) -> tuple[_Fast, Built] | None:
        """The route this request is for and its kept answer, or None when the app decides."""
        path: str = scope["path"]
        fast = _EXACT.get(path)
        parameter = ""
        if fast is None:
            if not path.startswith(_DEEP_DIVES):
                return None
            parameter = path[len(_DEEP_DIVES) :]
            if not parameter or "/" in parameter:
                return None
            fast = DEEP_DIVE
        app = scope["app"]
        cache: ResponseCache | None = getattr(app.state, "report_cache", None)
        # Overridden dependencies (a test's) are the route's to apply.
        if cache is None or app.dependency_overrides:
            return None
        query = _query(scope["query_string"], fast)
        if query is None:
            return None
        principal = known_caller(scope, app.state.authenticator, "reports:read")
        if principal is None:
            return None
        try:
            report = fast.make(Request(scope), principal, parameter, query)
        except Problem:
            return None
        built = cache.ready(app.state.pool, report.key, report.tenants)
        return None if built is None else (fast, built)
