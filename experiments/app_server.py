"""``safetysim app``: serve the teaching page (``simulation/app.py``) with Solara.

Before starting, makes sure Solara's local asset cache is complete (fetching any missing package
from the npm registry), so the page renders on a machine without access to the public CDN; then
replaces this process with ``solara run`` — the same server ``solara run simulation/app.py``
starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

APP_FILE = Path(__file__).resolve().parents[1] / "simulation" / "app.py"


def prepare_assets() -> None:
    from experiments.offline_assets import AssetError, fill, missing

    try:
        if missing():
            typer.echo("Caching the page's JavaScript for offline use (once) ...", err=True)
            fill(log=lambda msg: typer.echo(f"  {msg}", err=True))
        else:
            fill(log=lambda msg: None)  # only marks Solara's install check as done
    except AssetError as err:
        typer.echo(f"warning: could not cache the page's assets ({err}); the page will load them from the public CDN", err=True)


def solara_command(host: str, port: int, open_browser: bool, production: bool) -> list[str]:
    cmd = [sys.executable, "-m", "solara", "run", str(APP_FILE), "--host", host, "--port", str(port)]
    cmd.append("--open" if open_browser else "--no-open")
    if production:
        cmd.append("--production")
    return cmd


def serve(host: str, port: int, open_browser: bool = False, production: bool = False) -> None:
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Solara's hook linter warns about a pattern inside Mesa's own SolaraViz; not ours to fix.
    os.environ.setdefault("SOLARA_CHECK_HOOKS", "off")
    prepare_assets()
    typer.echo(f"Teaching page: http://{host}:{port}/  (Ctrl+C stops it)", err=True)
    cmd = solara_command(host, port, open_browser, production)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)
