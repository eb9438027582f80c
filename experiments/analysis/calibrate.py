"""``safetysim calibrate SPEC``: likelihood-free (ABC-SMC) calibration of hand-tuned parameters.

Why ABC with range targets: the sources give the stylised facts as ranges ("about half",
"17-33%"), not as data with a likelihood. Each fact becomes a summary statistic with a target
range; the distance is 0 inside the range and grows with the scaled gap outside, summed over the
facts. ABC-SMC (pyabc) then shrinks the tolerance generation by generation; a tolerance of 0 means
"every fact inside its range", and the accepted particles are the parameter sets that reproduce
the facts (the posterior is the prior restricted to that region, as far as the runs can tell).

Why a sampler of our own (:class:`ExecutorSampler`): pyabc's samplers seed their workers from the
operating system and schedule work dynamically, so results change from run to run. Here each
generation submits ``population_size`` tasks to the project's executor (inline, process or Dask,
:mod:`experiments.execution.executors`); task ``i`` of generation ``t`` seeds NumPy from
``(root_seed, t, i)`` and proposes/simulates until it has one accepted particle. The results are
collected in task order, so a run is reproducible given the spec and seed, whatever the executor
and the number of workers.

Outputs (in the output folder): ``abc.db`` (pyabc's SQLite history: re-running the same command
continues from the last finished generation), ``posterior.parquet`` (one column per dotted
parameter and ``weight``), ``diagnostics.csv``, ``posterior_marginals.png``,
``posterior_pairs.png``, ``predictive.csv`` and ``report.md``.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from experiments.design.calibrate_spec import CalibrationSpec, FactSpec, PriorSpec, load_calibration_spec, statistic_value
from experiments.execution.store import atomic_write_bytes, atomic_write_json, atomic_write_parquet
from simulation.errors import InputError

NO_VOLUNTEERS = {"world.initial_volunteer_share": 0.0, "processes.participation": False}
DB_NAME = "abc.db"


# ---------------------------------------------------------------------------------------------
# Priors


def _key(path: str) -> str:
    """pyabc parameter name for a dotted path (pyabc treats dots in names specially)."""
    return path.replace(".", "__")


def _frozen(p: PriorSpec) -> Any:
    from scipy import stats

    if p.dist == "uniform":
        return stats.uniform(loc=p.low, scale=p.high - p.low)
    if p.dist == "normal":
        return stats.norm(loc=p.mean, scale=p.sd)
    return stats.lognorm(s=p.sigma, scale=p.median)


def make_prior(priors: dict[str, PriorSpec]) -> Any:
    """A pyabc Distribution of bounded random variables, one per dotted parameter."""
    import pyabc

    return pyabc.Distribution(**{_key(k): TruncatedRV(p) for k, p in priors.items()})


def _rv_base() -> type:
    import pyabc

    return pyabc.random_variables.RVBase


class TruncatedRV(_rv_base()):  # type: ignore[misc]
    """A scipy distribution truncated to [low, high]: density 0 outside, draws by inverse CDF.

    Truncation keeps every proposal (and so the posterior) inside the prior bounds, which are
    also checked against the parameter's allowed range when the spec is loaded.
    """

    def __init__(self, spec: PriorSpec):
        self.spec = spec
        self._dist = _frozen(spec)
        self._lo_cdf = float(self._dist.cdf(spec.low))
        self._hi_cdf = float(self._dist.cdf(spec.high))
        self._mass = max(self._hi_cdf - self._lo_cdf, 1e-300)

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec.model_dump()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(PriorSpec(**state["spec"]))

    def copy(self) -> TruncatedRV:
        return TruncatedRV(self.spec)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        u = np.random.uniform(self._lo_cdf, self._hi_cdf)
        return float(np.clip(self._dist.ppf(u), self.spec.low, self.spec.high))

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        if x < self.spec.low or x > self.spec.high:
            return 0.0
        return float(self._dist.pdf(x)) / self._mass

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(x)

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        if x <= self.spec.low:
            return 0.0
        if x >= self.spec.high:
            return 1.0
        return (float(self._dist.cdf(x)) - self._lo_cdf) / self._mass


# ---------------------------------------------------------------------------------------------
# The simulator: parameters -> summary statistics


class Simulator:
    """Runs the model for one particle: ``replicates`` seeds (and the no-volunteer counterfactual
    with the same seeds where a fact needs it); returns the facts' statistics.

    The seed comes from NumPy's global generator, which :class:`ExecutorSampler` seeds per task,
    so a particle's runs are fixed by (root seed, generation, task).
    """

    def __init__(self, config_json: str, priors: list[str], facts: list[FactSpec], replicates: int, counterfactual: bool):
        self.config_json = config_json
        self.priors = priors
        self.facts = facts
        self.replicates = replicates
        self.counterfactual = counterfactual

    def overrides(self, pars: dict[str, float]) -> dict[str, float]:
        return {p: float(pars[_key(p)]) for p in self.priors}

    def config(self, overrides: dict[str, float]) -> Any:
        from simulation.config import load_config

        return load_config(json.loads(self.config_json)).with_overrides(overrides)

    def statistics(self, overrides: dict[str, float], seed: int) -> dict[str, float]:
        from simulation.runner import run

        cfg = self.config(overrides)
        base, none = [], []
        for r in range(self.replicates):
            base.append(run(cfg, seed=seed + r).summary)
            if self.counterfactual:
                none.append(run(cfg, seed=seed + r, overrides=NO_VOLUNTEERS).summary)
        mean_base = _mean_summary(base)
        mean_none = _mean_summary(none) if none else None
        return {f"s{i}": statistic_value(f.statistic, mean_base, mean_none) for i, f in enumerate(self.facts)}

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1 - self.replicates))
        return self.statistics(self.overrides(pars), seed)


def _mean_summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return {k: float(np.mean([r[k] for r in runs])) for k in keys}


class RangeDistance:
    """Sum over facts of the scaled distance outside each target range (0 inside)."""

    def __init__(self, facts: list[FactSpec]):
        self.facts = facts

    def __call__(self, x: dict[str, float], x0: dict[str, float] | None = None) -> float:
        return float(sum(f.distance(float(x[f"s{i}"])) for i, f in enumerate(self.facts)))


# ---------------------------------------------------------------------------------------------
# The sampler: pyabc's work on the project's executors, seeded per task


def _sample_until_accepted(payload: bytes, seed: int) -> tuple[Any, int]:
    """One task: seed NumPy, then propose and simulate until one particle is accepted."""
    import random

    import cloudpickle

    simulate_one, sample_factory = cloudpickle.loads(payload)
    np.random.seed(seed)
    random.seed(seed)
    sample = sample_factory()
    n = 0
    while True:
        particle = simulate_one()
        n += 1
        sample.append(particle)
        if particle.accepted:
            return sample, n


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    class ExecutorSampler(Sampler):
        """pyabc sampler over a project executor, deterministic given (root seed, generation, task)."""

        def __init__(self, executor: Any, root_seed: int, progress: Callable[[str], None] | None = None):
            super().__init__()
            self.executor = executor
            self.root_seed = int(root_seed)
            self.progress = progress

        def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *, max_eval: float = np.inf,
                                    all_accepted: bool = False, ana_vars: Any = None) -> Any:
            import cloudpickle

            payload = cloudpickle.dumps((simulate_one, self.sample_factory))
            # t is -1 for the calibration sample from the prior: shift so the entropy is >= 0.
            seeds = np.random.SeedSequence([self.root_seed, int(t) + 2]).generate_state(n)
            futures = [self.executor.submit(_sample_until_accepted, payload, int(s)) for s in seeds]
            sample = self._create_empty_sample()
            total = 0
            for fut in futures:  # in task order: the population does not depend on timing
                part, evals = fut.result()
                sample += part
                total += evals
            self.nr_evaluations_ = total
            if self.progress:
                self.progress(f"generation {t}: {n} accepted of {total} simulations")
            return sample

    return ExecutorSampler


# ---------------------------------------------------------------------------------------------
# Running


def _base_config(spec: CalibrationSpec) -> Any:
    from simulation.config import load_config

    base = spec.resolved_base()
    cfg = load_config(str(base) if isinstance(base, Path) else base)
    return cfg.with_overrides(dict(spec.overrides)) if spec.overrides else cfg


def _fingerprint(spec: CalibrationSpec) -> dict[str, Any]:
    """What must match for a re-run to continue the stored history."""
    d = spec.model_dump(mode="json")
    return {k: d[k] for k in ("priors", "facts", "population_size", "epsilon", "replicates", "root_seed")} | {
        "config": json.loads(_base_config(spec).canonical_json())}


def calibrate(spec: CalibrationSpec, out: Path, executor: Any, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run (or continue) ABC-SMC for ``spec`` into ``out``; write every output; return a summary."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fp = _fingerprint(spec)
    fp_path = out / "calibration.json"
    db = out / DB_NAME
    if db.exists():
        stored = json.loads(fp_path.read_text()) if fp_path.exists() else None
        if stored != fp:
            raise InputError(f"--out: {str(out)!r} holds a calibration of another spec; expected a new folder or the same spec (priors, facts, population, epsilon, replicates, seed, base config)")
    cfg = _base_config(spec)
    names = list(spec.priors)
    sim = Simulator(cfg.canonical_json(), names, spec.facts, spec.replicates, spec.needs_counterfactual)
    eps0 = spec.epsilon.initial
    epsilon = pyabc.QuantileEpsilon(initial_epsilon=eps0, alpha=spec.epsilon.quantile)
    sampler = _sampler_class()(executor, spec.root_seed, progress)
    np.random.seed(spec.root_seed)
    abc = pyabc.ABCSMC(pyabc.FunctionModel(sim, name="abm"), make_prior(spec.priors), RangeDistance(spec.facts),
                       population_size=spec.population_size, sampler=sampler, eps=epsilon)
    url = f"sqlite:///{db}"
    done = 0
    if db.exists():
        hist = pyabc.History(url)
        if hist.n_populations > 0:
            abc.load(url, 1)
            done = abc.history.max_t + 1
        else:  # interrupted before the first generation was stored: start again
            db.unlink()
    if not db.exists():
        atomic_write_json(fp_path, fp)
        abc.new(url, {f"s{i}": 0.0 for i in range(len(spec.facts))})
    remaining = spec.generations - done
    hist = abc.history
    stop_eps = hist.n_populations > 0 and hist.get_all_populations()["epsilon"].iloc[-1] <= spec.epsilon.minimum
    if remaining > 0 and not stop_eps and hist.total_nr_simulations < spec.max_simulations:
        hist = abc.run(minimum_epsilon=spec.epsilon.minimum, max_nr_populations=remaining,
                       max_total_nr_simulations=spec.max_simulations)
    elif progress:
        progress(f"nothing left to run: {hist.max_t + 1} generations stored")
    return write_outputs(spec, out, hist, executor, progress)


def posterior_frame(spec: CalibrationSpec, hist: Any) -> pd.DataFrame:
    df, w = hist.get_distribution(m=0, t=hist.max_t)
    frame = pd.DataFrame({p: df[_key(p)].to_numpy(dtype=float) for p in spec.priors})
    frame["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    return frame


def diagnostics_frame(hist: Any) -> pd.DataFrame:
    from pyabc.weighted_statistics import effective_sample_size

    pops = hist.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for _, r in pops.iterrows():
        t = int(r["t"])
        _, w = hist.get_distribution(m=0, t=t)
        rows.append({"generation": t, "epsilon": float(r["epsilon"]), "particles": int(r["particles"]),
                     "simulations": int(r["samples"]),
                     "acceptance_rate": float(r["particles"]) / float(r["samples"]) if r["samples"] else float("nan"),
                     "ess": float(effective_sample_size(np.asarray(w, dtype=float)))})
    return pd.DataFrame(rows)


# Comparison facts of the predictive check: the statistic reported per draw is the check's margin
# (the slack of its tightest condition, > 0 when it passes); the pass is validate's own verdict.
COMPARISON_FACTS = {
    6: ("incentive_margin", "> 0 active volunteers: small top bonus < none < matched and < large bonus"),
    7: ("warning_margin", "> 0: targeted cut >= 0.25 and mass cut < half of targeted's"),
}


def _predict_one(sim: Simulator, overrides: dict[str, float], seed: int, comparisons: list[int] = ()) -> dict[str, float]:
    """The spec's statistics for one draw, and for each comparison fact validate's check on the
    same config and seeds: columns ``f<fact>_pass`` (1/0) and ``f<fact>_<value>`` (its numbers)."""
    stats = sim.statistics(overrides, seed)
    if comparisons:
        from experiments.analysis.validate import COMPARISON_CHECKS

        cfg = sim.config(overrides)
        seeds = [seed + r for r in range(sim.replicates)]
        for f in comparisons:
            check = COMPARISON_CHECKS[str(f)](cfg, seeds)
            stats[f"f{f}_pass"] = float(check.passed)
            stats.update({f"f{f}_{k}": float(v) for k, v in check.values.items()})
    return stats


def predictive_frame(spec: CalibrationSpec, post: pd.DataFrame, executor: Any) -> pd.DataFrame:
    """Draw particles by weight, run each with its own seeds, and return one row of statistics per draw."""
    rng = np.random.default_rng([spec.root_seed, 7919])
    idx = rng.choice(len(post), size=spec.predictive.draws, replace=True, p=post["weight"].to_numpy())
    seeds = rng.integers(0, 2**31 - 1 - spec.replicates, size=spec.predictive.draws)
    sim = Simulator(_base_config(spec).canonical_json(), list(spec.priors), spec.facts, spec.replicates, spec.needs_counterfactual)
    futures = []
    for i, s in zip(idx, seeds):
        overrides = {p: float(post[p].iloc[i]) for p in spec.priors}
        futures.append((overrides, executor.submit(_predict_one, sim, overrides, int(s), list(spec.predictive.facts))))
    rows = []
    for d, (overrides, fut) in enumerate(futures):
        rows.append({"draw": d, **overrides, **fut.result()})
    return pd.DataFrame(rows)


def predictive_table(spec: CalibrationSpec, pred: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, f in enumerate(spec.facts):
        x = pred[f"s{i}"].to_numpy(dtype=float)
        rows.append({"fact": f.label, "target": f.target_text(), "median": float(np.median(x)),
                     "q05": float(np.quantile(x, 0.05)), "q95": float(np.quantile(x, 0.95)),
                     "pass_share": float(np.mean([f.inside(v) for v in x])), "median_inside": f.inside(float(np.median(x)))})
    for f in spec.predictive.facts:
        name, target = COMPARISON_FACTS[f]
        x = pred[f"f{f}_margin"].to_numpy(dtype=float)
        rows.append({"fact": f"fact {f}: {name}", "target": target, "median": float(np.median(x)),
                     "q05": float(np.quantile(x, 0.05)), "q95": float(np.quantile(x, 0.95)),
                     "pass_share": float(pred[f"f{f}_pass"].mean()), "median_inside": bool(np.median(x) > 0)})
    return pd.DataFrame(rows)


def _fact_order(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() else (10**6, label)


def facts_table(spec: CalibrationSpec, pred: pd.DataFrame, ptab: pd.DataFrame) -> pd.DataFrame:
    """One row per fact: the share of draws in which it holds (every statistic of the fact inside
    its range in the same draw; for a comparison fact, validate's check passes) and whether every
    statistic's predictive median is inside."""
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(spec.facts):
        groups.setdefault(f.fact or f.statistic, []).append(i)
    rows = []
    for label, idx in groups.items():
        holds = np.ones(len(pred), dtype=bool)
        for i in idx:
            holds &= np.array([spec.facts[i].inside(float(v)) for v in pred[f"s{i}"]], dtype=bool)
        rows.append({"fact": label, "statistics": len(idx), "holds_share": float(holds.mean()) if len(pred) else float("nan"),
                     "median_inside": bool(all(ptab["median_inside"].iloc[i] for i in idx))})
    for k, f in enumerate(spec.predictive.facts):
        r = ptab.iloc[len(spec.facts) + k]
        rows.append({"fact": str(f), "statistics": 1, "holds_share": float(r["pass_share"]), "median_inside": bool(r["median_inside"])})
    return pd.DataFrame(sorted(rows, key=lambda r: _fact_order(r["fact"])))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = x[order], w[order]
    c = np.cumsum(w) - 0.5 * w
    c /= np.sum(w)
    return float(np.interp(q, c, x))


def posterior_table(spec: CalibrationSpec, post: pd.DataFrame) -> pd.DataFrame:
    w = post["weight"].to_numpy()
    rows = []
    for p, pr in spec.priors.items():
        x = post[p].to_numpy()
        rows.append({"parameter": p, "prior": f"{pr.dist} [{pr.low:g}, {pr.high:g}]",
                     "median": weighted_quantile(x, w, 0.5), "q05": weighted_quantile(x, w, 0.05),
                     "q95": weighted_quantile(x, w, 0.95)})
    return pd.DataFrame(rows)


def _figures(spec: CalibrationSpec, post: pd.DataFrame, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(spec.priors)
    w = post["weight"].to_numpy()
    k = len(names)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 2.8), squeeze=False)
    for ax, p in zip(axes[0], names):
        pr = spec.priors[p]
        ax.hist(post[p], bins=20, range=(pr.low, pr.high), weights=w, density=True, color="#4c72b0", alpha=0.8)
        grid = np.linspace(pr.low, pr.high, 200)
        rv = TruncatedRV(pr)
        ax.plot(grid, [rv.pdf(g) for g in grid], color="grey", lw=1, ls="--", label="prior")
        ax.set_title(p, fontsize=8)
        ax.set_xlim(pr.low, pr.high)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{spec.display_name}: posterior marginals (weighted; dashed: prior)", fontsize=9)
    fig.tight_layout()
    _save(fig, out / "posterior_marginals.png")
    fig, axes = plt.subplots(k, k, figsize=(2.2 * k, 2.2 * k), squeeze=False)
    for i, pi in enumerate(names):
        for j, pj in enumerate(names):
            ax = axes[i][j]
            if i == j:
                ax.hist(post[pi], bins=15, range=(spec.priors[pi].low, spec.priors[pi].high), weights=w, color="#4c72b0")
            elif i > j:
                ax.scatter(post[pj], post[pi], s=6 + 300 * w, alpha=0.5, color="#4c72b0", linewidths=0)
                ax.set_xlim(spec.priors[pj].low, spec.priors[pj].high)
                ax.set_ylim(spec.priors[pi].low, spec.priors[pi].high)
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(pj, fontsize=6)
            if j == 0 and i > 0:
                ax.set_ylabel(pi, fontsize=6)
            ax.tick_params(labelsize=5)
    fig.suptitle(f"{spec.display_name}: pairwise posterior (point size: weight)", fontsize=9)
    fig.tight_layout()
    _save(fig, out / "posterior_pairs.png")


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_bytes(path, df.to_csv(index=False).encode("utf-8"))


def write_outputs(spec: CalibrationSpec, out: Path, hist: Any, executor: Any, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    post = posterior_frame(spec, hist)
    atomic_write_parquet(out / "posterior.parquet", post)
    diag = diagnostics_frame(hist)
    _csv(diag, out / "diagnostics.csv")
    _figures(spec, post, out)
    if progress:
        progress(f"posterior predictive: {spec.predictive.draws} draws")
    pred = predictive_frame(spec, post, executor)
    _csv(pred, out / "predictive.csv")
    ptab = predictive_table(spec, pred)
    ftab = facts_table(spec, pred, ptab)
    qtab = posterior_table(spec, post)
    text = render_report(spec, diag, qtab, ptab, executor, ftab, pred)
    atomic_write_bytes(out / "report.md", text.encode("utf-8"))
    return {"diagnostics": diag, "posterior": qtab, "predictive": ptab, "facts": ftab, "report": text}


def render_report(spec: CalibrationSpec, diag: pd.DataFrame, qtab: pd.DataFrame, ptab: pd.DataFrame, executor: Any,
                  ftab: pd.DataFrame | None = None, pred: pd.DataFrame | None = None) -> str:
    facts = {}
    for label, ok in zip([f.fact or f.statistic for f in spec.facts] + [str(f) for f in spec.predictive.facts], ptab["median_inside"]):
        facts[label] = facts.get(label, True) and bool(ok)
    lines = [f"# Calibration: {spec.display_name}", ""]
    if spec.description:
        lines += [spec.description, ""]
    last = diag.iloc[-1] if len(diag) else None
    lines += [f"ABC-SMC (pyabc), population {spec.population_size}, {len(diag)} generation(s), "
              f"{int(diag['simulations'].sum()) if len(diag) else 0} particle simulations "
              f"({spec.replicates} replicate(s) each), root seed {spec.root_seed}, executor {executor.describe()}.", ""]
    if last is not None:
        lines += [f"Final epsilon {last['epsilon']:.4g}, acceptance rate {last['acceptance_rate']:.3f}, "
                  f"effective sample size {last['ess']:.1f} of {int(last['particles'])}.", ""]
    lines += ["## Posterior (weighted median and 90% interval)", "", "| parameter | prior | median | 90% interval |", "|---|---|---|---|"]
    for _, r in qtab.iterrows():
        lines.append(f"| `{r['parameter']}` | {r['prior']} | {r['median']:.4g} | [{r['q05']:.4g}, {r['q95']:.4g}] |")
    lines += ["", "## Diagnostics per generation", "", "| generation | epsilon | simulations | acceptance | ESS |", "|---|---|---|---|---|"]
    for _, r in diag.iterrows():
        lines.append(f"| {int(r['generation'])} | {r['epsilon']:.4g} | {int(r['simulations'])} | {r['acceptance_rate']:.3f} | {r['ess']:.1f} |")
    lines += ["", f"## Posterior-predictive check ({spec.predictive.draws} draws from the posterior, new seeds)", "",
              "| fact | target | median [90% interval] | pass share |", "|---|---|---|---|"]
    for _, r in ptab.iterrows():
        lines.append(f"| {r['fact']} | {r['target']} | {r['median']:.3f} [{r['q05']:.3f}, {r['q95']:.3f}] | {r['pass_share']:.0%} |")
    n_ok = sum(facts.values())
    lines += ["", f"Facts whose predictive median lies inside the target range (every statistic of the fact): "
              f"**{n_ok} of {len(facts)}** ({', '.join(k for k, v in sorted(facts.items(), key=lambda kv: _fact_order(kv[0])) if v) or 'none'}).", "",
              "Pass share: the share of posterior draws whose statistic lies inside the target range (for facts 6 and 7, "
              "whose statistic is the margin of `safetysim validate`'s comparison check: the share of draws in which that check passes).", ""]
    if ftab is not None and len(ftab):
        lines += ["## Facts reproduced", "", "| fact | statistics | holds in (share of draws) | predictive median inside |", "|---|---|---|---|"]
        for _, r in ftab.iterrows():
            lines.append(f"| {r['fact']} | {int(r['statistics'])} | {r['holds_share']:.0%} | {'yes' if r['median_inside'] else 'no'} |")
        lines += ["", "A fact holds in a draw when every one of its statistics is inside its range in that draw.", ""]
    if pred is not None and spec.predictive.facts:
        lines += ["Comparison facts, predictive medians of the numbers behind them:", ""]
        for f in spec.predictive.facts:
            cols = [c for c in pred.columns if c.startswith(f"f{f}_") and c not in (f"f{f}_pass", f"f{f}_margin")]
            lines.append(f"- fact {f}: " + ", ".join(f"{c[len(f'f{f}_'):]} {float(np.median(pred[c])):.4g}" for c in cols))
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command


def cmd_calibrate(spec_path: Path, out: Path | None, executor_kind: str | None, workers: int | None, scheduler: str | None = None) -> int:
    """The ``safetysim calibrate`` command; returns the exit status."""
    from experiments.execution.executors import make_executor

    spec = load_calibration_spec(spec_path)
    ex = spec.executor
    kind = executor_kind or ex.kind  # make_executor turns an unknown kind into one line
    out_dir = Path(out) if out is not None else Path("results") / spec.display_name
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out: {str(out_dir)!r} is a file; expected a folder")

    def say(msg: str) -> None:
        print(f"[calibrate] {msg}", file=sys.stderr, flush=True)

    with make_executor(kind, workers if workers is not None else ex.workers, scheduler or ex.scheduler) as executor:
        say(f"{spec.display_name}: {len(spec.priors)} parameters, {len(spec.facts)} statistics, executor {executor.describe()}, output {out_dir}")
        res = calibrate(spec, out_dir, executor, say)
    print(res["report"])
    print(f"output folder: {out_dir}")
    return 0
