"""``safetysim app``: serve the teaching page (``simulation/teaching/app.py``) with Solara.

Before starting, makes sure Solara's local asset cache is complete (fetching any missing package
from the npm registry), so the page renders on a machine without access to the public CDN; then
runs Solara's own ``solara run`` in this process — the same server ``solara run
simulation/teaching/app.py`` starts — with one addition: a loopback-only JSON route
(:data:`STATS_PATH`) that reports the live sessions and models, so tests and benchmarks can check
that a closed tab's model is freed.

``--classroom`` is the setting for a class: Solara's production mode (no tracebacks in the page,
no reloading of the code), every network interface, and a session whose tab went away without
closing (a laptop lid shut, the Wi-Fi dropped) reclaimed after :data:`CLASSROOM_CULL_TIMEOUT`
instead of Solara's default 24 hours.  A tab that is closed is reclaimed at once (the page sends
Solara's close beacon).  ``--lang`` reaches the page as the environment variable ``SAFETYSIM_LANG``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer

from simulation.mesa_compat import release_finished_models

APP_FILE = Path(__file__).resolve().with_name("app.py")
# Headless chromium on a machine without internet: no sandbox as root, and no background
# connections (they would be refused and logged).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]
LANG_ENV = "SAFETYSIM_LANG"
LANGUAGES = ("en", "zh")
STATS_PATH = "/_safetysim/stats"
# A session whose browser vanished without closing the tab is kept this long for a reconnect
# (Solara's SOLARA_KERNEL_CULL_TIMEOUT; its own default is 24h, too long for 30 laptops a lesson).
CLASSROOM_CULL_TIMEOUT = "10m"


class ServeError(ValueError):
    """A bad ``safetysim app`` option; the message is the one line the CLI prints after ``error:``."""


def prepare_assets() -> None:
    from simulation.teaching.offline_assets import AssetError, fill, missing

    try:
        if missing():
            typer.echo("Caching the page's JavaScript for offline use (once) ...", err=True)
        fill(log=lambda msg: typer.echo(f"  {msg}", err=True))  # fetches only what is missing
    except AssetError as err:
        typer.echo(f"warning: could not cache the page's assets ({err}); the page will load them from the public CDN", err=True)


def solara_args(host: str, port: int, open_browser: bool, production: bool) -> list[str]:
    """The arguments of ``solara run`` for the page (without the program name)."""
    args = ["run", str(APP_FILE), "--host", host, "--port", str(port)]
    args.append("--open" if open_browser else "--no-open")
    if production:
        args.append("--production")
    return args


def check_options(host: str, port: int, lang: str | None) -> None:
    """Raise :class:`ServeError` for an option the server could not use (before anything starts)."""
    if lang is not None and lang not in LANGUAGES:
        raise ServeError(f"--lang: {lang!r} is not a language of the page; allowed: {', '.join(LANGUAGES)}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ServeError(f"--host: {host!r} is not an IP address; allowed: 127.0.0.1 (this computer), "
                             "0.0.0.0 (every network interface) or one of this computer's addresses") from None
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((host, port))
        except OSError as err:
            why = "is already in use" if err.errno == 98 else f"cannot be used on {host} ({err.strerror})"
            raise ServeError(f"--port: {port} {why}; allowed: a free port, e.g. --port {port + 1}") from None


def lan_address() -> str | None:
    """This computer's address on the local network (the one students type), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # a UDP connect sends nothing; it only picks the route
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def serve(host: str | None = None, port: int = 8765, open_browser: bool = False, production: bool = False,
          classroom: bool = False, lang: str | None = None) -> None:
    """Start the page's server in this process; returns when it stops (Ctrl+C)."""
    if host is None:
        host = "0.0.0.0" if classroom else "127.0.0.1"
    check_options(host, port, lang)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Solara's hook linter warns about a pattern inside Mesa's own SolaraViz; not ours to fix.
    os.environ.setdefault("SOLARA_CHECK_HOOKS", "off")
    if lang is not None:
        os.environ[LANG_ENV] = lang
    if classroom:
        production = True
        os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CLASSROOM_CULL_TIMEOUT)
    prepare_assets()
    if host == "0.0.0.0":
        address = lan_address()
        where = f"http://{address}:{port}/ (students on this network)" if address else "this computer's network address"
        typer.echo(f"Teaching page: {where}; on this computer http://127.0.0.1:{port}/  (Ctrl+C stops it)", err=True)
    else:
        typer.echo(f"Teaching page: http://{host}:{port}/  (Ctrl+C stops it)", err=True)
    run_solara(solara_args(host, port, open_browser, production))


def stats() -> dict:
    """Live Solara sessions and Mesa models in this server (after a garbage collection).

    ``models`` counts every :class:`mesa.Model` still in memory, so a closed tab whose model was
    not freed shows up here whatever the page keeps it in.
    """
    import psutil
    from solara.server import kernel_context

    from simulation.mesa_compat import models_in_memory

    models = models_in_memory()
    return {"sessions": len(kernel_context.contexts), "models": models,
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1), "lang": os.environ.get(LANG_ENV)}


def _add_stats_route() -> None:
    """Add :data:`STATS_PATH` to Solara's Starlette app (answers only requests from this computer)."""
    import anyio
    from solara.server.starlette import app
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request):
        client = request.client.host if request.client else ""
        if client not in ("127.0.0.1", "::1"):
            return JSONResponse({"error": "only from this computer"}, status_code=403)
        return JSONResponse(await anyio.to_thread.run_sync(stats))

    app.router.routes.insert(0, Route(STATS_PATH, endpoint=endpoint))


def _no_websocket_compression() -> None:
    """Serve the page's websocket without per-message deflate.

    A step sends about 20 kB of chart data; on a classroom network that is nothing, while
    compressing it cost the server about a fifth of a step's CPU (measured with a sampling
    profiler), which 30 students pay thirty times.  ``solara run`` has no option for it, so the
    uvicorn ``Config`` it builds gets ``ws_per_message_deflate=False`` by default.
    """
    import uvicorn

    if getattr(uvicorn.Config, "_safetysim_no_deflate", False):
        return
    base = uvicorn.Config

    class Config(base):
        _safetysim_no_deflate = True

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("ws_per_message_deflate", False)
            super().__init__(*args, **kwargs)

    uvicorn.Config = Config


def run_solara(args: list[str]) -> None:
    """``solara run ARGS`` in this process, with the stats route added to its app.

    Solara reads the app file and the mode when its server modules are imported (which adding
    the route does), so both are put in the environment first, as ``solara run`` would.
    """
    os.environ["SOLARA_APP"] = args[1]
    os.environ["SOLARA_MODE"] = "production" if "--production" in args else "development"
    release_finished_models()  # a closed tab's village is freed with its session
    _add_stats_route()
    _no_websocket_compression()
    from solara.__main__ import cli

    sys.stdout.flush()
    sys.stderr.flush()
    cli.main(args=args, prog_name="solara", standalone_mode=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def background_server(log=subprocess.DEVNULL, timeout: float = 120.0, args: tuple[str, ...] = (), env: dict | None = None):
    """Run ``safetysim app`` on a free local port in the background; yields the page's URL.

    For tests, benchmarks and screenshots: the server is started exactly as a user starts it (the
    CLI; ``args`` are more of its options, ``env`` more environment variables), and stopped with
    its whole process group on exit.  The process is ``background_server.process`` meanwhile.
    """
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # serve as a user would
    full_env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "experiments.commands.cli", "app", "--port", str(port), *args]
    if "--host" not in args:
        cmd += ["--host", "127.0.0.1"]  # loopback, also with --classroom
    proc = subprocess.Popen(cmd, cwd=APP_FILE.parents[2], env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    background_server.process = proc
    with serving(proc, port, timeout, "`safetysim app`") as url:
        yield url


@contextlib.contextmanager
def serving(proc: subprocess.Popen, port: int, timeout: float, what: str):
    """Wait until ``proc`` serves ``http://127.0.0.1:PORT/``, yield that URL, then stop its process group."""
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
                raise RuntimeError(f"{what} did not serve {url} (exit code {proc.poll()})")
            time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def server_stats(url: str) -> dict:
    """The JSON of :data:`STATS_PATH` of a running server at ``url``."""
    import json

    with urllib.request.urlopen(url.rstrip("/") + STATS_PATH, timeout=60) as response:
        return json.loads(response.read())
