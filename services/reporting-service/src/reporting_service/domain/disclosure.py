"""Statistical disclosure control (DfE conventions), as pure functions.

A count from 1 to the threshold is published as "c" (primary suppression). Published cells
are tied by linear equations that anyone can write down (a parent unit is the sum of its
children, audits completed the sum of their grades, a quarter the sum of its months, two
views of one figure are equal), and no hidden count from 1 to the threshold may be
recoverable by solving them (secondary suppression):

1. an equation with exactly one hidden cell gives it away: its first other non-zero shown
   cell in the order of choice (below) is hidden too, until no equation has one;
2. that is not enough where equations chain (two hidden rectangles joined by one cell give
   that cell away), nor where hidden cells are pinned by their floor (every "c" is at
   least 1: two hidden ones adding up to 2 are both 1). So each hidden small count is
   checked by solving: it is safe only when another whole solution of every equation is
   found that gives it another value (every hidden cell at its floor or above). First the
   true values plus or minus one vector of the null space's basis (cheap; what it finds is
   a proof); then, by integer programming (domain/alternatives.py), a solution with the
   component's undecided counts as low as they go and one with them as high. Every count
   still undecided is settled over its whole component (hidden cells only) before any cell
   is hidden for it: one linear program shows those no solution moves even in real
   numbers, and each other is asked for a solution with it above its value, else below,
   unless a solution found for another already moves it. Only a count so proved pinned is
   protected: the least-cost solution in which it takes another value and shown cells
   move, each at a cost (its value, and far more for a higher `rank`); the shown cells it
   moves are hidden, and with them hidden it is a solution, so the count is safe. Where no
   solution is found, the first shown cell beside it is hidden and the count checked
   again. Both steps run again until every hidden small count has an alternative.

Zeros are shown and never hidden to protect another cell. Some cells are never published
but known to an attacker by subtraction where every other cell of an equation is shown (the
records without a unit, audits moderated minus those agreed): they take part as
`unpublished` cells, unknown from the start (an attacker learns one only through the
equations, which is what step 2 checks), are protected like any other when small, and are
never chosen to protect another. The order of choice: lower `rank` first, then smaller,
then repr order. A rate or mean built on a
hidden count is "c"; one with nothing to compute it from is "z"; one that rounds to 0 but
is not 0 is "k"."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import gcd, inf, lcm
from typing import TypeVar

from reporting_service.domain import alternatives

Cell = int | float | str
SUPPRESSED = "c"
NOT_APPLICABLE = "z"
ROUNDS_TO_ZERO = "k"

K = TypeVar("K", bound=Hashable)
Equation = tuple[tuple[K, int], ...]  # sum of coefficient x value == 0
Exact = int | Fraction
RANK_WEIGHT = 1_000_000
# Where `_protect` looks, in turn: (equations out from the count, of which through shown
# cells).
_REGIONS = ((2, 1), (4, 1), (inf, 1), (inf, 2))


def sums_to(total: K, parts: Iterable[K]) -> Equation[K]:
    """The equation `total == sum(parts)`."""
    return ((total, 1), *((p, -1) for p in parts))


def protect(
    values: Mapping[K, int],
    equations: Sequence[Equation[K]],
    threshold: int,
    *,
    unpublished: Collection[K] = (),
    rank: Mapping[K, int] | None = None,
) -> set[K]:
    """The cells to hide: every count from 1 to the threshold, and enough others that none of
    those can be worked out from what is shown and the equations (see the module's
    docstring). A cell of a higher `rank` (0 when not given) is chosen to protect another
    only when no shown cell of a lower rank will do: what readers would miss most.
    Deterministic: the same cells and equations give the same answer."""
    cells, solver = _numbered(values, equations, threshold, unpublished, rank or {})
    return {cells[i] for i in solver.solve()}


def _numbered(
    values: Mapping[K, int],
    equations: Sequence[Equation[K]],
    threshold: int,
    unpublished: Collection[K],
    rank: Mapping[K, int],
) -> tuple[list[K], _Solver]:
    """The cells in repr order, and a solver that knows each by its place in that order."""
    # Cells are ordered by their repr wherever order matters (determinism); numbered in
    # that order, comparing, keying and ranking cells is comparing small numbers.
    every = set(values) | {k for equation in equations for k, _ in equation}
    cells = sorted(every, key=repr)
    number = {k: i for i, k in enumerate(cells)}
    solver = _Solver(
        [values.get(k, 0) for k in cells],
        [[(number[k], c) for k, c in equation] for equation in equations],
        {number[k] for k in unpublished if k in number},
        threshold,
        [rank.get(k, 0) for k in cells],
    )
    return cells, solver


class _Solver:
    """protect's rounds over cells known by number (their place in repr order)."""

    def __init__(
        self,
        values: list[int],
        equations: list[list[tuple[int, int]]],  # (cell, coefficient)
        unpublished: set[int],
        threshold: int,
        rank: list[int],
    ) -> None:
        n = len(values)
        self.values, self.unpublished = values, unpublished
        self.sensitive = bytearray(1 <= v <= threshold for v in values)
        self.equations: list[tuple[int, ...]] = []
        self.of: list[list[int]] = [[] for _ in range(n)]
        # Each equation's non-zero cells with their coefficients (a cell twice: summed).
        self.terms: list[list[tuple[int, int]]] = []
        for index, equation in enumerate(equations):
            cells = tuple(cell for cell, _ in equation)
            self.equations.append(cells)
            for cell in cells:
                self.of[cell].append(index)
            # A shown zero is a constant that adds nothing; an unpublished cell is an unknown
            # even when it is 0 (nobody is told it is).
            if len(set(cells)) == len(cells):
                self.terms.append(
                    [(cell, c) for cell, c in equation if values[cell] or cell in unpublished]
                )
                continue
            summed: dict[int, int] = {}
            for cell, coefficient in equation:
                if values[cell] or cell in unpublished:
                    summed[cell] = summed.get(cell, 0) + coefficient
            self.terms.append(list(summed.items()))
        self.live = [tuple(cell for cell, _ in terms) for terms in self.terms]
        self._near: dict[int, tuple[int, ...]] = {}
        # The order in which cells are chosen to be hidden: lower rank first, smallest first,
        # then repr order.
        order = sorted(zip(rank, map(abs, values), range(n), strict=True))
        self.cost = [0] * n
        for place, (*_, cell) in enumerate(order):
            self.cost[cell] = place
        # What hiding a shown cell costs readers, for `_protect`: its value, and far more
        # for each rank (ranks are few; no tenant's figure comes near RANK_WEIGHT).
        self.weight = [abs(v) + RANK_WEIGHT * r for v, r in zip(values, rank, strict=True)]
        self.hidden = bytearray(n)
        # Small counts shown to have another value: hidden only grows, and a solution stays one
        # with the cells hidden since at their values, so once safe a count stays safe.
        self.safe = bytearray(n)
        self.closed = bytearray(n)  # hidden cells with nothing but hidden cells around (beside)
        self._new: list[int] = []  # hidden since the components were last brought up to date
        # The hidden cells' components (linked by sharing an equation), kept between rounds:
        # hidden only ever grows, so components only merge (union-find). A component's
        # verdict depends only on its cells, so it is kept until the component grows.
        self._parent = list(range(n))
        self._members: dict[int, list[int]] = {}
        self._first: dict[int, int] = {}  # root -> its first small count
        self._verdicts: dict[int, tuple[int, list[int]]] = {}  # root -> (size, verdict)
        # A count no solution over its component's hidden cells moves -> that component's
        # size when it was settled (hidden cells only grow it).
        self._settled: dict[int, int] = {}

    def solve(self) -> list[int]:
        """The hidden cells (published, or small), by the module docstring's two steps, round
        after round."""
        # An unpublished cell is unknown from the start: what it gives away is what the
        # equations pin it to, which is what step 2 checks. Taking it for known (as if
        # shown) would make the attacker stronger than any reader and hide shown totals
        # for nothing (a hidden numerator beside its known rest gives its rate's total).
        for cell, small in enumerate(self.sensitive):
            if small or cell in self.unpublished:
                self._hide(cell)
        pending = set(range(len(self.equations)))
        while True:
            self.close(pending)
            recovered = self.recovered()
            if not recovered:
                unpublished, sensitive = self.unpublished, self.sensitive
                return [
                    c
                    for c, h in enumerate(self.hidden)
                    if h and (sensitive[c] or c not in unpublished)
                ]
            pending = set()
            for cell in recovered:
                if self.safe[cell]:  # moved by a solution found for an earlier count
                    continue
                extra = self._protect(cell)
                if extra is None:
                    one = self.beside(cell)
                    extra = [] if one is None else [one]
                for k in extra:
                    self._hide(k)
                    pending.update(self.of[k])
            if not pending and not all(self.safe[cell] for cell in recovered):
                raise RuntimeError("a hidden cell cannot be protected")  # see beside
            if not pending:
                continue

    def _hide(self, cell: int) -> None:
        self.hidden[cell] = 1
        self._new.append(cell)

    def _cheapest(self, cells: Iterable[int]) -> int | None:
        """The first shown cell in the order of choice (cells are non-zero or unpublished,
        and an unpublished cell is never shown)."""
        hidden = self.hidden
        shown = [c for c in cells if not hidden[c]]
        return min(shown, key=self.cost.__getitem__) if shown else None

    def close(self, pending: set[int]) -> None:
        """Step 1: until no equation has exactly one hidden cell (other than an unpublished
        count above the threshold, which may be worked out: step 2 checks where that
        leads)."""
        hidden, equations, live, of = self.hidden, self.equations, self.live, self.of
        unpublished, sensitive = self.unpublished, self.sensitive
        work = sorted(pending)
        while work:
            index = work.pop()
            lone = [c for c in equations[index] if hidden[c]]
            if len(lone) != 1 or (lone[0] in unpublished and not sensitive[lone[0]]):
                continue
            extra = self._cheapest(live[index])
            if extra is None:  # cannot happen: a lone non-zero unknown balances something
                continue
            self._hide(extra)
            work.extend(of[extra])

    def near(self, cell: int) -> tuple[int, ...]:
        """The non-zero cells of the equations `cell` is in."""
        out = self._near.get(cell)
        if out is None:
            live = self.live
            out = self._near[cell] = tuple({c for i in self.of[cell] for c in live[i]})
        return out

    def beside(self, cell: int) -> int | None:
        """The cell to hide to protect `cell`: the smallest shown one in its equations, else
        in those of the hidden cells next to it, and so on outwards. None only when every
        cell around it is hidden or zero, where doubling every hidden value is another
        solution (so it is not recovered)."""
        if self.closed[cell]:
            return None
        layer, seen = [cell], {cell}
        while layer:
            around: set[int] = set()
            for c in layer:
                around.update(self.near(c))
            extra = self._cheapest(around)
            if extra is not None:
                return extra
            # Every non-zero cell around is hidden: search on from those not yet seen.
            layer = [c for c in around if c not in seen]
            seen.update(layer)
        # Every cell the search reached is hidden and so is every non-zero cell beside them;
        # as hidden only grows, so they stay, and a search from any of them ends here too.
        for c in seen:
            self.closed[c] = 1
        return None

    def _root(self, cell: int) -> int:
        parent = self._parent
        root = cell
        while parent[root] != root:
            root = parent[root]
        while parent[cell] != root:
            parent[cell], cell = root, parent[cell]
        return root

    def _join(self) -> None:
        """Bring the components up to date with the cells hidden since (hidden only grows)."""
        new, self._new = self._new, []
        for cell in new:
            self._members[cell] = [cell]
            if self.sensitive[cell]:
                self._first[cell] = cell
        hidden, live, members, first = self.hidden, self.live, self._members, self._first
        root = self._root
        for index in {i for cell in new for i in self.of[cell]}:
            linked = [key for key in live[index] if hidden[key]]
            if len(linked) < 2:
                continue
            a = root(linked[0])
            for key in linked[1:]:
                b = root(key)
                if a == b:
                    continue
                if len(members[a]) < len(members[b]):
                    a, b = b, a
                self._parent[b] = a
                members[a].extend(members.pop(b))
                self._verdicts.pop(b, None)
                if b in first:
                    earliest = first.pop(b)
                    first[a] = min(earliest, first.get(a, earliest))

    def recovered(self) -> list[int]:
        """Step 2: the hidden small counts that have no alternative solution, component by
        component in the order of each one's first small count."""
        self._join()
        out: list[int] = []
        for root in sorted(self._first, key=self._first.__getitem__):
            members = self._members[root]
            kept = self._verdicts.get(root)
            if kept is None or kept[0] != len(members):
                kept = self._verdicts[root] = (len(members), self._pinned(sorted(members)))
            out.extend(k for k in kept[1] if not self.safe[k])
        return out

    def _pinned(self, component: list[int]) -> list[int]:
        """The small counts of a component (in repr order) that no other solution found
        moves."""
        column = {k: i for i, k in enumerate(component)}
        hidden, terms = self.hidden, self.terms
        rows: list[dict[int, Exact]] = []
        homogeneous = True  # no shown non-zero cell in any equation: the values scale
        # The component's cells are the hidden ones of its equations (_join).
        for index in {i for k in component for i in self.of[k]}:
            row: dict[int, Exact] = {}
            for key, coefficient in terms[index]:
                if not hidden[key]:
                    homogeneous = False
                elif coefficient:
                    row[column[key]] = coefficient
            if row:
                rows.append(row)
        if homogeneous:
            return []  # doubling every hidden cell is another solution: every count moves
        pivots = _reduce(rows)
        # How far each cell may go down: to 0 if unpublished, else to 1 (every "c" is at
        # least 1).
        values, unpublished = self.values, self.unpublished
        slack = [values[k] - (0 if k in unpublished else 1) for k in component]
        # The null space's basis vectors, one per free column: its own 1 and, in each pivot
        # row it is in, minus its coefficient there. Whether one can be added or taken
        # away with every cell kept at its floor is worked out once per free column.
        through: dict[int, list[tuple[int, Exact]]] = {}
        for col, row in pivots.items():
            for c, v in row.items():
                if c == col:
                    continue
                vector = through.get(c)
                if vector is None:
                    through[c] = [(c, 1), (col, -v)]
                else:
                    vector.append((col, -v))
        moves: dict[int, bool] = {}

        def movable(free: int) -> bool:
            known = moves.get(free)
            if known is None:
                known = moves[free] = _keeps_floor(through.get(free, [(free, 1)]), slack)
            return known

        undecided = []
        safe = self.safe
        for key in component:
            if not self.sensitive[key] or safe[key]:
                continue
            j = column[key]
            own = pivots.get(j)  # a free column moves itself; a pivot, by its row's free ones
            if movable(j) if own is None else any(movable(c) for c in own if c != j):
                safe[key] = 1
            else:
                undecided.append(key)
        return self._exact(component, rows, undecided) if undecided else []

    def _exact(
        self, component: list[int], rows: list[dict[int, Exact]], undecided: list[int]
    ) -> list[int]:
        """Of `undecided` (small counts of the component the basis vectors do not move),
        those no whole solution of the component's equations (shown cells constants) moves:
        each one's safety settled over the whole component before any cell is hidden for
        it. First two solutions for all of them, one with their sum as low as it goes, one
        with it as high (each at most 1 above its value); then, of those left, the ones
        pinned even in real numbers (`_fixed`, one linear program) and, for each other not
        moved by a solution found meanwhile, a solution with it above its value or below
        (`_moves`). Every count a solution moves is safe; the rest are for `_protect`."""
        values, safe = self.values, self.safe
        true = [values[k] for k in component]
        system = alternatives.System(
            [{c: int(v) for c, v in row.items()} for row in rows],
            true,
            [self._floor(k) for k in component],
        )
        column = {k: i for i, k in enumerate(component)}
        left = undecided
        # Measured on Kent's quarter: these two settle half the counts in a tenth of the
        # programs one per count takes; more rounds of them cost more than they save.
        for direction in (1.0, -1.0):
            if not left:
                break
            columns = [column[k] for k in left]
            ceilings = (
                {} if direction > 0 else {c: (system.floors[c], true[c] + 1) for c in columns}
            )
            x = alternatives.solution(
                system, bounds=ceilings, objective=dict.fromkeys(columns, direction)
            )
            if x is not None:
                self._mark(x, true, component)
            left = [k for k in left if not safe[k]]
        # Most counts left are pinned even in real numbers (by floors: 2 = 1 + 1), which one
        # linear program shows for the whole component; proving it with two integer
        # programs per count (one each way) took most of the decision's CPU.
        fixed = _fixed(system) if left else set()
        pinned = []
        for k in left:
            if safe[k]:  # moved by a solution found for an earlier count: not asked
                continue
            if column[k] in fixed or not self._moves(system, column[k], component):
                self._settled[k] = len(component)
                pinned.append(k)
        return pinned

    def _moves(self, system: alternatives.System, j: int, region: list[int]) -> bool:
        """Whether a whole solution over `region` (hidden cells, every other cell at its
        value) gives column `j` another value, up first (most small counts are 1, their
        floor), then down; what it finds is marked safe, every count it moves."""
        value = system.true[j]
        for low, high in ((value + 1.0, inf), (system.floors[j], value - 1.0)):
            if high < low:
                continue
            x = alternatives.solution(system, bounds={j: (low, high)})
            if x is not None:
                self._mark(x, system.true, region)
                return True
        return False

    def _mark(self, x: Sequence[int], true: Sequence[int], region: list[int]) -> None:
        """Every count a solution `x` over `region` moves is safe (with the cells hidden
        since at their values it stays a solution)."""
        safe = self.safe
        for c, (a, b) in enumerate(zip(x, true, strict=True)):
            if a != b:
                safe[region[c]] = 1

    def _floor(self, cell: int) -> int:
        """The least value a hidden cell may take: 0 if unpublished, else 1 (every "c" is
        at least 1); a difference the figures make negative (more counted early than
        resolved, say) is its own floor, so the truth is always a solution."""
        return min(0 if cell in self.unpublished else 1, self.values[cell])

    def _protect(self, cell: int) -> list[int] | None:
        """The shown cells to hide so that the small count `cell`, which no whole solution
        over its component's hidden cells moves (`_exact`), takes another value in a whole
        solution, at the least cost (`weight`: readers miss large and high-ranking figures
        most): [] when it already takes one (it is then safe), None when no solution is
        found (the caller then hides the cell `beside` it and asks again).

        Nearby first: most counts are protected by a few cells around them, and a small
        program is solved in a fraction of the time a whole component's takes (Kent's are up
        to 700 hidden cells); a solution in part of the system is one of the whole. A wider
        region is tried while the best solution so far moves a cell of rank 2 or more."""
        whole = self._region(cell, inf, 1)
        component = [k for k in whole if self.hidden[k]]
        # Cells hidden for another count since this one was settled may have joined its
        # component: its safety is settled again over the component as it is now, before
        # any cell is hidden for it.
        if len(component) != self._settled.get(cell):
            system = self._system(component)
            self._settled[cell] = len(component)
            if self._moves(system, component.index(cell), component):
                return []
        best: tuple[float, list[int]] | None = None
        # A region met before is the same program (nothing is hidden meanwhile), whose answer
        # is known and not cheaper than the best kept. On Kent's quarter the whole component
        # and the shown cells around it are often both (inf, 1) and (inf, 2) away, and its
        # programs are the largest: skipping them again saved 15% of the decision's CPU.
        tried: list[list[int]] = []
        for reach, depth in _REGIONS:
            region = whole if (reach, depth) == (inf, 1) else self._region(cell, reach, depth)
            if region in tried:
                continue
            tried.append(region)
            found = self._cheapest_solution(cell, region)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
            if best is not None and best[0] < 2 * RANK_WEIGHT:
                break
        if best is None:
            return None
        # Once the moved shown cells are hidden, the solution is one of the equations with
        # every hidden cell at its floor or above: each count it moves is safe.
        for k in best[1]:
            self.safe[k] = 1
        return [k for k in best[1] if not self.hidden[k]]

    def _system(self, region: list[int]) -> alternatives.System:
        """The equations over `region` (every other cell a constant at its value), each
        hidden cell at its floor or above, each shown one at 1 or above."""
        values, hidden = self.values, self.hidden
        column = {k: i for i, k in enumerate(region)}
        rows = []
        for index in sorted({i for k in region for i in self.of[k]}):
            row = {column[k]: c for k, c in self.terms[index] if k in column and c}
            if row:
                rows.append(row)
        true = [values[k] for k in region]
        return alternatives.System(rows, true, [self._floor(k) if hidden[k] else 1 for k in region])

    def _cheapest_solution(self, cell: int, region: list[int]) -> tuple[float, list[int]] | None:
        """Over `region` (every other cell at its value), the least-cost whole solution in
        which `cell` takes another value: its cost and the cells it moves."""
        system = self._system(region)
        true = system.true
        moving = {c: self.weight[k] for c, k in enumerate(region) if not self.hidden[k]}
        j = region.index(cell)
        value = true[j]
        best: tuple[float, list[int]] | None = None
        # Up first: a count at its floor (most small counts are 1) can only go up.
        for low, high in ((value + 1.0, inf), (system.floors[j], value - 1.0)):
            if high < low:
                continue
            x = alternatives.solution(system, bounds={j: (low, high)}, moving=moving)
            if x is None:
                continue
            cost = sum(w * abs(x[c] - true[c]) for c, w in moving.items())
            if best is None or cost < best[0]:
                moved = [region[c] for c, (a, b) in enumerate(zip(x, true, strict=True)) if a != b]
                best = (cost, moved)
            if not cost:  # nothing to hide: the other way cannot be cheaper
                break
        return best

    def _region(self, cell: int, reach: float, depth: int) -> list[int]:
        """Non-zero cells around `cell`: those a search reaches within `reach` equations,
        going on from hidden cells and from shown cells at most `depth` of them out (a cell
        is taken on the first path that reaches it; any region gives a true solution)."""
        hidden, live, of = self.hidden, self.live, self.of
        region = {cell}
        work = [(cell, 0, 0)]
        while work:
            at, hops, shown = work.pop()
            if hops >= reach:
                continue
            for index in of[at]:
                for k in live[index]:
                    if k in region:
                        continue
                    region.add(k)
                    further = shown if hidden[k] else shown + 1
                    if hidden[k] or further < depth:
                        work.append((k, hops + 1, further))
        return sorted(region)


def _fixed(system: alternatives.System) -> set[int]:
    """The columns every solution of the system in real numbers keeps at its value: those no
    solution takes above their floor, and those the equations then determine (pivots of the
    reduced form with no other column in their row). No whole solution moves them either.
    The linear program is solved in floating point: a column taken for fixed wrongly would
    only have cells hidden for it (`_protect`), never be taken for safe."""
    above = alternatives.above_floor(system)
    rows: list[dict[int, Exact]] = []
    for row in system.rows:
        kept: dict[int, Exact] = {c: v for c, v in row.items() if above[c] and v}
        if kept:
            rows.append(kept)
    determined = {p for p, row in _reduce(rows).items() if len(row) == 1}
    return {c for c, free in enumerate(above) if not free} | determined


def _keeps_floor(vector: list[tuple[int, Exact]], slack: list[int]) -> bool:
    """Can the smallest whole-number multiple of `vector` (column, value) be added to the
    values, or taken away, with every cell kept at its floor (`slack` above it) or above?"""
    if not all(type(v) is int for _, v in vector):
        scale = lcm(*(v.denominator for _, v in vector))
        whole = [(c, int(v * scale)) for c, v in vector]
        common = 0
        for _, v in whole:
            common = gcd(common, v)
        vector = [(c, v // common) for c, v in whole]
    # A whole vector with a 1 in it is already the smallest whole multiple.
    return all(v >= -slack[c] for c, v in vector) or all(v <= slack[c] for c, v in vector)


def _reduce(rows: list[dict[int, Exact]]) -> dict[int, dict[int, Exact]]:
    """Reduced row echelon form of sparse rows: pivot column -> its row (pivot 1, no other
    pivot column in it). The form is the same whatever the order of the rows."""
    pivots: dict[int, dict[int, Exact]] = {}
    # Rows whose first column lies furthest right first: a new pivot then mostly lies left
    # of the pivots before it, whose rows have nothing there to clear (measured: half the
    # work of the equations' own order on Kent's quarter).
    rows = sorted(rows, key=lambda row: (-min(row), max(row)))
    # The pivots whose rows have had each column that is not a pivot (some may no longer
    # have it): a new pivot is cleared from those rows only.
    having: dict[int, set[int]] = {}
    for row in rows:
        row = dict(row)
        for col in [c for c in row if c in pivots]:
            factor = row.get(col)
            if factor:
                for c, v in pivots[col].items():
                    nv = row.get(c, 0) - factor * v
                    if nv:
                        row[c] = nv
                    else:
                        del row[c]
        if not row:
            continue
        col = min(row)
        lead = row[col]
        # The equations' coefficients are 1 and -1, and so nearly every pivot: whole numbers
        # stay whole (much cheaper than fractions), a fraction only where one is needed.
        if lead == -1:
            row = {c: -v for c, v in row.items()}
        elif lead != 1:
            row = {c: Fraction(v) / lead for c, v in row.items()}
        for p in having.pop(col, ()):
            other = pivots[p]
            factor = other.get(col)
            if not factor:
                continue
            for c, v in row.items():
                nv = other.get(c, 0) - factor * v
                if not nv:
                    del other[c]
                    continue
                if c not in other:
                    having.setdefault(c, set()).add(p)
                other[c] = nv
        for c in row:
            if c != col:
                having.setdefault(c, set()).add(col)
        pivots[col] = row
    return pivots


def round_half_up(value: float | Decimal, places: int = 1) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def ratio(numerator: Cell, denominator: Cell, *, scale: int = 100) -> Cell:
    """numerator / denominator × scale, one decimal, half up; "c" if either is hidden, "z" with
    nothing to divide by, "k" when it rounds to 0 but is not 0."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    if not denominator:
        return NOT_APPLICABLE
    assert isinstance(numerator, int | float) and isinstance(denominator, int | float)
    value = round_half_up(Decimal(str(numerator)) * scale / Decimal(str(denominator)))
    if value == 0 and numerator:
        return ROUNDS_TO_ZERO
    return value


def percentage(numerator: Cell, denominator: Cell) -> Cell:
    return ratio(numerator, denominator)


def mean(total: int, count: int, threshold: int | None) -> Cell:
    """A mean over `count` values: hidden when the count itself would be."""
    if threshold is not None and 1 <= count <= threshold:
        return SUPPRESSED
    return ratio(total, count, scale=1)


def median(histogram: Mapping[int, int]) -> Cell:
    """The median of values given as value -> how many; an even count takes the mean of the
    two middle values."""
    count = sum(histogram.values())
    if count == 0:
        return NOT_APPLICABLE
    ordered = sorted((v, n) for v, n in histogram.items() if n > 0)

    def nth(index: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if index < seen:
                return value
        raise IndexError(index)

    if count % 2:
        return nth(count // 2)
    low, high = nth(count // 2 - 1), nth(count // 2)
    middle = Decimal(low + high) / 2
    return int(middle) if middle == int(middle) else round_half_up(middle)
