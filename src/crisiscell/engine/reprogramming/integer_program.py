"""A component's integer program in HiGHS (`_Model`): its LP relaxation (phase 1, a
proven lower bound) and its branch and bound from a plan (phase 2); HiGHS kept silent."""

from __future__ import annotations

import os
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from .components import _Component
from .problem import _Problem

_first_highs = threading.Lock()
_highs_started = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS. Whatever its options, HiGHS prints its banner on the process's
    standard output when the first instance is made: that once, the output goes to the
    null device (the command line's standard output is the plan's summary)."""
    global _highs_started
    with _first_highs:
        if _highs_started:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _highs_started = True
    h.setOptionValue("output_flag", False)
    return h


class _Model:
    """The integer program of a component, as HiGHS arrays: per item, one integer column
    per allowed day and one for unplaced (their sum is the item's count); a row per
    service-day (and surgeon-day) in minutes; and per depends_on link, for each day t of
    the dependent's, "the dependent placed by t only if its prerequisite is placed before
    t", with a continuous slack column (the time-indexed form of day(b) > day(a), much
    tighter in the relaxation than comparing their mean days; with t past every day, a
    dependent of an unplaced appointment is unplaced too)."""

    def __init__(self, pb: _Problem, comp: _Component):
        self.pb, self.comp = pb, comp
        self.column: dict[int, int] = {}  # item -> its first column
        cost: list[float] = []
        upper: list[float] = []
        for k in comp.items:
            item = pb.items[k]
            self.column[k] = len(cost)
            cost += [*item.costs, item.unplaced_cost]
            upper += [item.n] * (len(item.days) + 1)
        self.n_int = len(cost)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower_row: list[float] = []
        upper_row: list[float] = []

        def row(entries: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
            r = len(lower_row)
            for c, v in entries:
                rows.append(r)
                cols.append(c)
                vals.append(v)
            lower_row.append(lo)
            upper_row.append(hi)

        for k in comp.items:
            first, n = self.column[k], pb.items[k].n
            row(((first + j, 1.0) for j in range(len(pb.items[k].days) + 1)), n, n)
        for key, entries in comp.rows.items():
            row(
                ((self.column[k] + j, pb.items[k].duration) for k, j in entries),
                -highspy.kHighsInf,
                max(0, comp.rhs[key]),
            )
        self.slacks: list[tuple[int, int, int]] = []  # (link, dependent's day index, column)
        for link, (ka, kb) in enumerate(comp.links):
            a, b = pb.items[ka], pb.items[kb]
            previous, j = None, 0
            for i, t in enumerate(b.days):
                slack = len(cost)
                cost.append(0.0)
                upper.append(highspy.kHighsInf)
                entries = [(slack, 1.0), (self.column[kb] + i, 1.0)]
                if previous is not None:
                    entries.append((previous, -1.0))
                while j < len(a.days) and a.days[j] < t:
                    entries.append((self.column[ka] + j, -1.0))
                    j += 1
                row(entries, 0.0, 0.0)
                self.slacks.append((link, i, slack))
                previous = slack
        matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower_row), len(cost))).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(lower_row)
        lp.col_cost_ = np.array(cost, dtype=float)
        lp.col_lower_ = np.zeros(len(cost))
        lp.col_upper_ = np.array(upper, dtype=float)
        lp.row_lower_ = np.array(lower_row, dtype=float)
        lp.row_upper_ = np.array(upper_row, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self.lp = lp

    def _highs(self, time_limit: float | None = None) -> highspy.Highs:
        h = _new_highs()
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 1)
        if time_limit is not None:
            h.setOptionValue("time_limit", max(0.1, time_limit))
        return h

    def _split(self, values) -> tuple[dict[int, list], dict[int, float]]:
        counts, unplaced = {}, {}
        for k in self.comp.items:
            first, days = self.column[k], len(self.pb.items[k].days)
            counts[k] = list(values[first : first + days])
            unplaced[k] = values[first + days]
        return counts, unplaced

    def relaxation(self):
        """The LP relaxation's optimal vertex, split per item, and its value; or None."""
        h = self._highs()
        h.passModel(self.lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        counts, unplaced = self._split(h.getSolution().col_value)
        return counts, unplaced, h.getInfo().objective_function_value

    def solve(
        self,
        counts,
        unplaced,
        time_limit: float,
        gap_limit: float,
        stop: threading.Event | None = None,
    ):
        """The integer program from the plan (counts, unplaced): (counts, unplaced, lower
        bound, proven within gap_limit), or None when nothing was found in the time.
        ``stop``, once set, interrupts the search (its best plan so far is returned)."""
        self.lp.integrality_ = [highspy.HighsVarType.kInteger] * self.n_int + [
            highspy.HighsVarType.kContinuous
        ] * (self.lp.num_col_ - self.n_int)
        h = self._highs(time_limit)
        h.setOptionValue("mip_rel_gap", gap_limit)
        h.passModel(self.lp)
        start = [0.0] * self.lp.num_col_
        for k in self.comp.items:
            first = self.column[k]
            start[first : first + len(counts[k])] = counts[k]
            start[first + len(counts[k])] = unplaced[k]
        running: dict[int, float] = defaultdict(float)
        done: dict[int, int] = defaultdict(int)  # prerequisite days counted, per link
        for link, i, col in self.slacks:
            ka, kb = self.comp.links[link]
            a, t = self.pb.items[ka], self.pb.items[kb].days[i]
            while done[link] < len(a.days) and a.days[done[link]] < t:
                running[link] += counts[ka][done[link]]
                done[link] += 1
            running[link] -= counts[kb][i]
            start[col] = max(0.0, running[link])
        solution = highspy.HighsSolution()
        solution.col_value = start
        solution.value_valid = True
        h.setSolution(solution)
        if stop is not None:
            h.cbMipInterrupt.subscribe(lambda event: event.interrupt() if stop.is_set() else None)
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            return None
        counts, unplaced = self._split(h.getSolution().col_value)
        counts = {k: [int(round(v)) for v in c] for k, c in counts.items()}
        unplaced = {k: int(round(v)) for k, v in unplaced.items()}
        proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return counts, unplaced, info.mip_dual_bound, proven
