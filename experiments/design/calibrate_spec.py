"""Calibration specs: which parameters to fit, their priors, and the facts they must reproduce.

Why a strict schema of its own: a calibration runs for many minutes; a misspelt parameter, a prior
whose bounds leave the parameter's allowed range, or a fact with its target range swapped must fail
in the first second with one line and exit status 2, like every other spec of the project
(see :mod:`experiments.design.spec`, whose error formatter this reuses).

Example (``configs/calibrate.yaml`` is the bundled one)::

    name: calibrate_baseline
    base: baseline.yaml                  # relative to this file, or an inline mapping
    priors:
      participation.intrinsic_mean: {dist: uniform, low: 0.35, high: 0.75}
      incidents.guardian_half: {dist: lognormal, median: 0.5, sigma: 0.5, low: 0.1, high: 2.0}
    facts:
      - {fact: "1", statistic: active_share, target: [0.35, 0.65]}
    population_size: 60
    generations: 4
    epsilon: {initial: from_sample, quantile: 0.5, minimum: 0.0}
    max_simulations: 1500
    replicates: 1
    predictive: {draws: 20, facts: [6, 7]}   # facts 6, 7: validate's comparisons per draw
    executor: {kind: process, workers: 2}
    root_seed: 20240501
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Field, PrivateAttr, ValidationError

from experiments.design.inputs import read_spec_mapping, suggest
from experiments.design.spec import ExecutorSpec, _format_validation_error, _Strict
from simulation.errors import InputError

PosInt = Annotated[int, Field(strict=True, ge=1)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]


# Summary statistics a fact can be measured by. Each is computed from the replicate-mean of the
# run summaries (and, for the guardianship cut, of the same seeds run without volunteers), exactly
# as ``safetysim validate`` measures the facts (experiments/analysis/validate.py).
def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


STATISTICS: dict[str, tuple[str, bool]] = {
    # name: (meaning, needs the no-volunteer counterfactual)
    "active_share": ("fact 1: active over registered volunteers at the end of the year", False),
    "annual_dropout": ("fact 2: volunteers who lapsed during the year over the mean registered", False),
    "older_ratio": ("fact 3: team's 60+ share over the residents' 60+ share", False),
    "edu_mid_gap": ("fact 3: team's mid-education share minus the residents'", False),
    "young_gap": ("fact 3: residents' 18-34 share minus the team's", False),
    "guardianship_cut": ("fact 4: 1 - expected incidents with volunteers / without (same seeds)", True),
    "expected_concentration_top5": ("fact 5: share of expected incidents at the top 5% of places", False),
    "response_satisfaction": ("fact 8: share of reporters satisfied with the handling", False),
    "expected_incidents_per_1000": ("expected property/public-order incidents per 1,000 residents per year", False),
    "active_volunteers": ("active volunteers at the end of the year", False),
}


def statistic_value(name: str, base: dict[str, float], none: dict[str, float] | None) -> float:
    """The named statistic from replicate-mean summaries ``base`` (and ``none``: no volunteers)."""
    if name == "older_ratio":
        return _ratio(base["team_share_older"], base["resident_share_older"])
    if name == "edu_mid_gap":
        return base["team_share_edu_mid"] - base["resident_share_edu_mid"]
    if name == "young_gap":
        return base["resident_share_young"] - base["team_share_young"]
    if name == "guardianship_cut":
        assert none is not None
        return 1.0 - _ratio(base["expected_incidents_per_1000"], none["expected_incidents_per_1000"])
    return float(base[name])


class PriorSpec(_Strict):
    """A prior on one parameter, always bounded: uniform(low, high), or a normal / lognormal truncated to [low, high]."""

    dist: Literal["uniform", "normal", "lognormal"]
    low: float
    high: float
    mean: float | None = None      # normal
    sd: float | None = Field(default=None, gt=0)  # normal
    median: float | None = Field(default=None, gt=0)  # lognormal
    sigma: float | None = Field(default=None, gt=0)  # lognormal: sd of the log


class FactSpec(_Strict):
    """A stylised fact as a summary statistic with a target range; distance 0 inside, scaled outside."""

    statistic: str
    target: list[float | None] = Field(min_length=2, max_length=2)
    fact: str | None = None        # label of the source fact (several statistics may share one)
    scale: float | None = Field(default=None, gt=0)  # default: the range's width, or 0.1 for an open range

    @property
    def low(self) -> float | None:
        return self.target[0]

    @property
    def high(self) -> float | None:
        return self.target[1]

    @property
    def label(self) -> str:
        return f"fact {self.fact}: {self.statistic}" if self.fact else self.statistic

    def effective_scale(self) -> float:
        if self.scale is not None:
            return float(self.scale)
        if self.low is not None and self.high is not None and self.high > self.low:
            return float(self.high - self.low)
        return 0.1

    def distance(self, x: float) -> float:
        """0 inside [low, high]; outside, how far over the scale (NaN counts as very far)."""
        if x != x:  # NaN
            return 1e6
        below = (self.low - x) if self.low is not None else 0.0
        above = (x - self.high) if self.high is not None else 0.0
        return max(below, above, 0.0) / self.effective_scale()

    def inside(self, x: float) -> bool:
        return self.distance(x) == 0.0

    def target_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        return f">= {self.low:g}" if self.low is not None else f"<= {self.high:g}"


class EpsilonSpec(_Strict):
    """ABC-SMC tolerance schedule: first epsilon, then the ``quantile`` of the last generation's distances."""

    initial: Union[Literal["from_sample"], Annotated[float, Field(gt=0)]] = "from_sample"
    quantile: float = Field(default=0.5, gt=0, lt=1)
    minimum: float = Field(default=0.0, ge=0)


class PredictiveSpec(_Strict):
    """Posterior-predictive check: how many posterior draws to run (each with ``replicates`` seeds),
    and which comparison facts to check on every draw besides the spec's facts.

    Facts 6 (incentive schemes) and 7 (targeted vs mass warnings) compare scenarios: seven more
    runs per seed, too dear to put in every particle's distance, but cheap for a few dozen draws.
    They are run by ``safetysim validate``'s own checks (experiments/analysis/validate.py).
    """

    draws: PosInt = 20
    facts: list[Literal[6, 7]] = Field(default_factory=list)


class CalibrationSpec(_Strict):
    """A whole calibration. See the module docstring for an example."""

    name: str | None = None
    description: str | None = None
    base: Union[str, dict[str, Any], None] = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    priors: dict[str, PriorSpec] = Field(min_length=1)
    facts: list[FactSpec] = Field(min_length=1)
    population_size: PosInt = 50
    generations: PosInt = 4
    epsilon: EpsilonSpec = Field(default_factory=EpsilonSpec)
    max_simulations: PosInt = 2000
    replicates: PosInt = 1
    predictive: PredictiveSpec = Field(default_factory=PredictiveSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    root_seed: NonNegInt = 0

    _source: Path | None = PrivateAttr(default=None)

    @property
    def folder(self) -> Path:
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def display_name(self) -> str:
        return self.name or (self._source.stem if self._source is not None else "calibration")

    @property
    def needs_counterfactual(self) -> bool:
        return any(STATISTICS[f.statistic][1] for f in self.facts)

    def resolved_base(self) -> Path | dict[str, Any] | None:
        if self.base is None or isinstance(self.base, dict):
            return self.base
        p = Path(self.base).expanduser()
        p = p if p.is_absolute() else self.folder / p
        if not p.is_file():
            raise InputError(f"base: {self.base!r} not found (looked for {p}); expected a model config YAML file")
        return p


def _check(spec: CalibrationSpec) -> None:
    """Cross-field rules and checks against the model: parameters exist, bounds are allowed values."""
    from experiments.design.models import AbmAdapter

    for name, p in spec.priors.items():
        where = f"priors[{name}]"
        if not p.low < p.high:
            raise InputError(f"{where}.high: {p.high} is not allowed; expected a value > low ({p.low})")
        if p.dist == "normal" and (p.mean is None or p.sd is None):
            raise InputError(f"{where}: normal prior needs mean and sd; expected e.g. {{dist: normal, mean: 0.5, sd: 0.1, low: 0.2, high: 0.8}}")
        if p.dist == "lognormal" and (p.median is None or p.sigma is None):
            raise InputError(f"{where}: lognormal prior needs median and sigma; expected e.g. {{dist: lognormal, median: 0.5, sigma: 0.5, low: 0.1, high: 2}}")
        if p.dist == "lognormal" and p.low < 0:
            raise InputError(f"{where}.low: {p.low} is not allowed; expected a value >= 0 for a lognormal prior")
        unused = [k for k, v in (("mean", p.mean), ("sd", p.sd)) if v is not None and p.dist != "normal"]
        unused += [k for k, v in (("median", p.median), ("sigma", p.sigma)) if v is not None and p.dist != "lognormal"]
        if unused:
            raise InputError(f"{where}.{unused[0]}: not used by a {p.dist} prior; expected only low, high" + (", mean, sd" if p.dist == "normal" else ", median, sigma" if p.dist == "lognormal" else ""))
    if len(set(spec.predictive.facts)) < len(spec.predictive.facts):
        raise InputError(f"predictive.facts: {spec.predictive.facts} is not allowed; expected each fact at most once")
    for i, f in enumerate(spec.facts):
        where = f"facts[{i}]"
        if f.statistic not in STATISTICS:
            raise InputError(f"{where}.statistic: {f.statistic!r} is not allowed{suggest(f.statistic, STATISTICS)}; expected one of {', '.join(STATISTICS)}")
        if f.low is None and f.high is None:
            raise InputError(f"{where}.target: [null, null] is not allowed; expected [low, high] with at least one bound")
        if f.low is not None and f.high is not None and f.low > f.high:
            raise InputError(f"{where}.target: {f.target} is not allowed; expected [low, high] with low <= high")
    adapter = AbmAdapter(spec.resolved_base())
    for path, value in spec.overrides.items():
        adapter.check_override(path, value, where=f"overrides[{path}]")
    for name, p in spec.priors.items():
        adapter.check_path(name, f"priors[{name}]")
        adapter.check_override(name, float(p.low), where=f"priors[{name}].low")
        adapter.check_override(name, float(p.high), where=f"priors[{name}].high")


def load_calibration_spec(source: str | Path | dict[str, Any]) -> CalibrationSpec:
    """Read and validate a calibration spec; every problem is one InputError line."""
    data, path = read_spec_mapping(source, "base, priors, facts, ...")
    try:
        spec = CalibrationSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_validation_error(exc, CalibrationSpec)) from None
    spec._source = None if path is None else path.resolve()
    _check(spec)
    return spec
