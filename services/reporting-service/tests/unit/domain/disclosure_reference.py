"""THE REFERENCE, for tests only: disclosure.protect and its solver exactly as they were at
97d7063 (before the solver worked on cell numbers, and before step 2 became exact), frozen
so that tests can measure what the service's solver hides against it
(test_disclosure_reference.py). Not to be changed, nor used by the service."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from math import gcd, lcm
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Equation = tuple[tuple[K, int], ...]  # sum of coefficient x value == 0
Exact = int | Fraction


def protect(
    values: Mapping[K, int],
    equations: Sequence[Equation[K]],
    threshold: int,
    *,
    unpublished: Collection[K] = (),
) -> set[K]:
    """The cells to hide: every count from 1 to the threshold, and enough others that none of
    those can be worked out from what is shown and the equations (see the module's
    docstring). Deterministic: the same cells and equations give the same answer."""
    sensitive = {k for k, v in values.items() if 1 <= v <= threshold}
    hidden = set(sensitive)
    of: dict[K, list[int]] = {}
    for index, equation in enumerate(equations):
        for key, _ in equation:
            of.setdefault(key, []).append(index)
    solver: _Solver[K] = _Solver(values, equations, of, unpublished)
    pending = set(range(len(equations)))
    while True:
        solver.close(hidden, pending)
        recovered = solver.recovered(hidden, sensitive)
        if not recovered:
            return hidden
        pending = set()
        for cell in recovered:
            # One hidden for an earlier cell may have used up the last candidate of a later
            # one of the same component: that one is checked again on the next round.
            extra = solver.beside(cell, hidden)
            if extra is None:
                continue
            hidden.add(extra)
            pending.update(of.get(extra, ()))
        if not pending:
            raise RuntimeError("a hidden cell cannot be protected")  # see _Solver.beside


class _Solver(Generic[K]):
    def __init__(
        self,
        values: Mapping[K, int],
        equations: Sequence[Equation[K]],
        of: Mapping[K, list[int]],
        unpublished: Collection[K],
    ) -> None:
        self.values, self.equations, self.of = values, equations, of
        self.unpublished = set(unpublished)
        # Cells are ordered by their repr wherever order matters (determinism); each cell's
        # place in that order is worked out once.
        every = set(values) | {k for equation in equations for k, _ in equation}
        self.rank = {k: i for i, k in enumerate(sorted(every, key=repr))}
        # The hidden cells' components (linked by sharing an equation), kept between rounds:
        # hidden only ever grows, so components only merge (union-find). A component's
        # verdict depends only on its cells, so it is kept until the component grows.
        self._parent: dict[K, K] = {}
        self._members: dict[K, list[K]] = {}
        self._verdicts: dict[K, tuple[int, list[K]]] = {}  # root -> (size, verdict)

    def _cheapest(self, keys: Iterable[K], hidden: set[K]) -> K | None:
        """The smallest non-zero shown cell that is published, else one that is not."""
        shown = [k for k in keys if k not in hidden and self.values.get(k, 0) != 0]
        if not shown:
            return None
        return min(
            shown, key=lambda k: (k in self.unpublished, abs(self.values.get(k, 0)), self.rank[k])
        )

    def close(self, hidden: set[K], pending: set[int]) -> None:
        """Step 1: until no equation has exactly one hidden cell."""
        work = sorted(pending)
        while work:
            index = work.pop()
            equation = self.equations[index]
            if sum(1 for k, _ in equation if k in hidden) != 1:
                continue
            extra = self._cheapest((k for k, _ in equation), hidden)
            if extra is None:  # cannot happen: a lone non-zero unknown balances something
                continue
            hidden.add(extra)
            work.extend(self.of.get(extra, ()))

    def beside(self, cell: K, hidden: set[K]) -> K | None:
        """The cell to hide to protect `cell`: the smallest shown one in its equations, else
        in those of the hidden cells next to it, and so on outwards. None only when every
        cell around it is hidden or zero, where doubling every hidden value is another
        solution (so it is not recovered)."""
        layer, seen = [cell], {cell}
        while layer:
            around = {k for c in layer for i in self.of.get(c, ()) for k, _ in self.equations[i]}
            extra = self._cheapest(around, hidden)
            if extra is not None:
                return extra
            layer = sorted(
                (k for k in around if k in hidden and k not in seen), key=self.rank.__getitem__
            )
            seen.update(layer)
        return None

    def _root(self, cell: K) -> K:
        parent = self._parent
        root = cell
        while parent[root] != root:
            root = parent[root]
        while parent[cell] != root:
            parent[cell], cell = root, parent[cell]
        return root

    def _join(self, hidden: set[K]) -> None:
        """Bring the components up to date with `hidden` (which only ever grows)."""
        new = [k for k in hidden if k not in self._parent]
        for cell in new:
            self._parent[cell] = cell
            self._members[cell] = [cell]
        for cell in new:
            for index in self.of.get(cell, ()):
                for key, _ in self.equations[index]:
                    if key not in hidden:
                        continue
                    a, b = self._root(cell), self._root(key)
                    if a == b:
                        continue
                    if len(self._members[a]) < len(self._members[b]):
                        a, b = b, a
                    self._parent[b] = a
                    self._members[a].extend(self._members.pop(b))
                    self._verdicts.pop(b, None)

    def recovered(self, hidden: set[K], sensitive: set[K]) -> list[K]:
        """Step 2: the hidden small counts that have no alternative solution, component by
        component in the order of each one's first small count."""
        self._join(hidden)
        first: dict[K, int] = {}
        for cell in hidden & sensitive:
            root, rank = self._root(cell), self.rank[cell]
            if rank < first.get(root, len(self.rank)):
                first[root] = rank
        out: list[K] = []
        for root in sorted(first, key=first.__getitem__):
            members = self._members[root]
            kept = self._verdicts.get(root)
            if kept is None or kept[0] != len(members):
                component = sorted(members, key=self.rank.__getitem__)
                kept = (len(members), self._pinned(component, hidden, sensitive))
                self._verdicts[root] = kept
            out.extend(kept[1])
        return out

    def _pinned(self, component: list[K], hidden: set[K], sensitive: set[K]) -> list[K]:
        column = {k: i for i, k in enumerate(component)}
        rows: list[dict[int, Exact]] = []
        homogeneous = True  # no shown non-zero cell in any equation: the values scale
        for index in sorted({i for k in component for i in self.of.get(k, ())}):
            row: dict[int, Exact] = {}
            for key, coefficient in self.equations[index]:
                if key in column:
                    row[column[key]] = row.get(column[key], 0) + coefficient
                elif self.values.get(key, 0) != 0:
                    homogeneous = False
            row = {c: v for c, v in row.items() if v}
            if row:
                rows.append(row)
        pivots = _reduce(rows, len(component))
        x = [self.values.get(k, 0) for k in component]
        floor = [0 if k in self.unpublished else 1 for k in component]
        out = []
        for key in component:
            if key not in sensitive:
                continue
            if homogeneous and x[column[key]] >= 1:
                continue  # doubling every hidden cell is another solution
            if not _alternative(column[key], pivots, len(component), x, floor):
                out.append(key)
        return out


def _reduce(rows: list[dict[int, Exact]], width: int) -> dict[int, dict[int, Exact]]:
    """Reduced row echelon form of sparse rows: pivot column -> its row (pivot 1, no other
    pivot column in it)."""
    pivots: dict[int, dict[int, Exact]] = {}
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
                        row.pop(c, None)
        if not row:
            continue
        col = min(row)
        lead = row[col]
        # The equations' coefficients are 1 and -1, and so nearly every pivot: whole numbers
        # stay whole (much cheaper than fractions), a fraction only where one is needed.
        if lead in (1, -1):
            row = {c: v * lead for c, v in row.items()}
        else:
            row = {c: Fraction(v) / lead for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(col)
            if factor:
                for c, v in row.items():
                    nv = other.get(c, 0) - factor * v
                    if nv:
                        other[c] = nv
                    else:
                        other.pop(c, None)
        pivots[col] = row
    return pivots


def _alternative(
    j: int, pivots: dict[int, dict[int, Exact]], width: int, x: list[int], floor: list[int]
) -> bool:
    """Is there a whole-number vector d of the null space with d[j] != 0 such that x + d
    keeps every cell at its floor or above? Tried over the null space's basis vectors (one
    per free column) that move `j`, each both ways: finding one proves `j` has another
    value; finding none is taken as `j` being recovered (which may hide more than needed,
    never less)."""
    for free in [c for c in pivots[j] if c != j] if j in pivots else [j]:
        vector: dict[int, Exact] = {free: 1}
        for col, row in pivots.items():
            if free in row:
                vector[col] = -row[free]
        scale = lcm(*(v.denominator for v in vector.values()))
        whole = {c: int(v * scale) for c, v in vector.items()}
        common = 0
        for v in whole.values():
            common = gcd(common, v)
        whole = {c: v // common for c, v in whole.items()}
        for sign in (1, -1):
            if all(x[c] + sign * v >= floor[c] for c, v in whole.items()):
                return True
    return False
