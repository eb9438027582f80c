"""Districts from a table: read and validate a user's district table, and lay out the world from it.

``world.districts`` may be a path to a CSV or YAML table, or an inline list of mappings.  Each
row is one district; every column but ``name`` and ``residents`` is optional:

======================  ==========================================================================
column                  meaning (when empty: the default)
======================  ==========================================================================
name                    district name (required, unique)
residents               real resident population (required, > 0)
urban_type              core / suburban / rural_mountain (default: core); sets the
                        ``world.urban_types.<type>`` profile (ties, place risk, mobile share,
                        police coverage, travel time, community size)
police_officers         community police officers of the district (real count), or
police_per_10k          officers per 10,000 residents (default: world.police_per_10k × type multiplier)
mobile_share            share of mobile population (default: world.mobile_share × type multiplier)
older_share             share aged 60+ (default: world.age_older)
initial_volunteers      registered volunteers at start (real count; default: world.initial_volunteer_share)
communities             communities/villages of the district (default: residents / the type's
                        residents_per_community)
source, notes           free text (where the figures come from), carried into the config
======================  ==========================================================================

A bad row is reported as one line naming the file, the row, the column, the value and what is
allowed (:class:`InputError`).  The table is read once when the config is loaded and embedded in
the resolved config as a list, so the run folder's ``config.yaml`` is self-contained.

Scale: a world with ``world.scale = k`` has ``round(residents / k)`` agents per district and
``max(1, round(communities / k))`` communities, so a modelled community keeps the size of a real
one and per-1,000 rates do not depend on the scale (only their sampling noise does).

This module imports nothing from :mod:`simulation.config` (the config imports it).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation.errors import InputError

URBAN_TYPES = ("core", "suburban", "rural_mountain")
UrbanType = Literal["core", "suburban", "rural_mountain"]


class DistrictRow(BaseModel):
    """One validated row of a district table (real counts, before any scaling)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    residents: int = Field(gt=0, le=100_000_000)
    urban_type: UrbanType = "core"
    police_officers: Optional[float] = Field(None, ge=0.0)
    police_per_10k: Optional[float] = Field(None, gt=0.0, le=100.0)
    mobile_share: Optional[float] = Field(None, ge=0.0, le=1.0)
    older_share: Optional[float] = Field(None, ge=0.0, le=1.0)
    initial_volunteers: Optional[int] = Field(None, ge=0)
    communities: Optional[int] = Field(None, ge=1, le=1_000_000)
    source: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "DistrictRow":
        if self.police_officers is not None and self.police_per_10k is not None:
            raise ValueError("give police_officers or police_per_10k, not both")
        if self.police_officers is not None and self.police_officers * 10_000 / self.residents > 100:
            raise ValueError(f"police_officers: {self.police_officers:g} is more than 100 per 10,000 residents")
        if self.initial_volunteers is not None and self.initial_volunteers > self.residents:
            raise ValueError(f"initial_volunteers: {self.initial_volunteers} is more than the {self.residents} residents")
        return self


COLUMNS = tuple(DistrictRow.model_fields)


def _allowed(field: str, err: dict[str, Any]) -> str:
    if field == "urban_type":
        return "one of " + ", ".join(URBAN_TYPES)
    if field not in DistrictRow.model_fields:
        return "columns are " + ", ".join(COLUMNS)
    msg = err["msg"]
    return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg


def _row_error(where: str, i: int, raw: dict[str, Any], err: ValidationError) -> InputError:
    e = err.errors()[0]
    name = raw.get("name") if isinstance(raw, dict) else None
    label = f"row {i}" + (f" ({name})" if name else "")
    loc = [str(p) for p in e["loc"]]
    if not loc:  # a whole-row rule (model validator)
        msg = _allowed("", e)
        return InputError(f"{where}: {label}: {msg}")
    col = loc[0]
    if e["type"] == "extra_forbidden":
        return InputError(f"{where}: {label}, column {col!r}: unknown column; columns are {', '.join(COLUMNS)}")
    if e["type"] == "missing":
        return InputError(f"{where}: {label}, column {col!r}: missing; every row needs a {col}")
    value = e.get("input")
    return InputError(f"{where}: {label}, column {col!r}: {value!r} is not allowed; expected {_allowed(col, e)}")


def _clean(raw: dict[str, Any]) -> dict[str, Any]:
    """Empty cells (CSV '' or YAML null) mean "use the default"."""
    out = {}
    for k, v in raw.items():
        key = k.strip() if isinstance(k, str) else k
        if isinstance(v, str):
            v = v.strip()
            if v == "":
                continue
        if v is None:
            continue
        out[key] = v
    return out


def validate_rows(raw_rows: Any, where: str) -> list[DistrictRow]:
    """Validate a list of row mappings; ``where`` names the file (or config path) in errors."""
    if not isinstance(raw_rows, list) or not raw_rows:
        raise InputError(f"{where}: expected a non-empty list of districts (one row per district with at least name and residents)")
    rows: list[DistrictRow] = []
    for i, raw in enumerate(raw_rows, start=1):
        if isinstance(raw, DistrictRow):
            rows.append(raw)
            continue
        if not isinstance(raw, dict):
            raise InputError(f"{where}: row {i}: {raw!r} is not allowed; expected a mapping of column -> value")
        try:
            rows.append(DistrictRow.model_validate(_clean(raw)))
        except ValidationError as err:
            raise _row_error(where, i, raw, err) from None
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        if row.name in seen:
            raise InputError(f"{where}: row {i}, column 'name': {row.name!r} is not allowed; district names must be unique")
        seen.add(row.name)
    return rows


def read_table(path: str | Path) -> list[DistrictRow]:
    """Read and validate a district table from a ``.csv`` or ``.yaml``/``.yml`` file."""
    p = Path(path)
    where = f"world.districts: {p}"
    if not p.exists():
        raise InputError(f"{where}: district table not found; expected a .csv or .yaml file")
    if not p.is_file():
        raise InputError(f"{where}: not a file; expected a .csv or .yaml file")
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{where}: not a UTF-8 text file") from None
    if suffix == ".csv":
        lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
        reader = csv.DictReader(lines)
        if reader.fieldnames is None:
            raise InputError(f"{where}: empty table; expected a header row with at least name,residents")
        raw = []
        for rec in reader:
            if None in rec:  # more cells than header columns
                raise InputError(f"{where}: row {len(raw) + 1}: {len(rec[None])} cell(s) more than the header's {len(reader.fieldnames)} columns")
            raw.append(dict(rec))
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            at = f" line {mark.line + 1}" if mark else ""
            raise InputError(f"{where}:{at}: malformed YAML: {getattr(err, 'problem', None) or err}") from None
        raw = data.get("districts") if isinstance(data, dict) else data
    else:
        raise InputError(f"{where}: {p.suffix or 'no extension'!s} is not allowed; expected a .csv, .yaml or .yml file")
    return validate_rows(raw, where)


def anchor_path(world: Any, folder: Path) -> None:
    """Make a relative ``world.districts`` path in a YAML file relative to that file's folder."""
    if isinstance(world, dict) and isinstance(world.get("districts"), str):
        p = Path(world["districts"])
        if not p.is_absolute():
            world["districts"] = str((folder / p).resolve())


def resolve(data: dict[str, Any]) -> dict[str, Any]:
    """Replace ``world.districts`` (a path or a list) by validated rows and derive from them
    ``world.n_districts`` and ``world.n_residents`` (agents at the world's scale).

    Runs on the raw config mapping before the schema validates it, so table errors name the
    file and row rather than a config path."""
    world = data.get("world")
    if not isinstance(world, dict) or world.get("districts") is None:
        return data
    table = world["districts"]
    if isinstance(table, (str, Path)):
        rows = read_table(table)
    else:
        rows = validate_rows(table, "world.districts")
    world = dict(world)
    world["districts"] = [r.model_dump(mode="json") for r in rows]
    world["n_districts"] = len(rows)
    scale = world.get("scale", 1.0)
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale >= 1.0:
        agents = [int(round(r.residents / scale)) for r in rows]
        for r, a in zip(rows, agents):
            if a < 1:
                raise InputError(f"world.scale: {scale:g} is not allowed for this table: district {r.name!r} ({r.residents} residents) gets no agent; use a scale of at most {r.residents}")
        world["n_residents"] = int(sum(agents))
    data = dict(data)
    data["world"] = world
    return data


# ----------------------------------------------------------------------------------------------
# The world's layout: districts -> communities -> residents (consecutive blocks)
# ----------------------------------------------------------------------------------------------
@dataclass
class Layout:
    """Where everyone lives, and the per-district settings the build and the processes read.

    Arrays ``*_d`` have one entry per district, ``*_c`` one per community.  ``table`` is False for
    a world without a district table: then every district is alike and the model keeps its
    original (equal-community) construction."""

    table: bool
    names: list[str]
    urban_type: list[str]
    community_sizes: np.ndarray  # int64 agents per community
    district_of_comm: np.ndarray  # int32
    residents_d: np.ndarray  # int64 agents per district
    mobile_share_d: np.ndarray
    older_share_d: np.ndarray
    police_per_10k_d: np.ndarray
    volunteer_share_d: np.ndarray
    incident_mult_d: np.ndarray
    travel_hours_d: np.ndarray
    mean_degree_d: np.ndarray  # int, even
    rewire_prob_d: np.ndarray
    cross_ties_d: np.ndarray

    @property
    def n_districts(self) -> int:
        return len(self.names)

    @property
    def n_communities(self) -> int:
        return len(self.community_sizes)

    def per_row(self, values_d: np.ndarray, community: np.ndarray) -> np.ndarray:
        """A per-district value for every resident row (through its community)."""
        return np.asarray(values_d)[self.district_of_comm[community]]


def _split(total: int, parts: int) -> np.ndarray:
    base, extra = divmod(total, parts)
    sizes = np.full(parts, base, dtype=np.int64)
    sizes[:extra] += 1
    return sizes


def build_layout(cfg: Any) -> Layout:
    """The layout of ``cfg.world`` (a district table, or equal districts of equal communities)."""
    w, net = cfg.world, cfg.network
    if not w.districts:
        n_comm = w.n_districts * w.communities_per_district
        sizes = _split(w.n_residents, n_comm)
        dist = (np.arange(n_comm) // w.communities_per_district).astype(np.int32)
        nd = w.n_districts
        ones = np.ones(nd)
        return Layout(
            table=False, names=[f"district {d + 1}" for d in range(nd)], urban_type=["core"] * nd,
            community_sizes=sizes, district_of_comm=dist,
            residents_d=np.bincount(dist, weights=sizes, minlength=nd).astype(np.int64),
            mobile_share_d=ones * w.mobile_share, older_share_d=ones * w.age_older,
            police_per_10k_d=ones * w.police_per_10k, volunteer_share_d=ones * w.initial_volunteer_share,
            incident_mult_d=ones, travel_hours_d=ones * 0.0, mean_degree_d=(ones * net.mean_degree).astype(int),
            rewire_prob_d=ones * net.rewire_prob, cross_ties_d=ones * net.cross_community_ties,
        )
    rows = [r if isinstance(r, DistrictRow) else DistrictRow.model_validate(r) for r in w.districts]
    profiles = [getattr(w.urban_types, r.urban_type) for r in rows]
    agents = np.array([int(round(r.residents / w.scale)) for r in rows], dtype=np.int64)
    sizes, dist = [], []
    for d, (r, prof, a) in enumerate(zip(rows, profiles, agents)):
        real_comm = r.communities if r.communities is not None else max(1, int(round(r.residents / prof.residents_per_community)))
        k = int(min(a, max(1, round(real_comm / w.scale))))
        sizes.append(_split(int(a), k))
        dist.append(np.full(k, d, dtype=np.int32))

    def pick(values, default):
        return np.array([default(r, p) if v is None else v for v, r, p in zip(values, rows, profiles)], dtype=np.float64)

    police = pick([r.police_officers * 10_000 / r.residents if r.police_officers is not None else r.police_per_10k for r in rows],
                  lambda r, p: w.police_per_10k * p.police_per_10k_mult)
    return Layout(
        table=True, names=[r.name for r in rows], urban_type=[r.urban_type for r in rows],
        community_sizes=np.concatenate(sizes), district_of_comm=np.concatenate(dist), residents_d=agents,
        mobile_share_d=np.clip(pick([r.mobile_share for r in rows], lambda r, p: w.mobile_share * p.mobile_share_mult), 0.0, 1.0),
        older_share_d=pick([r.older_share for r in rows], lambda r, p: w.age_older),
        police_per_10k_d=police,
        volunteer_share_d=pick([None if r.initial_volunteers is None else r.initial_volunteers / r.residents for r in rows],
                               lambda r, p: w.initial_volunteer_share),
        incident_mult_d=np.array([p.incident_rate_mult for p in profiles]),
        travel_hours_d=np.array([p.travel_hours for p in profiles]),
        mean_degree_d=np.array([max(2, 2 * int(round(net.mean_degree * p.mean_degree_mult / 2))) for p in profiles]),
        rewire_prob_d=np.array([min(1.0, net.rewire_prob * p.rewire_mult) for p in profiles]),
        cross_ties_d=np.array([net.cross_community_ties * p.cross_ties_mult for p in profiles]),
    )


def place_base_rate(layout: Layout, place_community: np.ndarray, risk: np.ndarray, per_community: int) -> np.ndarray:
    """Expected incidents per day at each place per unit of "rate per 1,000 residents per year" in
    a table world: a community's residents times its district's incident multiplier, shared among
    its places by their risk (risk has mean 1 over all places, so a community of average risk gets
    exactly its residents' share)."""
    comm_rate = layout.community_sizes / 1000.0 / 365.0 * layout.incident_mult_d[layout.district_of_comm]
    return comm_rate[place_community] * risk.astype(np.float64) / per_community


def police_per_community(layout: Layout) -> np.ndarray:
    """Officers per community: the district's officers per 10,000 agents, at least one."""
    rate = layout.police_per_10k_d[layout.district_of_comm]
    return np.maximum(1, np.round(layout.community_sizes * rate / 10_000)).astype(np.int64)


def initial_volunteers(keys: np.ndarray, layout: Layout, community: np.ndarray) -> np.ndarray:
    """Rows of the initial team: the top ``share_d × agents_d`` keys in each district (Gumbel
    top-k per district, so each district starts with its own team size)."""
    start = np.concatenate(([0], np.cumsum(layout.community_sizes)))
    comm_first = np.searchsorted(layout.district_of_comm, np.arange(layout.n_districts))
    comm_last = np.searchsorted(layout.district_of_comm, np.arange(layout.n_districts), side="right")
    chosen = []
    for d in range(layout.n_districts):
        lo, hi = int(start[comm_first[d]]), int(start[comm_last[d]])
        k = int(round(layout.volunteer_share_d[d] * (hi - lo)))
        if k > 0:
            chosen.append(lo + np.argpartition(-keys[lo:hi], k - 1)[:k])
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
