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
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Run one simulation and write its run folder (time series, summary, config, manifest, figure)."""
    from tqdm import tqdm

    from experiments.run_folder import check_writable, default_out_dir, format_summary, write_run_folder
    from simulation.config import load_config
    from simulation.runner import run as run_model

    if seed is not None and seed < 0:
        _fail(f"--seed: {seed} is not allowed; expected an integer >= 0")
    if days is not None and days < 1:
        _fail(f"--days: {days} is not allowed; expected an integer >= 1")
    cfg = load_config(_config_arg(config))
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
    typer.echo(f"\n{result.summary['days']} days in {result.wall_seconds:.1f} s (build {result.build_seconds:.1f} s)")
    typer.echo(f"run folder: {path}")


@app.command()
def validate(
    config: Optional[Path] = typer.Argument(None, help="YAML config (default: the bundled baseline)."),
    replicates: int = typer.Option(5, "--replicates", "-r", help="Seeds per check (common random numbers)."),
    seed: int = typer.Option(1, "--seed", help="First seed; replicate i uses seed + i."),
) -> None:
    """Check the stylised facts of the calibration sources; print a pass/fail table."""
    from tqdm import tqdm

    from experiments.validate import N_RUNS_PER_SEED, format_checks, validate as run_checks

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


def main() -> None:
    """Console entry point: run the app, turning InputError into one line and exit status 2."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        app(standalone_mode=False)
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
    except Exception as err:  # click usage errors
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(EXIT_INPUT)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
