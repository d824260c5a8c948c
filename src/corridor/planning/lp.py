"""The strong (facility-indexed) LP relaxation and MILP, solved with HiGHS.

Variables: x[i,t,h] (patient i travels on day t to facility h) and y[t,h] (day t goes to h).
Besides seats per day and facilities per day, the model has, for every facility-day,
``sum_i x[i,t,h] <= K_t y[t,h]`` and, for every x, ``x[i,t,h] <= y[t,h]``. With per-day variables
alone the LP spreads one day over every facility and fills each day with the best patients of all
hospitals; these two families make a day that is 1/12 at each hospital carry only 1/12 of each
hospital's patients, which is what makes the bound strong.

Given integer y the x part is a transportation problem with an integral relaxation, so the MILP only
needs y integer. The same builder serves the lower bound, the 300-second reference runs and the
window sub-problems of the solver (days outside the window held at a given pattern).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from corridor.planning.arrays import Arrays, IntArray, Pattern, fixed_savings

_BANNER_SHOWN = False


def new_highs(threads: int = 1) -> highspy.Highs:
    """A silent HiGHS instance. HiGHS prints a banner on standard output the first time one is made
    in a process, which would corrupt ``plan solve --out -``; that once, standard output is muted."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    return h


@dataclass
class Model:
    a: Arrays
    xi: IntArray  # patient of each x column
    xt: IntArray
    xh: IntArray
    yt: IntArray  # day of each y column (y columns follow the x columns)
    yh: IntArray
    const: float  # objective = const + c @ columns
    highs: highspy.Highs

    @property
    def nx(self) -> int:
        return len(self.xi)


@dataclass
class Relaxation:
    bound: float  # a valid lower bound on the objective
    y: NDArray[np.float64]  # (T, H) fractional facility choice
    x_day: NDArray[np.float64]  # (n, T) fractional patient days
    seconds: float
    optimal: bool


def build(
    a: Arrays,
    *,
    integer: bool = False,
    pattern: Pattern | None = None,
    free_days: NDArray[np.bool_] | None = None,
    patients: NDArray[np.bool_] | None = None,
    threads: int = 1,
) -> Model:
    """Build the model. With ``pattern`` and ``free_days`` only the free days choose facilities; the
    others keep the pattern's facilities. ``patients`` restricts which active patients may move."""
    T, H = a.T, a.H
    t_idx = np.arange(T)
    fixed_th = a.fixed_by_facility()
    free_cap = a.cap - fixed_th.sum(axis=1)

    allowed = a.open & (a.maxfac > 0)[:, None]
    y_lo = (fixed_th > 0).astype(np.float64)
    if pattern is not None and free_days is not None:
        chosen = np.zeros((T, H), dtype=bool)
        for k in range(pattern.shape[1]):
            ok = pattern[:, k] >= 0
            chosen[t_idx[ok], pattern[ok, k]] = True
        held = ~free_days
        allowed[held] &= chosen[held]
        y_lo[held] = np.maximum(y_lo[held], chosen[held].astype(np.float64))

    act = a.active if patients is None else (a.active & patients)
    savings = a.saving_matrix()
    mask = (
        act[:, None, None]
        & (t_idx[None, :] >= a.release[:, None])[:, :, None]
        & a.elig[:, None, :]
        & allowed[None, :, :]
        & (free_cap > 0)[None, :, None]
        & (savings > 0)[:, :, None]
    )
    xi, xt, xh = (v.astype(np.int64) for v in np.nonzero(mask))
    yt, yh = (v.astype(np.int64) for v in np.nonzero(allowed))
    nx, ny = len(xi), len(yt)
    ycol = np.full((T, H), -1, dtype=np.int64)
    ycol[yt, yh] = nx + np.arange(ny)

    cost = np.concatenate([-savings[xi, xt].astype(np.float64), np.zeros(ny)])
    # Patients not allowed to move keep their saving outside the model (see the window solver).
    const = float(a.base_cost - fixed_savings(a).sum())

    rows: list[sparse.coo_matrix] = []
    lo: list[NDArray[np.float64]] = []
    hi: list[NDArray[np.float64]] = []
    ncol = nx + ny
    xcols = np.arange(nx)

    def add(
        r: IntArray,
        c: IntArray,
        v: NDArray[np.float64],
        nrows: int,
        lower: NDArray[np.float64],
        upper: NDArray[np.float64],
    ) -> None:
        rows.append(sparse.coo_matrix((v, (r, c)), shape=(nrows, ncol)))
        lo.append(lower)
        hi.append(upper)

    inf = highspy.kHighsInf
    # each patient at most once
    pid = np.unique(xi)
    prow = np.searchsorted(pid, xi)
    add(prow, xcols, np.ones(nx), len(pid), np.full(len(pid), -inf), np.ones(len(pid)))
    # seats per facility-day, linked to y
    th_row = np.full((T, H), -1, dtype=np.int64)
    th_row[yt, yh] = np.arange(ny)
    add(
        np.concatenate([th_row[xt, xh], np.arange(ny)]),
        np.concatenate([xcols, nx + np.arange(ny)]),
        np.concatenate([np.ones(nx), -a.cap[yt].astype(np.float64)]),
        ny,
        np.full(ny, -inf),
        -fixed_th[yt, yh].astype(np.float64),
    )
    # seats per day (binding only when several facilities a day are allowed)
    add(xt, xcols, np.ones(nx), T, np.full(T, -inf), np.maximum(free_cap, 0).astype(np.float64))
    # facilities per day
    add(yt, nx + np.arange(ny), np.ones(ny), T, np.full(T, -inf), a.maxfac.astype(np.float64))
    # x <= y
    add(
        np.concatenate([xcols, xcols]),
        np.concatenate([xcols, ycol[xt, xh]]),
        np.concatenate([np.ones(nx), -np.ones(nx)]),
        nx,
        np.full(nx, -inf),
        np.zeros(nx),
    )

    matrix = sparse.vstack(rows).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.concatenate([np.zeros(nx), y_lo[yt, yh]])
    lp.col_upper_ = np.ones(ncol)
    lp.row_lower_ = np.concatenate(lo)
    lp.row_upper_ = np.concatenate(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.a_matrix_.num_col_ = ncol
    lp.a_matrix_.num_row_ = matrix.shape[0]
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kContinuous] * nx + [highspy.HighsVarType.kInteger] * ny
    h = new_highs(threads)
    h.passModel(lp)
    return Model(a, xi, xt, xh, yt, yh, const, h)


def relax(a: Arrays, time_limit: float = 60.0) -> Relaxation:
    """Solve the strong LP relaxation with the interior point method (no crossover: only the value
    and a fractional y are needed). ``bound`` is 0 and ``optimal`` False if the limit stops it."""
    start = time.monotonic()
    m = build(a)
    if m.nx == 0:  # nobody can be helped by any trip: the cost is fixed
        return Relaxation(
            max(0.0, m.const), np.zeros((a.T, a.H)), np.zeros((a.n, a.T)), time.monotonic() - start, True
        )
    h = m.highs
    h.setOptionValue("time_limit", max(0.5, time_limit - (time.monotonic() - start)))
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.run()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    y = np.zeros((a.T, a.H))
    x_day = np.zeros((a.n, a.T))
    bound = 0.0
    if optimal:
        col = np.asarray(h.getSolution().col_value)
        np.add.at(x_day, (m.xi, m.xt), col[: m.nx])
        y[m.yt, m.yh] = col[m.nx :]
        value = m.const + h.getInfo().objective_function_value
        # Plans cost whole numbers; the margin absorbs the interior point method's tolerance.
        bound = max(0.0, float(np.ceil(value - 1e-6 * max(1.0, m.const))))
    return Relaxation(bound, y, x_day, time.monotonic() - start, optimal)


def pattern_from_columns(m: Model, col: NDArray[np.float64]) -> Pattern:
    a = m.a
    pattern = np.full((a.T, a.fmax), -1, dtype=np.int64)
    fill = np.zeros(a.T, dtype=np.int64)
    ys = col[m.nx :]
    for k in np.argsort(-ys):
        if ys[k] < 0.5:
            break
        t, hh = int(m.yt[k]), int(m.yh[k])
        if fill[t] < a.fmax:
            pattern[t, fill[t]] = hh
            fill[t] += 1
    return pattern
