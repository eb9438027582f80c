"""Fill Solara's local asset cache from the npm registry, so the teaching page works offline.

Solara's server serves the page's JavaScript and CSS from ``/_solara/cdn/<pkg>@<version>/<file>``,
fetching each file from a public CDN the first time and caching it under
``<venv>/share/solara/cdn/``.  Classrooms and CI machines often have no route to that CDN, but
can reach the npm registry (directly or through a mirror).  This module finds which packages the
installed Solara and Mesa ask for, downloads each package's tarball from the registry, checks its
integrity hash and unpacks it into the cache under the exact name the page requests — so the CDN
is never contacted.

Also writes Solara's "install checked" marker, so a development server does not try to reach
solara.dev on first start.

Used by ``scripts/setup_offline_assets.py`` (run by ``make test`` and CI) and by
``safetysim app`` when the cache is incomplete.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

# Packages the page may request besides those found in Solara's sources: the Vega family used by
# Altair charts (requested with a major-version range), and ECharts, which draws the teaching
# page's charts (Solara's echarts.vue builds its version into the URL at run time).
EXTRA_SPECS = ("vega@5", "vega-lite@5", "vega-embed@6", "echarts@5.4.0")
MARKER = ".complete"
SPEC_RE = re.compile(r"/((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*@[0-9][\w.+-]*)/")
SCANNED_SUFFIXES = (".py", ".vue", ".j2", ".html")


class AssetError(RuntimeError):
    """A package could not be fetched or unpacked (one line: which package and why)."""


def cache_dir() -> Path:
    """Solara's asset cache of this Python environment."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def requested_specs() -> list[str]:
    """``pkg@version`` specs the installed Solara (and Mesa) load from the CDN."""
    import mesa
    import solara
    import solara.server.settings as settings

    specs: set[str] = set(EXTRA_SPECS)
    fontawesome = SPEC_RE.search(settings.assets.fontawesome_path + "/")
    if fontawesome:
        specs.add(fontawesome.group(1))
    for package in (solara, mesa):
        root = Path(package.__file__).parent
        for path in root.rglob("*"):
            if path.suffix not in SCANNED_SUFFIXES or "website" in path.parts or "static" in path.parts:
                continue
            for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
                if "cdn" in line.lower():
                    specs.update(m.group(1) for m in SPEC_RE.finditer(line))
    return sorted(specs)


def split_spec(spec: str) -> tuple[str, str]:
    name, _, version = spec.rpartition("@")
    return name, version


def _registry() -> str:
    url = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    return url if url.endswith("/") else url + "/"


def _get(url: str, timeout: float = 60.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (registry URL)
            return response.read()
    except OSError as e:
        raise AssetError(f"{url}: {e}") from None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version.split("-")[0])[:3])


def resolve(spec: str, metadata: dict) -> dict:
    """The registry entry of the version a CDN would serve for ``spec`` (exact or a major/minor range)."""
    name, wanted = split_spec(spec)
    versions = metadata.get("versions", {})
    if wanted in versions:
        return versions[wanted]
    prefix = wanted.split(".")
    candidates = [v for v in versions if "-" not in v and v.split(".")[: len(prefix)] == prefix]
    if not candidates:
        raise AssetError(f"{spec}: no version of {name} on the registry matches {wanted!r}")
    return versions[max(candidates, key=_version_key)]


def _check_integrity(spec: str, data: bytes, dist: dict) -> None:
    integrity = dist.get("integrity", "")
    if integrity.startswith("sha512-"):
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != integrity[len("sha512-"):]:
            raise AssetError(f"{spec}: tarball sha512 does not match the registry's integrity hash")
    elif dist.get("shasum"):
        if hashlib.sha1(data).hexdigest() != dist["shasum"]:  # noqa: S324 (the registry's own checksum)
            raise AssetError(f"{spec}: tarball sha1 does not match the registry's shasum")


def fetch(spec: str, cache: Path) -> Path:
    """Download and unpack one package into ``cache/<spec>/`` (atomically; a no-op when present)."""
    target = cache / spec
    if (target / MARKER).exists():
        return target
    name, _ = split_spec(spec)
    metadata = json.loads(_get(_registry() + urllib.parse.quote(name, safe="@")))
    entry = resolve(spec, metadata)
    data = _get(entry["dist"]["tarball"])
    _check_integrity(spec, data, entry["dist"])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if len(parts) < 2 or not (member.isfile() or member.isdir()):
                    continue
                member.name = str(Path(*parts[1:]))  # drop the tarball's top folder ("package/")
                tar.extract(member, staging, filter="data")
        (staging / MARKER).write_text(entry["version"] + "\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def missing(cache: Path | None = None) -> list[str]:
    cache = cache or cache_dir()
    return [s for s in requested_specs() if not (cache / s / MARKER).exists()]


def mark_install_checked() -> None:
    """Tell Solara its install check is done, so it never loads solara.dev's check page."""
    from solara.util import get_solara_home

    home = get_solara_home()
    home.mkdir(parents=True, exist_ok=True)
    (home / ".solara_checked").touch()


def fill(log=print) -> list[str]:
    """Fetch every missing package; returns the specs fetched."""
    cache = cache_dir()
    todo = missing(cache)
    for spec in todo:
        log(f"fetching {spec} from {_registry()}")
        fetch(spec, cache)
    mark_install_checked()
    return todo
