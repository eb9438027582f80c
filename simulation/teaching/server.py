"""``safetysim app``: serve the teaching page (``simulation/teaching/app.py``) with Solara.

Before starting, makes sure Solara's local asset cache is complete (fetching any missing package
from the npm registry), so the page renders on a machine without access to the public CDN; then
replaces this process with ``solara run`` — the same server ``solara run simulation/teaching/app.py``
starts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

APP_FILE = Path(__file__).resolve().with_name("app.py")
# Headless chromium on a machine without internet: no sandbox as root, and no background
# connections (they would be refused and logged).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def prepare_assets() -> None:
    from simulation.teaching.offline_assets import AssetError, fill, missing

    try:
        if missing():
            typer.echo("Caching the page's JavaScript for offline use (once) ...", err=True)
        fill(log=lambda msg: typer.echo(f"  {msg}", err=True))  # fetches only what is missing
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def background_server(log=subprocess.DEVNULL, timeout: float = 120.0):
    """Run ``safetysim app`` on a free local port in the background; yields the page's URL.

    For tests and screenshots: the server is started exactly as a user starts it (the CLI), and
    stopped with its whole process group on exit.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # serve as a user would
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    proc = subprocess.Popen([sys.executable, "-m", "experiments.commands.cli", "app", "--port", str(port)], cwd=APP_FILE.parents[2],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"`safetysim app` did not serve {url} (exit code {proc.poll()})")
            time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
