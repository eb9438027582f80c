"""Is the built world still the same?  A check for changes that should only make the build faster.

An optimisation of the world's construction (population, network, places, police, organizations,
the initial volunteer team) must not change a single value or the random stream after it: this
script builds a set of worlds — the baseline district (networkx builder), city proportions at
100 k and 1 M residents (the scaling benchmark's world), the district table at scale 100 and 10,
and a few corner cases (communities smaller than the ring, no rewiring, every tie rewired) — and
hashes every array the build makes, the initial team and its neighbour counts, and the state of
the random streams afterwards.

    python benchmarks/world_identity.py --record benchmarks/data/world_identity.json   # old code
    python benchmarks/world_identity.py                                                # compare

Record with the old code and compare on the same machine and numpy (a different numpy or CPU may
round a float differently and pick another initial team, which says nothing about the change).
Exit status 1 if any world differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the repository root holds the benchmarks package
RECORD = REPO / "benchmarks" / "data" / "world_identity.json"
CITY = "configs/hangzhou_city.yaml"


def worlds() -> dict[str, tuple[str, dict]]:
    from benchmarks.scaling import world_overrides

    small = {"world.districts": None, "world.n_districts": 2}
    return {
        "baseline district (networkx builder)": ("configs/baseline.yaml", {}),
        "baseline district, seed 7": ("configs/baseline.yaml", {"run.seed": 7}),
        "city proportions, 100 k": (CITY, {**world_overrides(100_000), "run.seed": 1}),
        "city proportions, 1 M (scaling benchmark world)": (CITY, {**world_overrides(1_000_000), "run.seed": 1}),
        "city proportions, 1 M, seed 2023": (CITY, world_overrides(1_000_000)),
        "district table, scale 100": (CITY, {"world.scale": 100.0}),
        "district table, scale 10": (CITY, {"world.scale": 10.0}),
        "communities smaller than the ring (3,000 in 300, degree 20, rewiring 0.5, 1 org/community)": (CITY, {
            **small, "world.n_districts": 3, "world.n_residents": 3000, "world.communities_per_district": 100,
            "network.mean_degree": 20, "network.rewire_prob": 0.5, "world.organizations_per_community": 1}),
        "no rewiring, no cross-community ties (50 k)": (CITY, {
            **small, "world.n_residents": 50_000, "world.communities_per_district": 6,
            "network.rewire_prob": 0.0, "network.cross_community_ties": 0.0}),
        "every tie rewired, networkx builder (20 k)": (CITY, {
            **small, "world.n_residents": 20_000, "world.communities_per_district": 3,
            "network.rewire_prob": 1.0, "network.builder": "networkx"}),
    }


def _feed(obj, h) -> None:
    if isinstance(obj, np.ndarray):
        # Values, not storage: integers (and booleans) as int64, so a narrower integer type that
        # holds the same numbers is the same world; floats keep their type (float32 ≠ float64).
        if obj.dtype.kind in "biu":
            obj = obj.astype(np.int64)
        h.update(f"{obj.dtype.kind}{obj.dtype.itemsize}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _feed(o, h)
    else:
        h.update(repr(obj).encode())


def _merchant_guardians(model) -> tuple[np.ndarray, np.ndarray]:
    """(rows, places) of merchant guardians by row, whether the model keeps a place per resident
    (``merchant_place``, -1 for none; older code) or the guards' rows and places."""
    if hasattr(model, "merchant_place"):
        rows = np.flatnonzero(model.merchant_place >= 0)
        return rows, model.merchant_place[rows]
    order = np.argsort(model.merchant_rows, kind="stable")
    return model.merchant_rows[order], model.merchant_places[order]


def world_hash(model) -> str:
    """SHA-256 (first 16 hex digits) of everything the build makes and the streams' state after it."""
    h = hashlib.sha256()
    for obj in (model.pop, model.network, model.places, model.police, model.orgs):
        for name, value in sorted(vars(obj).items()):
            h.update(name.encode())
            _feed(value, h)
    for value in (model.registered_rows, model.nb_informed, model.nb_volunteers, *_merchant_guardians(model),
                  model.place_base_rate, model.hotspot):
        _feed(value, h)
    for stream in ("build", "population", "network", "participation"):
        _feed(model.streams[stream].bit_generator.state, h)
    return h.hexdigest()[:16]


def hashes() -> dict[str, dict]:
    from simulation import load_config
    from simulation.model import CommunitySafetyModel

    out = {}
    for label, (path, over) in worlds().items():
        cfg = load_config(REPO / path).with_overrides({**over, "run.warmup_days": 0})
        model = CommunitySafetyModel(cfg)
        out[label] = {"hash": world_hash(model), "residents": model.pop.n, "ties": model.network.n_ties}
        print(f"  {label}: {out[label]['hash']}", file=sys.stderr, flush=True)
        del model
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record", type=Path, help="write this code's hashes to this JSON file")
    ap.add_argument("--against", type=Path, default=RECORD, help=f"recorded hashes to compare with (default {RECORD.relative_to(REPO)})")
    args = ap.parse_args(argv)
    now = hashes()
    if args.record:
        args.record.write_text(json.dumps(now, indent=1) + "\n")
        print(f"recorded {len(now)} worlds in {args.record}")
        return 0
    old = json.loads(args.against.read_text())
    print("| world | residents | ties | recorded | now | |")
    print("|---|---:|---:|---|---|---|")
    same = True
    for label, rec in now.items():
        was = old.get(label)
        ok = was is not None and was == rec
        same &= ok
        print(f"| {label} | {rec['residents']:,} | {rec['ties']:,} | {was['hash'] if was else '-'} | {rec['hash']} | "
              f"{'identical' if ok else 'DIFFERENT'} |")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
