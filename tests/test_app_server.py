"""``safetysim app`` option handling (no browser, no server started): ``--classroom``, ``--lang``,
``--host``, ``--port``, their one-line errors, and the fix that lets a closed session's model be freed."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from typer.testing import CliRunner

from experiments.commands.cli import app
from simulation.mesa_compat import release_finished_models
from simulation.teaching import server

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    return subprocess.run([sys.executable, "-m", "experiments.commands.cli", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def started(monkeypatch):
    """Run the `app` command up to the point where Solara would start; record what it would run."""
    calls = {}
    monkeypatch.setattr(server, "prepare_assets", lambda: None)
    monkeypatch.setattr(server, "run_solara", lambda args: calls.update(args=args, env=dict(os.environ)))
    for name in (server.LANG_ENV, "SOLARA_KERNEL_CULL_TIMEOUT", "SOLARA_APP", "SOLARA_MODE", "SOLARA_CHECK_HOOKS"):
        monkeypatch.setenv(name, "")  # recorded, so what the command sets is undone after the test
        monkeypatch.delenv(name)
    return calls


def _args_value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_classroom_mode_is_production_on_every_interface_with_short_cull(started):
    port = server.free_port()
    result = CliRunner().invoke(app, ["app", "--classroom", "--lang", "zh", "--port", str(port)])
    assert result.exit_code == 0, result.output
    args, env = started["args"], started["env"]
    assert args[:2] == ["run", str(server.APP_FILE)]
    assert _args_value(args, "--host") == "0.0.0.0"
    assert _args_value(args, "--port") == str(port)
    assert "--production" in args and "--no-open" in args
    assert env["SAFETYSIM_LANG"] == "zh"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == server.CLASSROOM_CULL_TIMEOUT


def test_plain_app_is_development_mode_on_loopback(started):
    result = CliRunner().invoke(app, ["app", "--port", str(server.free_port())])
    assert result.exit_code == 0, result.output
    args, env = started["args"], started["env"]
    assert _args_value(args, "--host") == "127.0.0.1"
    assert "--production" not in args
    assert "SAFETYSIM_LANG" not in env and "SOLARA_KERNEL_CULL_TIMEOUT" not in env


def test_classroom_host_can_be_given(started):
    result = CliRunner().invoke(app, ["app", "--classroom", "--host", "127.0.0.1", "--port", str(server.free_port())])
    assert result.exit_code == 0, result.output
    assert _args_value(started["args"], "--host") == "127.0.0.1"
    assert "--production" in started["args"]


@pytest.mark.parametrize("args, field, allowed", [
    (["--lang", "fr"], "--lang: 'fr'", "allowed: en, zh"),
    (["--classroom", "--host", "not-an-address"], "--host: 'not-an-address'", "allowed: 127.0.0.1"),
])
def test_bad_options_give_one_line_and_exit_2(args, field, allowed):
    result = _cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {field}") and allowed in lines[0]
    assert "Traceback" not in result.stderr


def test_port_in_use_gives_one_line_and_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: --port: {port} is already in use; allowed: a free port, e.g. --port {port + 1}"


def test_port_out_of_range_is_one_line():
    result = _cli("--port", "70000")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")


def test_a_finished_model_is_freed_and_agent_ids_unchanged(monkeypatch):
    import mesa

    class Walker(mesa.Agent):
        pass

    if hasattr(mesa.Agent, "_ids"):  # Mesa 3.3's class-level counters (newer Mesa numbers agents in the model)
        monkeypatch.setattr(mesa.Agent, "_ids", mesa.Agent._ids)  # restored after the test
    release_finished_models()
    model = mesa.Model(seed=1)
    ids = [Walker(model).unique_id for _ in range(3)]
    other = mesa.Model(seed=1)
    assert ids == [1, 2, 3] and Walker(other).unique_id == 1  # numbered per model, from 1, as Mesa does
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
