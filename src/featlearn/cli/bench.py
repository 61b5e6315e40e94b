"""`featlearn bench [--quick] [--json]`: the performance table of DESIGN §5."""

from __future__ import annotations

import json

import typer


GOALS = {"P1_m64_d20": ("≤", 2.5), "P1_m256_d100": ("≤", 1.3), "P1_m1024_d100": ("≤", 1.3), "P1_m4096_d200": ("≤", 1.3), "F32": ("≤", 0.6),
         "G1": ("≥", 5e5), "P2": ("≥", 15), "P2b": ("≥", 3), "P3_roofline": ("≤", 1.5), "P3_vs_loop": ("≤", 1.0), "P3_vs_loop_m64_d20": ("≤", 1.0),
         "P4": ("≥", 0.5), "P5_seconds": ("≤", 30), "P5b": ("≤", 0.5), "P5b_steps": ("≤", 1 / 3), "P6_seconds": ("≤", 60), "P6_peak_gb": ("≤", 4), "P7": ("≤", 8), "P8": ("≥", 5)}
NAMES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "F32")


def collect(quick: bool, only: list[str] | None = None) -> dict:
    from featlearn.bench import cli_run, empirical, hessian, population, quadrature, torch_compare

    parts = {"P1": population.p1, "P2": torch_compare.p2, "P3": population.p3, "P4": empirical.p4, "P5": cli_run.p5,
             "P7": quadrature.p7, "P8": hessian.p8, "F32": population.f32}
    try:
        from featlearn.bench import krr

        parts["P6"] = krr.p6
    except ImportError:
        pass
    out: dict = {}
    for name, fn in parts.items():
        if only and name not in only:
            continue
        out.update(fn(quick))
    return out


def bench_cmd(
    quick: bool = typer.Option(False, "--quick", help="Smaller sizes and fewer repeats."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object {\"P1\": value, ...}."),
    only: list[str] = typer.Option([], "--only", help="Run only these benchmarks (P1 … P8, F32), repeatable."),
    gpu: bool = typer.Option(False, "--gpu", help="Only the GPU check (G1, P1 at m = 4096 on the accelerator); \"skipped\" without one."),
):
    """Measure the ratios of DESIGN §5 and §7.8 side by side in this process."""
    bad = [o for o in only if o not in NAMES]
    if bad:
        from featlearn.config import ConfigError

        raise ConfigError(f"--only: unknown benchmark {bad[0]!r}; valid: {', '.join(NAMES)}")
    if gpu:
        from featlearn.bench.gpu import gpu as gpu_check

        res = gpu_check(quick)
    else:
        res = collect(quick, only or None)
    if as_json:
        typer.echo(json.dumps(res))
        return
    for k, v in res.items():
        goal = GOALS.get(k)
        verdict = ""
        if goal and isinstance(v, (int, float)) and not isinstance(v, bool):
            ok = v <= goal[1] if goal[0] == "≤" else v >= goal[1]
            verdict = f"   goal {goal[0]} {goal[1]:.4g}: {'met' if ok else 'MISSED'}"
        typer.echo(f"{k:24s} {v if not isinstance(v, float) else f'{v:.4g}'}{verdict}")
