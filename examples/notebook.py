"""Results in Python, as in a notebook: make (or reuse) a run, a sweep and an experiment, load them
back, and draw figures with `featlearn.plot`.

    python examples/notebook.py [--out results] [--quick]

Each cell below is what you would type in a notebook (there, leave a figure as the cell's value to see
it). `--quick` shortens the default run's annealing (4 epochs of at most 500 steps) and runs the sweep
for one seed, so the script takes about a minute; the figures are written to OUT/figures/.
"""

import argparse
from pathlib import Path

import featlearn
from featlearn.sweep import load_sweep as read_sweep_file
from featlearn.workflows import reproduce, run_sweep

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", type=Path, default=Path("results"))
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
out, figdir = args.out, args.out / "figures"
figdir.mkdir(parents=True, exist_ok=True)

# %% A run: the built-in default (d = 20, m* = 3, m = 64), written to out/runs/<name>-<digest>/
config = featlearn.load_config("default", ["stages.2.epochs=4", "stages.2.steps_per_epoch=500"] if args.quick else [])
run_dirs = sorted((out / "runs").glob(f"default-{featlearn.config.digest(config)[:10]}"))
path = run_dirs[0] if run_dirs else featlearn.run(config, out=out / "runs").out_dir
run = featlearn.load_run(path)
print(f"run {path.name}: status {run.summary.status}, loss {run.summary.final_population_loss:.3e}, "
      f"recovered {run.summary.recovered}, {len(run.trajectory)} trajectory snapshots")
print(run.metrics[["step", "stage", "population_loss", "far_mass"]].tail(3).to_string(index=False))

# %% Figures of the run (matplotlib Figures; nothing touches pyplot's global state)
featlearn.plot.loss(run).savefig(figdir / "run_loss.png")
featlearn.plot.teacher_planes(run, snapshot=len(run.trajectory) // 8).savefig(figdir / "run_planes_early.png")

# %% A sweep: the shipped "small" sweep (2 initial weight decays × 2 seeds; --quick: one seed), loaded
# with its runs lazily
if not (out / "sweeps" / "small" / "results.parquet").is_file():
    spec = read_sweep_file(featlearn.config.yaml_io.SHIPPED / "sweeps" / "small.yaml")
    if args.quick:
        spec.grid["seed"] = [0]
    run_sweep(spec, out=out / "sweeps")
sweep = featlearn.load_sweep(out / "sweeps" / "small")
print(sweep.results[["point", "stages.2.lam0", "seed", "status", "final_population_loss"]].to_string(index=False))
featlearn.plot.sweep_metric(sweep, "final_population_loss", "stages.2.lam0").savefig(figdir / "sweep_loss.png")
first = sweep.run(0)  # one run of the sweep, loaded on demand
print(f"sweep point 0: {first.config.name}, far mass {first.summary.far_mass:.2e}")

# %% An experiment: E2 (annealed weight decay against plain GD) at its CI size
if not (out / "experiments" / "E2-small" / "claims.json").is_file():
    reproduce("E2", "small", out / "experiments")
exp = featlearn.load_experiment(out / "experiments" / "E2-small")
for c in exp.claims:
    print(f"{exp.id} {'PASS' if c.passed else 'FAIL'}: {c.name}: {c.criterion} (measured {c.value})")
name = next(iter(exp.runs))
featlearn.plot.far_mass(exp.runs[name]).savefig(figdir / "experiment_far_mass.png")
print(f"wrote {len(list(figdir.glob('*.png')))} figures to {figdir}")
