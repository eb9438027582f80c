"""CommunitySafetyModel: builds the world and runs the explicit daily schedule.

One step is one day.  The order of the day (documented in docs/ODD.md, "Process overview"):

1. levers act (scheduled campaigns, sessions, drives, payouts, evaluation cycles) and spend;
2. publicity and culture;          3. participation;        4. training (decay);
5. deployment of guardians (and targeted anti-fraud visits);
6. incidents;                      7. reporting and police response;
8. feedback (satisfaction, trust); 9. record KPIs.

The order is data — ``CommunitySafetyModel.PHASES``, a tuple of (name, function of the model) —
so tools such as the scaling benchmark can time the very functions the model calls.

The model never imports the experiment layer or the visualization.
"""

from __future__ import annotations

import inspect
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import mesa
import numpy as np

from simulation import district_metrics, kernels, memory, metrics, world_cache
from simulation import districts as district_layout
from simulation.agents import Organization, PoliceOfficer, Resident, Volunteer
from simulation.config import ModelConfig, load_config, parameter_table
from simulation.errors import InputError
from simulation.levers import build_levers
from simulation.mesa_compat import release_finished_models
from simulation.network import build_network, build_network_for_layout, watts_strogatz_ties
from simulation.organizations import build_organizations
from simulation.places import build_places, build_police
from simulation.population import Sector, VolunteerState, community_sizes, synthesize
from simulation.processes import deployment, feedback, incidents, participation, publicity, reporting, training

STREAMS = ("build", "levers", "publicity", "participation", "training", "deployment", "incidents", "reporting", "feedback",
           "population", "network")
"""Independent random streams, one per process, so switching one mechanism off leaves the draws of
the others unchanged (common random numbers across scenarios).  ``build`` draws the world;
``population`` and ``network`` draw a large world's residents and ties instead
(:data:`PARALLEL_BUILD_MIN`).  New streams go at the end: ``SeedSequence.spawn`` gives the earlier
ones unchanged."""

WORLD_STREAMS = ("build", "population", "network")
"""The streams the world's build draws from (the world cache keeps their state after it)."""

PARALLEL_BUILD_MIN = 200_000
"""Worlds of this many residents or more draw their residents and their network from streams of
their own, so the residents are synthesized on a second thread while the network is built
(NumPy's draws and array work release the GIL): at a million residents 0.49-0.54 s one after the
other, 0.26-0.32 s at once, and the same world either way.  Smaller worlds draw both from the
build stream, one after the other, as before this threshold existed — so their numbers (the
regression baselines, the teaching exercises' stated magnitudes, the calibration and robustness
reports) did not change; their build takes tens of ms, and a sweep's workers already keep both
cores busy.  Part of the model's definition: changing it changes the worlds between the old and
the new value."""

AUTO_VIEWS_MAX = 200_000


def _leaf_paths() -> dict[str, list[str]]:
    by_leaf: dict[str, list[str]] = defaultdict(list)
    for row in parameter_table():
        by_leaf[row["path"].split(".")[-1]].append(row["path"])
    return by_leaf


def keyword_overrides(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword parameters to dotted overrides: ``levers__incentives__scheme`` or a unique leaf
    name such as ``n_residents``."""
    out: dict[str, Any] = {}
    leaves = None
    for key, value in params.items():
        if "__" in key:
            out[key.replace("__", ".")] = value
            continue
        leaves = leaves or _leaf_paths()
        paths = leaves.get(key, [])
        if len(paths) == 1:
            out[paths[0]] = value
        elif len(paths) > 1:
            raise InputError(f"{key}: ambiguous parameter name; use one of {', '.join(p.replace('.', '__') for p in paths)}")
        else:
            raise InputError(f"{key}: unknown parameter; use a name like n_residents or section__field (e.g. levers__incentives__scheme)")
    return out


def _seed_int(seed: Any, rng: Any) -> int:
    if seed is not None:
        return int(seed)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63 - 1))
    if rng is not None:
        return int(rng)
    return 0


# Mesa 3.5 deprecates ``Model(seed=...)`` for ``Model(rng=...)`` (same streams); older releases lack ``rng``.
_MESA_SEED_ARG = "rng" if "rng" in inspect.signature(mesa.Model.__init__).parameters else "seed"


def replicate_seed(run_seed: int, replicate: int) -> int:
    """The seed of replicate ``k`` of a config: distinct per ``k``, fixed by ``run.seed`` (why: Mesa 3.3's
    ``batch_run`` passes no seed, so ``iterations`` alone would repeat one run; ``replicate`` as a
    parameter gives reproducible, distinct runs whatever the process count)."""
    return int(np.random.SeedSequence((int(run_seed), int(replicate))).generate_state(2, np.uint64)[0] >> 1)


class CommunitySafetyModel(mesa.Model):
    """Volunteers, police, residents and organizations on a community network.

    ``CommunitySafetyModel(config=None, *, seed=None, rng=None, **params)`` — ``config`` is a
    :class:`ModelConfig`, a YAML path, a dict or None (the bundled baseline); keyword parameters
    override single values (``n_residents=500``, ``levers__incentives__scheme="matched"``).
    ``seed`` (or ``rng``) defaults to ``config.run.seed``; ``replicate=k`` instead derives a distinct,
    reproducible seed from it (the ``mesa.batch_run`` idiom: ``parameters={"replicate": range(n)}``).
    ``daily_state=False`` records the end-of-day state (means over residents and volunteers, the
    five factor indices: ``metrics.STATE_KEYS``) and collects Mesa's DataCollector on the last day
    only — for runs whose daily table nobody reads; the counts are recorded every day and the
    summary is the same number for number.
    """

    def __init__(self, config: ModelConfig | str | dict | None = None, *, seed: int | None = None, rng: Any = None,
                 replicate: int | None = None, daily_state: bool = True, **params: Any) -> None:
        cfg = load_config(config)
        if params:
            cfg = cfg.with_overrides(keyword_overrides(params))
        if seed is None and rng is None:
            seed = cfg.run.seed if replicate is None else replicate_seed(cfg.run.seed, replicate)
        seed_value = _seed_int(seed, rng)
        release_finished_models()  # Mesa 3.3 would otherwise keep every model a process built
        super().__init__(**{_MESA_SEED_ARG: seed_value})
        self.cfg = cfg
        self.seed_value = seed_value
        self.daily_state = daily_state
        self._per_run: dict[str, Any] = {}  # see per_run
        self.switches = cfg.processes
        children = np.random.SeedSequence(seed_value).spawn(len(STREAMS))
        self.streams = {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children)}
        self.day = 0
        self.records: list[dict[str, Any]] = []
        self.today: dict[str, float] = defaultdict(float)
        with memory.small_pages():
            self._build()
        if self.pop.n >= kernels.MIN_ROWS:  # large worlds: the build's freed temporaries back to the system
            memory.return_freed_heap()
        self.datacollector = mesa.DataCollector(model_reporters=metrics.MODEL_REPORTERS)
        for _ in range(cfg.run.warmup_days):
            self._advance_day()
        self.running = cfg.run.days > 0

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        cfg, rng = self.cfg, self.streams["build"]
        w = cfg.world
        self.scale = w.scale
        self.layout = layout = district_layout.build_layout(cfg)  # districts and communities
        self.n_districts = layout.n_districts
        self.n_communities = layout.n_communities
        if w.n_residents < self.n_communities:
            raise InputError(f"world.n_residents: {w.n_residents} is fewer than the {self.n_communities} communities; need at least one resident per community")
        cache_key = world_cache.key(cfg, self.seed_value) if world_cache.is_active() else None
        cached = world_cache.get(cache_key) if cache_key else None
        sizes = layout.community_sizes if layout.table else community_sizes(w.n_residents, self.n_communities)
        if cached is not None:  # the same world, and its streams where they would be after it
            for name, state in cached.stream_states.items():
                self.streams[name].bit_generator.state = state
            self.pop, self.network = cached.pop, cached.network
        else:
            self.pop, self.network = self._residents_and_ties(layout, sizes)
        # Working memory reused by the daily processes (no population-size allocation per day):
        # a float32 scratch column, valid only within one process call.
        self.scratch = np.empty(self.pop.n, dtype=np.float32)
        # Static code community·2 + mobile, for per-(community, mobile) lookups (satisfaction), in
        # the smallest integer type that holds it, and the number of mobile residents.
        code_type = np.int16 if 2 * self.n_communities <= np.iinfo(np.int16).max else np.int32
        self.community_mobile = self.pop.community.astype(code_type) * code_type(2) + self.pop.mobile
        self.n_mobile = int(np.count_nonzero(self.pop.mobile))
        self._registered = np.empty(0, dtype=np.int64)
        self.community_size = sizes.astype(np.int64)
        self.community_start = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.real_residents = w.n_residents * w.scale
        if cached is not None:
            self.places, self.police, self.orgs = cached.places, cached.police, cached.orgs
        else:
            self.places = build_places(cfg, self.n_communities, rng)
            self.police = build_police(cfg, sizes, district_layout.police_per_community(layout) if layout.table else None)
            self.orgs = build_organizations(cfg, self.pop, rng, layout.district_of_comm)
            if cache_key:
                world_cache.put(cache_key, self.pop, self.network, self.places, self.police, self.orgs,
                                {name: self.streams[name] for name in WORLD_STREAMS})
        # Extra police travel time per community (urban type; None: no district table).
        self.travel_hours = layout.travel_hours_d[layout.district_of_comm] if layout.table else None
        self.officers_per_community = np.bincount(self.police.community, minlength=self.n_communities).astype(np.float64)
        self.officer_capacity = np.bincount(self.police.community, weights=self.police.capacity, minlength=self.n_communities)

        pl = self.places
        # Expected incidents per day at each place per unit of "rate per 1,000 residents per year":
        # the world's incidents are shared among places by risk (so riskier communities get more).
        self.place_base_rate = (w.n_residents / 1000.0 / 365.0) * pl.risk.astype(np.float64) / pl.risk.sum()
        if layout.table:  # communities differ in size and urban type
            self.place_base_rate = district_layout.place_base_rate(layout, pl.community, pl.risk, pl.per_community)
        cutoff = np.quantile(pl.risk, 0.95) if pl.n >= 20 else np.inf
        self.hotspot = pl.risk >= cutoff
        self.guardians = np.zeros(pl.n)
        self.volunteer_guardians = np.zeros(pl.n)
        self.merchant_guardians_at_place = np.zeros(pl.n)
        # Merchant volunteers guarding a place (merchant guardians lever): their rows and places.
        self.merchant_rows = np.empty(0, dtype=np.int64)
        self.merchant_places = np.empty(0, dtype=np.int64)
        self.place_incidents = np.zeros(pl.n, dtype=np.int64)
        self.place_expected = np.zeros(pl.n)
        self.community_incidents = np.zeros(self.n_communities, dtype=np.int64)
        self.place_reported_recent = np.zeros(pl.n)
        self.place_reported_ema = np.ones(pl.n) * 0.0
        self.evaluation_weight = np.zeros(pl.n)
        self.evaluation_cycles = 0  # evaluation rounds so far (each re-targets patrol weights)
        self.guardian_ema = np.zeros(pl.n)
        self.sector_counts = np.bincount(self.pop.sector, minlength=len(Sector)).astype(float)
        self.presence_ema = np.zeros(self.n_communities)
        self.incident_ema = np.zeros(self.n_communities)
        self.active_rows = np.empty(0, dtype=np.int64)
        self.active_place = np.empty(0, dtype=np.int64)
        self.victims: list[np.ndarray] = []
        self.events_today = incidents.no_events()
        self.events_reporters: list = []
        self.reporters_today = (np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))

        self.nb_volunteers = np.zeros(self.pop.n, dtype=self.network.degree.dtype)  # as nb_informed: holds a degree

        self.levers = build_levers(cfg)
        self.spending: dict[str, float] = {name: 0.0 for name in self.levers}
        self._views = w.agent_views == "all" or (w.agent_views == "auto" and w.n_residents <= AUTO_VIEWS_MAX)
        self.resident_views: dict[int, Resident] = {}
        self.volunteer_views: dict[int, Volunteer] = {}
        if self._views:
            self.resident_views = {i: Resident(self, i) for i in range(self.pop.n)}
            for i in range(self.police.n):
                PoliceOfficer(self, i)
            for i in range(self.orgs.n):
                Organization(self, i)
        for lever in self.levers.values():
            lever.initialize(self)
        self._seed_volunteers(rng)
        # Informed neighbours, counted once the initial team (all informed) is in place.
        self.nb_informed = self.network.neighbour_counts(self.pop.informed)
        for lever in self.levers.values():  # incentives depend on the team size
            lever.initialize(self)
        self.district_tally = district_metrics.DistrictTally(self)

    def _residents_and_ties(self, layout, sizes: np.ndarray):
        """The synthetic residents and their network: from the build stream, one after the other;
        on a large world (:data:`PARALLEL_BUILD_MIN`) each from its own stream, the residents on a
        second thread while this one builds the network (``SAFETYSIM_BUILD_THREADS=0``: one after
        the other, the same world)."""
        cfg = self.cfg

        def ties(rng: np.random.Generator):
            if layout.table:
                return build_network_for_layout(layout, cfg.network, rng, self._watts_strogatz_ties)
            return build_network(sizes, cfg.world.communities_per_district, cfg.network, rng, self._watts_strogatz_ties)

        if cfg.world.n_residents < PARALLEL_BUILD_MIN:
            rng = self.streams["build"]
            pop = synthesize(cfg, rng, layout)
            return pop, ties(rng)
        if os.environ.get("SAFETYSIM_BUILD_THREADS", "1") == "0":  # one after the other (to measure, or to rule it out)
            return synthesize(cfg, self.streams["population"], layout), ties(self.streams["network"])
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="residents") as pool:
            pending = pool.submit(synthesize, cfg, self.streams["population"], layout)
            network = ties(self.streams["network"])
            return pending.result(), network

    def _seed_volunteers(self, rng: np.random.Generator) -> None:
        """The status-quo team at start: drawn by registration propensity (older, mid-educated)."""
        pop, p = self.pop, self.cfg.participation
        k = int(round(self.cfg.world.initial_volunteer_share * pop.n))
        if self.layout.table:  # each district's own team size
            k = int(np.round(self.layout.volunteer_share_d * self.layout.residents_d).sum())
        if k == 0:
            return
        # In place, the same operations as steepness·(propensity − threshold), −logaddexp(0, −x) and
        # logw + Gumbel noise (float32, then float64), without a temporary per step.
        x = participation.propensity(self, np.arange(pop.n))
        x -= pop.threshold
        x *= p.propensity_steepness
        logw = np.negative(x, out=x)
        np.logaddexp(0.0, logw, out=logw)
        np.negative(logw, out=logw)  # log of the logistic weight
        keys = rng.gumbel(size=pop.n)  # Gumbel top-k: weighted sampling without replacement
        keys += logw
        del x, logw
        if self.layout.table:
            chosen = district_layout.initial_volunteers(keys, self.layout, pop.community)
            k = chosen.size
        else:
            chosen = np.argpartition(np.negative(keys, out=keys), k - 1)[:k]
        pop.informed[chosen] = True
        participation.register(self, np.sort(chosen), compiled=False)
        sk = self.cfg.skills
        m = min(max(sk.initial_skill_mean, 0.01), 0.99)
        pop.skills[chosen] = rng.beta(m * 6, (1 - m) * 6, (k, pop.skills.shape[1]))
        pop.registered_day[chosen] = -rng.integers(0, 5 * 365, k)

    def on_registered(self, rows: np.ndarray) -> None:
        """Bookkeeping for new volunteers: merchant guardians, and their Mesa views."""
        if self.switches.levers and self.levers["recruitment"].settings.merchant_guardians:
            merchants = rows[self.pop.sector[rows] == Sector.MERCHANT]
            if merchants.size:
                pl = self.places
                place = self.pop.community[merchants] * pl.per_community + self.streams["build"].integers(0, pl.per_community, merchants.size)
                self.merchant_rows = np.concatenate((self.merchant_rows, merchants))
                self.merchant_places = np.concatenate((self.merchant_places, place))
                np.add.at(self.merchant_guardians_at_place, place, 1.0)
        if self._views:
            for r in rows.tolist():
                if r not in self.volunteer_views:
                    self.volunteer_views[r] = Volunteer(self, r)

    def _watts_strogatz_ties(self, n: int, k: int, p: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """A community's Watts-Strogatz ties: compiled in a sweep's worker (:func:`kernels.in_build`;
        the same ties, ``tests/test_network_builders.py``), else in Python."""
        if kernels.in_build(self):
            from simulation.compiled_network import watts_strogatz_ties as compiled

            return compiled(n, k, p, seed)
        return watts_strogatz_ties(n, k, p, seed)

    # ------------------------------------------------------------------------------------------
    # the day
    # ------------------------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.day >= self.cfg.run.warmup_days

    @property
    def n_registered(self) -> int:
        return int(self._registered.size)

    @property
    def registered_rows(self) -> np.ndarray:
        """Rows of registered volunteers, ascending (read-only) — the same as
        ``np.flatnonzero(pop.vol_state == REGISTERED)``, kept up to date by
        :func:`participation.register` and :func:`participation.lapse` (the only writers of
        ``vol_state``) instead of scanning the population several times a day."""
        return self._registered

    def per_run(self, name: str, compute: Callable[["CommunitySafetyModel"], Any]) -> Any:
        """``compute(self)``, computed on first use and kept: for values fixed for a run (they
        depend only on parameters and the built world), which the day loop would otherwise
        recompute every day — or fixed between events, with the event's count in ``name``
        (patrol weights per evaluation cycle)."""
        try:
            return self._per_run[name]
        except KeyError:
            value = self._per_run[name] = compute(self)
            return value

    def note_registered(self, rows: np.ndarray) -> None:
        """Add newly registered ``rows`` (none of them registered before) to :attr:`registered_rows`."""
        # The registered rows are one ascending run and the new rows few: a stable sort (timsort)
        # merges them in one pass — np.insert gave the same array at five times the call overhead.
        merged = np.concatenate((self._registered, np.asarray(rows, dtype=np.int64)))
        merged.sort(kind="stable")
        merged.flags.writeable = False
        self._registered = merged

    def note_lapsed(self, rows: np.ndarray) -> None:
        """Remove ``rows`` (all registered until now) from :attr:`registered_rows`."""
        rows = np.asarray(rows, dtype=np.int64)
        keep = np.ones(self._registered.size, dtype=bool)
        keep[np.searchsorted(self._registered, rows)] = False
        kept = self._registered[keep]
        kept.flags.writeable = False
        self._registered = kept
        if self.recording:
            self.district_tally.note_lapsed(self, rows)

    def _advance_day(self) -> None:
        """One day: run the phases of :attr:`PHASES` in order, then advance the clock."""
        self.today = defaultdict(float)
        for _name, phase in self.phases:
            phase(self)
        self.day += 1

    # The phases of a day, in order.  Each is a function of the model; the list is data so that
    # tools (e.g. the scaling benchmark's per-process timing) can wrap the very functions the
    # model calls without copying the day's logic.
    def _apply_levers(self) -> None:
        """1. Levers act and spend."""
        if not self.switches.levers:
            return
        for name, lever in self.levers.items():
            cost = float(lever.apply(self, self.day))
            self.today[f"cost_{name}"] = cost
            if self.recording:
                self.spending[name] += cost
                lever.spent += cost

    def _drop_lapsed_merchant_guardians(self) -> None:
        """Merchants who lapsed stop guarding their place (bookkeeping before feedback)."""
        if not self.merchant_guardians_at_place.any():
            return
        lapsed = self.pop.vol_state[self.merchant_rows] != VolunteerState.REGISTERED
        if lapsed.any():  # (whole counts: the order of the subtractions does not matter)
            np.add.at(self.merchant_guardians_at_place, self.merchant_places[lapsed], -1.0)
            self.merchant_rows, self.merchant_places = self.merchant_rows[~lapsed], self.merchant_places[~lapsed]

    def _record(self) -> None:
        """9. Record the day's KPIs (after the warm-up)."""
        if self.recording:
            self.records.append(metrics.daily_record(self, state=self.daily_state or self._last_day()))
            self.district_tally.record(self)

    def _last_day(self) -> bool:
        """Whether the day being recorded is the run's last (``run.days`` records with it)."""
        return len(self.records) + 1 >= self.cfg.run.days

    PHASES: tuple[tuple[str, Callable[["CommunitySafetyModel"], None]], ...] = (
        ("levers", _apply_levers),
        ("publicity", publicity.step),
        ("participation", participation.step),
        ("training", training.step),
        ("deployment", deployment.step),
        ("warn_residents", deployment.warn_residents),
        ("incidents", incidents.step),
        ("reporting", reporting.step),
        ("lapsed_guardians", _drop_lapsed_merchant_guardians),
        ("feedback", feedback.step),
        ("record", _record),
    )
    """(name, function of the model) for each phase of the day, in the order they run."""

    @property
    def phases(self) -> tuple[tuple[str, Callable[["CommunitySafetyModel"], None]], ...]:
        """The phases this model runs each day (:attr:`PHASES` unless replaced on the instance)."""
        return self.__dict__.get("_phases", self.PHASES)

    @phases.setter
    def phases(self, value) -> None:
        self.__dict__["_phases"] = tuple(value)

    def step(self) -> None:
        """One recorded day."""
        self._advance_day()
        done = len(self.records) >= self.cfg.run.days
        if self.daily_state or done:
            self.datacollector.collect(self)
        if done:
            self.running = False
            for lever in self.levers.values():
                lever.finalize(self)

    def run_model(self, progress=None) -> None:
        """Run all recorded days (``progress``: optional callable called after each day)."""
        while self.running:
            self.step()
            if progress is not None:
                progress()

    @property
    def last_record(self) -> dict[str, Any]:
        return self.records[-1] if self.records else {}

    def summary(self) -> dict[str, Any]:
        return metrics.summary(self)

    def resident(self, row: int) -> Resident:
        """The Mesa view of resident ``row`` (created on demand when views are off)."""
        if row in self.resident_views:
            return self.resident_views[row]
        view = Resident(self, row)
        self.resident_views[row] = view
        return view

