r"""Fits with intervals for the quantitative experiments (E10–E13): power laws, logarithmic laws and
sharp thresholds, each with a bootstrap interval.

- `power_law(x, y)`: least squares on logs, log y = b + p·log x, so y ≈ e^b · x^p. The exponent p is the
  slope; its interval is the percentile interval of p over bootstrap resamples of the (x, y) pairs.
- `log_law(x, y)`: least squares y = b + p·log x (a quantity that grows like the logarithm of x, e.g.
  steps against log(1/ε)).
- `threshold(x, success)`: the level x₀ at which a success probability that falls with x crosses 50 %,
  from the maximum-likelihood logistic curve in log₁₀ x,

      P(success | x) = 1 / (1 + exp((log₁₀ x − log₁₀ x₀) / s)),

  with the interval of x₀ over bootstrap resamples of the trials, and the width of the transition: the
  decades between P = 0.9 and P = 0.1, 2·ln 9·s.

Pure numpy and scipy: no JAX, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

LEVEL = 0.95
N_BOOT = 2000


@dataclass(frozen=True)
class Fit:
    """A straight-line fit y' = intercept + slope·x' in transformed coordinates (`form`: "power": x' = log x,
    y' = log y; "log": x' = log x, y' = y), with the bootstrap interval of the slope at `level`, the
    coefficient of determination `r2` (in the transformed coordinates) and the root-mean-square residual
    `rms` (ditto; on logs for a power law, so comparable between forms only through `r2`)."""

    form: str
    slope: float
    intercept: float
    low: float
    high: float
    level: float
    r2: float
    rms: float
    n: int

    def predict(self, x) -> np.ndarray:
        lx = np.log(np.asarray(x, float))
        return np.exp(self.intercept + self.slope * lx) if self.form == "power" else self.intercept + self.slope * lx

    def contains(self, value: float) -> bool:
        """Whether `value` lies in the slope's interval."""
        return bool(self.low <= value <= self.high)

    def as_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}

    def __str__(self) -> str:
        pct = round(100 * self.level)
        return f"{self.slope:.3g} [{self.low:.3g}, {self.high:.3g}] ({pct}% bootstrap, R² = {self.r2:.3f}, {self.n} points)"


@dataclass(frozen=True)
class Threshold:
    """The 50 % level `x0` of a falling success probability with its bootstrap interval [low, high], the
    transition width in decades (P from 0.9 to 0.1) with its interval, and the trials behind it."""

    x0: float
    low: float
    high: float
    width_decades: float
    width_low: float
    width_high: float
    level: float
    n: int

    def probability(self, x) -> np.ndarray:
        s = self.width_decades / (2 * np.log(9.0))
        return 1.0 / (1.0 + np.exp((np.log10(np.asarray(x, float)) - np.log10(self.x0)) / s))

    def as_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in asdict(self).items()}

    def __str__(self) -> str:
        return (f"{self.x0:.3g} [{self.low:.3g}, {self.high:.3g}], width {self.width_decades:.2g} decades "
                f"[{self.width_low:.2g}, {self.width_high:.2g}] ({round(100 * self.level)}% bootstrap, {self.n} trials)")


def _line(X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    A = np.stack([np.ones_like(X), X], axis=1)
    (b, p), *_ = np.linalg.lstsq(A, Y, rcond=None)
    return float(p), float(b)


def _check(x, y, name: str, positive_y: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"{name}: x and y differ in length ({x.size} and {y.size})")
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & ((y > 0) if positive_y else True)
    x, y = x[ok], y[ok]
    if np.unique(x).size < 2:
        raise ValueError(f"{name}: needs at least two distinct positive x with finite{' positive' if positive_y else ''} y")
    return x, y


def _fit(form: str, X: np.ndarray, Y: np.ndarray, n_boot: int, seed: int, level: float) -> Fit:
    p, b = _line(X, Y)
    res = Y - (b + p * X)
    tot = np.sum((Y - Y.mean()) ** 2)
    r2 = 1.0 - float(np.sum(res**2) / tot) if tot > 0 else 1.0
    rng = np.random.default_rng(seed)
    slopes = []
    n = X.size
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        if np.ptp(X[idx]) == 0:  # a resample with one x has no slope
            continue
        slopes.append(_line(X[idx], Y[idx])[0])
    q = (1 - level) / 2
    low, high = (np.quantile(slopes, [q, 1 - q]) if slopes else (np.nan, np.nan))
    return Fit(form, p, b, float(low), float(high), level, r2, float(np.sqrt(np.mean(res**2))), n)


def power_law(x, y, *, n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> Fit:
    """y ≈ C·x^p by least squares on logs (points with x ≤ 0, y ≤ 0 or non-finite are left out); the
    slope is p, with its bootstrap percentile interval at `level`."""
    x, y = _check(x, y, "power_law", positive_y=True)
    return _fit("power", np.log(x), np.log(y), n_boot, seed, level)


def log_law(x, y, *, n_boot: int = N_BOOT, seed: int = 0, level: float = LEVEL) -> Fit:
    """y ≈ b + p·log x by least squares; the slope is p, with its bootstrap percentile interval."""
    x, y = _check(x, y, "log_law", positive_y=False)
    return _fit("log", np.log(x), y, n_boot, seed, level)


def _logistic_mle(lx: np.ndarray, s: np.ndarray, min_scale: float, start=None) -> tuple[float, float]:
    """(c, scale) maximising the likelihood of P(s = 1 | lx) = 1/(1 + exp((lx − c)/scale)), scale ≥ min_scale
    (separable data would drive the scale to zero: the floor keeps the fit defined). Without `start`, the
    best of seven starts across the range."""
    from scipy.optimize import minimize

    def nll(theta):
        c, log_sc = theta
        z = (lx - c) / np.exp(log_sc)
        # −log P(s) with P(1) = σ(−z), P(0) = σ(z), computed stably
        return float(np.sum(np.where(s > 0.5, np.logaddexp(0.0, z), np.logaddexp(0.0, -z))))

    lo, hi = float(lx.min()), float(lx.max())
    best = None
    starts = [start] if start is not None else [(c0, max(0.2 * (hi - lo), 2 * min_scale)) for c0 in np.linspace(lo, hi, 7)]
    for c0, sc0 in starts:
        r = minimize(nll, x0=[c0, np.log(max(sc0, min_scale))], method="L-BFGS-B",
                     bounds=[(lo - (hi - lo), hi + (hi - lo)), (np.log(min_scale), np.log(10 * (hi - lo) + 1.0))])
        if best is None or r.fun < best.fun:
            best = r
    return float(best.x[0]), float(np.exp(best.x[1]))


def threshold(x, success, *, n_boot: int = 400, seed: int = 0, level: float = LEVEL, min_width_decades: float = 0.02) -> Threshold:
    """The level x₀ where P(success) crosses 50 % for a success probability that falls with x (one trial per
    entry: x > 0, success 0/1), from a logistic fit in log₁₀ x; bootstrap over the trials. The width (decades
    from P = 0.9 to 0.1) is at least `min_width_decades` (the resolution a finite grid can show)."""
    x, s = np.asarray(x, float).ravel(), np.asarray(success, float).ravel()
    if x.shape != s.shape:
        raise ValueError(f"threshold: x and success differ in length ({x.size} and {s.size})")
    ok = np.isfinite(x) & (x > 0)
    lx, s = np.log10(x[ok]), s[ok]
    if np.unique(lx).size < 2 or s.min() == s.max():
        raise ValueError("threshold: needs trials at two or more levels x > 0 with both successes and failures")
    k = 2 * np.log(9.0)
    floor = min_width_decades / k
    c, sc = _logistic_mle(lx, s, floor)
    rng = np.random.default_rng(seed)
    cs, ws = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, lx.size, lx.size)
        if np.unique(lx[idx]).size < 2 or s[idx].min() == s[idx].max():
            continue
        cb, sb = _logistic_mle(lx[idx], s[idx], floor, start=(c, sc))
        cs.append(cb)
        ws.append(k * sb)
    q = (1 - level) / 2
    clo, chi = np.quantile(cs, [q, 1 - q]) if cs else (np.nan, np.nan)
    wlo, whi = np.quantile(ws, [q, 1 - q]) if ws else (np.nan, np.nan)
    return Threshold(float(10**c), float(10**clo), float(10**chi), float(k * sc), float(wlo), float(whi), level, int(lx.size))


__all__ = ["Fit", "Threshold", "log_law", "power_law", "threshold"]
