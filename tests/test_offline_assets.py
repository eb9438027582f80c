"""Filling Solara's asset cache from an npm registry: against a local fake registry, no network."""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import tarfile
import threading

import pytest

from simulation.teaching import offline_assets as oa


def _tarball(files: dict[str, bytes], top: str = "package") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def registry(monkeypatch):
    """A registry on 127.0.0.1 serving two versions of ``demo`` and one of ``@scope/lib``."""
    blobs = {
        "demo-1.2.0.tgz": _tarball({"dist/demo.js": b"one-two", "package.json": b"{}"}),
        "demo-1.3.1.tgz": _tarball({"dist/demo.js": b"one-three", "package.json": b"{}"}),
        "lib-2.0.0.tgz": _tarball({"lib.css": b"body{}"}, top="lib"),
    }
    state = {"tampered": False, "hits": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            state["hits"] += 1
            base = f"http://127.0.0.1:{self.server.server_port}/"
            if self.path.endswith(".tgz"):
                data = blobs[self.path.rsplit("/", 1)[1]]
                if state["tampered"]:
                    data = data[:-1] + bytes([data[-1] ^ 1])
            else:
                name = self.path.strip("/").replace("%2F", "/").replace("%2f", "/")
                files = {"demo": ["1.2.0", "1.3.1", "2.0.0-beta.1"], "@scope/lib": ["2.0.0"]}[name]
                short = name.rsplit("/", 1)[-1]
                versions = {}
                for v in files:
                    blob = blobs.get(f"{short}-{v}.tgz", b"")
                    versions[v] = {"version": v, "dist": {"tarball": f"{base}{short}-{v}.tgz",
                                                          "integrity": "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()}}
                data = json.dumps({"name": name, "versions": versions}).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", f"http://127.0.0.1:{server.server_port}")
    yield state
    server.shutdown()


def test_exact_version_unpacked_under_the_requested_name(registry, tmp_path):
    target = oa.fetch("demo@1.2.0", tmp_path)
    assert target == tmp_path / "demo@1.2.0"
    assert (target / "dist" / "demo.js").read_bytes() == b"one-two"  # top folder "package/" dropped
    assert (target / oa.MARKER).read_text().strip() == "1.2.0"
    hits = registry["hits"]
    oa.fetch("demo@1.2.0", tmp_path)  # cached: no request
    assert registry["hits"] == hits


def test_major_range_resolves_to_newest_release(registry, tmp_path):
    target = oa.fetch("demo@1", tmp_path)
    assert (target / "dist" / "demo.js").read_bytes() == b"one-three"  # 1.3.1, not the 2.0.0 beta


def test_scoped_package_with_other_top_folder(registry, tmp_path):
    target = oa.fetch("@scope/lib@2.0.0", tmp_path)
    assert (target / "lib.css").read_bytes() == b"body{}"


def test_tampered_tarball_is_rejected_and_nothing_written(registry, tmp_path):
    registry["tampered"] = True
    with pytest.raises(oa.AssetError, match="integrity"):
        oa.fetch("demo@1.2.0", tmp_path)
    assert not (tmp_path / "demo@1.2.0").exists()
    assert not any(p.name.startswith(".staging") for p in tmp_path.iterdir())


def test_unknown_version_is_a_one_line_error(registry, tmp_path):
    with pytest.raises(oa.AssetError, match=r"demo@9: no version of demo"):
        oa.fetch("demo@9", tmp_path)


def test_specs_found_in_the_installed_solara():
    specs = oa.requested_specs()
    names = {oa.split_spec(s)[0] for s in specs}
    assert {"@widgetti/solara-vuetify-app", "requirejs", "font-awesome", "@widgetti/vue-grid-layout"} <= names
    assert all(oa.split_spec(s)[1][0].isdigit() for s in specs)
