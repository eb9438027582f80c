"""The ``safetysim`` command line.

Every command turns bad input into one line on stderr — ``error: <field path>: <value> ...`` —
and exit status 2, without a traceback (see :class:`simulation.errors.InputError`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from simulation.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Community Safety Governance Simulator: run, validate and compare scenarios of public participation in grassroots safety governance.",
    pretty_exceptions_enable=False,
)

EXIT_INPUT = 2


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_INPUT)


def _config_arg(config: Optional[Path]) -> Path:
    from simulation.config import bundled_config_path

    return config if config is not None else bundled_config_path("baseline")


@app.command()
def run(
    config: Optional[Path] = typer.Argument(None, help="YAML config (default: the bundled baseline)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default: run.seed of the config)."),
    days: Optional[int] = typer.Option(None, "--days", help="Recorded days (default: run.days of the config)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run folder to create (default: results/<name>-seed<N>-<time>)."),
    scenario: list[Path] = typer.Option([], "--scenario", help="A file of dotted-path overrides applied on top (e.g. configs/paths/p1_subjects.yaml); repeatable."),
    set_: list[str] = typer.Option([], "--set", help="One override KEY=VALUE with a dotted key (e.g. levers.training.coverage=0.5); repeatable."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Run one simulation and write its run folder (time series, summary, config, manifest, figure)."""
    from tqdm import tqdm

    from experiments.execution.run_folder import check_writable, default_out_dir, format_summary, write_run_folder
    from simulation.config import load_config
    from simulation.constraints import binding_constraints, format_constraints
    from simulation.runner import run as run_model

    if seed is not None and seed < 0:
        _fail(f"--seed: {seed} is not allowed; expected an integer >= 0")
    if days is not None and days < 1:
        _fail(f"--days: {days} is not allowed; expected an integer >= 1")
    cfg = load_config(_config_arg(config))
    cfg = cfg.with_overrides(_overrides(scenario, set_))
    if days is not None:
        cfg = cfg.with_overrides({"run.days": days})
    seed_used = cfg.run.seed if seed is None else seed
    out_dir = out if out is not None else default_out_dir(cfg.name, seed_used)
    check_writable(out_dir)
    bar = tqdm(total=cfg.run.days, desc=f"{cfg.name} seed {seed_used}", unit="day", disable=not progress, file=sys.stderr)
    try:
        result = run_model(cfg, seed=seed_used, progress=lambda: bar.update(1))
    finally:
        bar.close()
    path = write_run_folder(result, out_dir, command=sys.argv)
    typer.echo(format_summary(result.summary))
    typer.echo("\n" + format_constraints(binding_constraints(result.summary | {"constraints": result.constraints})))
    from experiments.reporting.district_outputs import district_text

    if district_text(result.districts):  # a world of several districts: one line each, binding factor included
        typer.echo("\n" + district_text(result.districts))
    typer.echo(f"\n{result.summary['days']} days in {result.wall_seconds:.1f} s (build {result.build_seconds:.1f} s)")
    typer.echo(f"run folder: {path}")


def _overrides(scenario_files: list[Path], sets: list[str]) -> dict:
    """Overrides from ``--scenario`` files (dotted keys) and ``--set KEY=VALUE`` pairs, in order."""
    import yaml

    from simulation.config import read_yaml

    out: dict = {}
    for f in scenario_files:
        out.update(read_yaml(f))
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            _fail(f"--set: {item!r} is not allowed; expected KEY=VALUE with a dotted key, e.g. levers.training.coverage=0.5")
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            _fail(f"--set {key}: {raw!r} is not a valid value")
    return out


@app.command()
def compare(
    config: Path = typer.Argument(..., help="A compare file: base config, scenarios, replicates, reference (e.g. configs/compare_paths.yaml)."),
    replicates: Optional[int] = typer.Option(None, "--replicates", "-n", help="Seeded replicates per scenario (default: the file's)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel worker processes (default: the file's executor; 1 = in-process)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: results/<name>); re-running resumes."),
    executor: Optional[str] = typer.Option(None, "--executor", help="inline, process or dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786."),
    adjust: Optional[str] = typer.Option(None, "--adjust", help="Multiple-comparison adjustment of p-values: holm (default), bh or none (default: the file's adjust)."),
) -> None:
    """Compare scenarios (e.g. the optimization paths) with paired statistics, costs, figures and a report."""
    from experiments.analysis.compare import cmd_compare

    raise typer.Exit(cmd_compare(config, replicates, jobs, out, executor, scheduler, adjust=adjust))


_OUT = typer.Option(None, "--out", help="Output folder (default: results/<spec name>); re-running resumes.")
_EXECUTOR = typer.Option(None, "--executor", help="inline, process or dask (default: the spec's).")
_WORKERS = typer.Option(None, "--workers", "-j", help="Worker processes (default: all cores).")
_SCHEDULER = typer.Option(None, "--scheduler", help="Dask scheduler address of an existing cluster, e.g. tcp://HOST:8786.")


@app.command()
def sweep(spec: Path = typer.Argument(..., help="Experiment spec YAML."), out: Optional[Path] = _OUT,
          executor: Optional[str] = _EXECUTOR, workers: Optional[int] = _WORKERS, scheduler: Optional[str] = _SCHEDULER) -> None:
    """Run (or resume) every run of an experiment design; exit 1 if any run failed."""
    from experiments.commands.commands_engine import cmd_sweep

    raise typer.Exit(cmd_sweep(spec, out, executor, workers, scheduler))


@app.command()
def sensitivity(spec: Path = typer.Argument(..., help="Spec with a sobol or morris design."), out: Optional[Path] = _OUT,
                executor: Optional[str] = _EXECUTOR, workers: Optional[int] = _WORKERS, scheduler: Optional[str] = _SCHEDULER) -> None:
    """Sobol (S1, ST with CIs) or Morris (mu*, sigma) sensitivity indices per KPI, with table and figure."""
    from experiments.commands.commands_engine import cmd_sensitivity

    raise typer.Exit(cmd_sensitivity(spec, out, executor, workers, scheduler))


@app.command()
def optimize(spec: Path = typer.Argument(..., help="Spec with an optimize section."), out: Optional[Path] = _OUT,
             executor: Optional[str] = _EXECUTOR, workers: Optional[int] = _WORKERS, scheduler: Optional[str] = _SCHEDULER) -> None:
    """Search lever settings for the best KPI under a budget cap (Optuna; resumable)."""
    from experiments.commands.commands_engine import cmd_optimize

    raise typer.Exit(cmd_optimize(spec, out, executor, workers, scheduler))


@app.command()
def robustness(spec: Path = typer.Argument(..., help="Robustness spec: a compare file, ensemble (lhs ranges and/or posterior.parquet), kpis."),
               out: Optional[Path] = _OUT, executor: Optional[str] = _EXECUTOR, workers: Optional[int] = _WORKERS) -> None:
    """Compare scenarios over an ensemble of parameter sets: P(best), regret, ranking flips, PRIM boxes, report."""
    from experiments.commands.robustness_command import cmd_robustness

    raise typer.Exit(cmd_robustness(spec, out, executor, workers))


@app.command()
def calibrate(spec: Path = typer.Argument(..., help="Calibration spec YAML (priors, facts with target ranges; e.g. configs/calibrate.yaml)."),
              out: Optional[Path] = _OUT, executor: Optional[str] = _EXECUTOR, workers: Optional[int] = _WORKERS,
              scheduler: Optional[str] = _SCHEDULER) -> None:
    """ABC-SMC calibration of parameters to the stylised facts (pyabc; resumable): posterior, diagnostics, figures, predictive check."""
    from experiments.analysis.calibrate import cmd_calibrate

    raise typer.Exit(cmd_calibrate(spec, out, executor, workers, scheduler))


@app.command()
def status(folder: Path = typer.Argument(..., help="An experiment output folder.")) -> None:
    """Progress of a sweep folder (works while it runs)."""
    from experiments.commands.commands_engine import cmd_status

    raise typer.Exit(cmd_status(folder))


@app.command()
def validate(
    config: Optional[Path] = typer.Argument(None, help="YAML config (default: the bundled baseline)."),
    replicates: int = typer.Option(5, "--replicates", "-r", help="Seeds per check (common random numbers)."),
    seed: int = typer.Option(1, "--seed", help="First seed; replicate i uses seed + i."),
) -> None:
    """Check the stylised facts of the calibration sources; print a pass/fail table."""
    from tqdm import tqdm

    from experiments.analysis.validate import N_RUNS_PER_SEED, format_checks, validate as run_checks

    if replicates < 1:
        _fail(f"--replicates: {replicates} is not allowed; expected an integer >= 1")
    bar = tqdm(total=N_RUNS_PER_SEED * replicates, desc="validate", unit="run", file=sys.stderr)
    try:
        checks = run_checks(_config_arg(config), replicates=replicates, root_seed=seed,
                            progress=lambda label: (bar.set_postfix_str(label), bar.update(1)))
    finally:
        bar.close()
    typer.echo(format_checks(checks))
    if not all(c.passed for c in checks):
        raise typer.Exit(1)


@app.command()
def params(
    section: Optional[str] = typer.Argument(None, help="Only parameters whose path starts with this (e.g. levers.training)."),
) -> None:
    """List every model parameter with its default, unit, meaning and source."""
    from simulation.config import parameter_table

    for row in parameter_table():
        if section and not row["path"].startswith(section):
            continue
        typer.echo(f"{row['path']} = {row['default']}  [{row['unit']}]  {row['meaning']}  (source: {row['source']})")


@app.command("app")
def app_command(
    host: Optional[str] = typer.Option(None, help="Address to serve on: 127.0.0.1 (this computer; the default) or 0.0.0.0 (the whole classroom network; the default with --classroom)."),
    port: int = typer.Option(8765, min=1, max=65535, help="Port to serve on."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open the page in a browser."),
    production: bool = typer.Option(False, "--production", help="Solara's production mode (no tracebacks in the page, no reload)."),
    classroom: bool = typer.Option(False, "--classroom", help="Serve a class: production mode, on every network interface, abandoned sessions freed after 10 minutes."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the page: en or zh (sets SAFETYSIM_LANG)."),
) -> None:
    """Serve the interactive teaching page at http://HOST:PORT/ (`--classroom` for a class of students)."""
    from simulation.teaching.server import ServeError, serve

    try:
        serve(host=host, port=port, open_browser=open_browser, production=production, classroom=classroom, lang=lang)
    except ServeError as err:
        _fail(str(err))


def main() -> None:
    """Console entry point: run the app, turning InputError into one line and exit status 2."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        rc = app(standalone_mode=False)  # returns the exit code of typer.Exit
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(EXIT_INPUT)
    except typer.Exit as ex:
        sys.exit(ex.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # usage errors from the command-line parser (click, vendored or not)
        if hasattr(err, "format_message") and hasattr(err, "exit_code"):
            # One line, like every other input error; --help shows the usage.
            ctx = getattr(err, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            typer.echo(f"error: {err.format_message()}{where}", err=True)
            sys.exit(EXIT_INPUT)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
