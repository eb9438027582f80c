"""The run folder of ``safetysim run``: everything one run leaves behind, written all or nothing.

Contents: ``timeseries.parquet`` and ``timeseries.csv`` (daily KPIs), ``summary.json`` (end-of-run
KPIs), ``config.yaml`` (the resolved config), ``manifest.json`` (versions, git commit, seed,
config hash, wall time), ``kpis.png`` (the main KPIs over time), and ``districts.parquet`` /
``districts.csv`` / ``districts.png`` (KPIs per district, ``experiments/reporting/district_outputs.py``).  The folder is assembled in a
hidden staging folder beside the target and renamed into place at the end, so an interrupted or
failing run leaves no half-written folder.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from experiments.reporting.district_outputs import write_districts  # noqa: E402
from experiments.execution.store import git_commit, package_versions  # noqa: E402
from simulation.errors import InputError  # noqa: E402
from simulation.runner import RunResult  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def default_out_dir(name: str, seed: int) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return REPO / "results" / f"{name}-seed{seed}-{stamp}"


def check_writable(out: Path) -> None:
    """Fail early, with a one-line error, when ``out`` cannot be created or already holds files."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out: {out} already exists and is not empty; choose a new folder (results are never overwritten)")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise InputError(f"--out: {out} is not writable ({err.strerror or err}); choose a folder you can write to") from None


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return str(v)


def write_run_folder(result: RunResult, out: Path, command: list[str] | None = None) -> Path:
    """Write ``result`` to ``out`` atomically (staging folder + rename)."""
    check_writable(out)
    staging = out.parent / f".{out.name}.staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        ts = result.timeseries
        ts.to_parquet(staging / "timeseries.parquet", index=False)
        ts.to_csv(staging / "timeseries.csv", index=False)
        summary = {**result.summary, "constraints": list(getattr(result, "constraints", []))}  # asked vs delivered per lever
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, default=_json_default))
        (staging / "config.yaml").write_text(yaml.safe_dump(result.config.to_dict(), sort_keys=False, allow_unicode=True))
        manifest = {
            "kind": "run",
            "config_name": result.config.name,
            "config_hash": result.config.hash(),
            "seed": result.seed,
            "days": int(len(ts)),
            "wall_seconds": round(result.wall_seconds, 3),
            "build_seconds": round(result.build_seconds, 3),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_commit": git_commit(REPO),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "packages": package_versions(),
            "command": command or [],
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json_default))
        plot_kpis(ts, staging / "kpis.png", title=f"{result.config.name} (seed {result.seed})")
        if result.districts is not None:
            write_districts(result.districts, staging, title=f"{result.config.name} (seed {result.seed})")
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def plot_kpis(ts: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Six panels of the main KPIs over time (7-day rolling means for daily counts)."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    day = ts["day"]

    def roll(col: str) -> pd.Series:
        return ts[col].rolling(7, min_periods=1).mean()

    ax = axes[0, 0]
    ax.plot(day, ts["registered_volunteers"], label="registered")
    ax.plot(day, ts["active_volunteers"], label="active (served in last 30 days)")
    ax.plot(day, roll("volunteers_on_duty"), label="on duty today (7-day mean)")
    ax.set_title("Volunteers"); ax.set_ylabel("people"); ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.plot(day, roll("property_incidents"), label="property")
    ax.plot(day, roll("public_order_incidents"), label="public order")
    ax.plot(day, roll("disputes_escalated"), label="escalated disputes")
    ax.plot(day, roll("fraud_victims"), label="fraud victims")
    ax.set_title("Incidents per day (7-day mean)"); ax.set_ylabel("incidents/day"); ax.legend(fontsize=8)

    ax = axes[0, 2]
    ax.plot(day, ts["satisfaction"], label="all residents")
    ax.plot(day, ts["mobile_satisfaction"], label="mobile population")
    ax.plot(day, ts["registered_satisfaction"], label="registered population")
    ax.plot(day, ts["trust"], label="trust in police", linestyle="--")
    ax.set_title("Satisfaction and trust"); ax.set_ylabel("0-1"); ax.legend(fontsize=8)

    ax = axes[1, 0]
    ax.plot(day, ts["informed_share"], label="informed of the programme")
    ax.plot(day, ts["awareness"], label="civic awareness (mean)")
    ax.plot(day, ts["fraud_literacy"], label="fraud literacy (mean)")
    ax.set_title("Culture"); ax.set_ylabel("share / 0-1"); ax.legend(fontsize=8)

    ax = axes[1, 1]
    ax.plot(day, ts["spending_cny"].cumsum() / 1000.0)
    ax.set_title("Cumulative spending on levers"); ax.set_ylabel("thousand CNY")

    ax = axes[1, 2]
    for f in ("subject", "culture", "system", "allocation", "strategy"):
        ax.plot(day, ts[f"factor_{f}"], label=f)
    ax.set_ylim(0, 1); ax.set_title("Five-factor diagnostics (higher = less restrictive)"); ax.legend(fontsize=8)
    for ax in axes.flat:
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


HEADLINE = [
    ("Safety", [
        ("incidents_per_1000", "Property + public-order incidents per 1,000 residents/yr", "{:.2f}"),
        ("property_incidents_per_1000", "  property", "{:.2f}"),
        ("public_order_incidents_per_1000", "  public order", "{:.2f}"),
        ("guardianship_reduction", "Incidents prevented by volunteer guardianship", "{:.1%}"),
        ("incident_concentration_top5", "Share of incidents at the top 5% of places", "{:.1%}"),
        ("fraud_victims_per_1000", "Fraud victims per 1,000 residents/yr", "{:.2f}"),
        ("fraud_losses_cny", "Fraud losses (CNY)", "{:,.0f}"),
        ("dispute_escalation_rate", "Disputes escalating", "{:.1%}"),
        ("emergency_first_response_share", "Emergencies with volunteer first response", "{:.1%}"),
    ]),
    ("Reporting and response", [
        ("reporting_rate", "Reporting rate", "{:.1%}"),
        ("mobile_reporting_rate", "  mobile population", "{:.1%}"),
        ("response_hours", "Mean response time (hours)", "{:.2f}"),
        ("response_satisfaction", "Satisfaction with call handling", "{:.1%}"),
    ]),
    ("Participation", [
        ("registered_volunteers", "Registered volunteers (end)", "{:,.0f}"),
        ("active_volunteers", "Active volunteers (served in last 30 days)", "{:,.0f}"),
        ("active_share", "Active share of registered", "{:.1%}"),
        ("annual_dropout", "Annual dropout", "{:.1%}"),
        ("volunteer_hours_per_year", "Volunteer-hours per year", "{:,.0f}"),
        ("team_share_older", "Team aged 60+", "{:.1%}"),
        ("team_share_young", "Team aged 18-34", "{:.1%}"),
        ("team_share_edu_mid", "Team with high-school/college education", "{:.1%}"),
        ("team_share_students", "Team who are students", "{:.1%}"),
        ("participation_efficiency", "Incidents prevented per 1,000 volunteer-hours", "{:.2f}"),
    ]),
    ("Satisfaction, trust, culture", [
        ("satisfaction", "Satisfaction (all residents)", "{:.3f}"),
        ("mobile_satisfaction", "  mobile population", "{:.3f}"),
        ("registered_satisfaction", "  registered population", "{:.3f}"),
        ("trust", "Trust in police", "{:.3f}"),
        ("informed_share", "Informed of the programme", "{:.1%}"),
        ("equity_index", "Equity across communities (1 - Gini of incident rates)", "{:.3f}"),
    ]),
    ("Spending", [
        ("spending_cny_per_year", "Spending on levers (CNY/yr)", "{:,.0f}"),
    ]),
    ("Five-factor diagnostics (0-1, higher = less restrictive)", [
        ("factor_subject", "Subject (who participates)", "{:.3f}"),
        ("factor_culture", "Culture (awareness)", "{:.3f}"),
        ("factor_system", "System (channels: reporting)", "{:.3f}"),
        ("factor_allocation", "Resource allocation (effort where risk is)", "{:.3f}"),
        ("factor_strategy", "Strategy (incentives: active and retained)", "{:.3f}"),
        ("binding_factor", "Binding factor", "{}"),
    ]),
]


def format_summary(summary: dict[str, Any]) -> str:
    """The headline KPIs as a readable, aligned text table."""
    width = max(len(label) for _, rows in HEADLINE for _, label, _ in rows) + 2
    lines: list[str] = []
    for section, rows in HEADLINE:
        lines.append(section)
        for key, label, fmt in rows:
            if key in summary:
                value = fmt.format(summary[key])
                resident_key = key.replace("team_share_", "resident_share_")
                if key.startswith("team_share_") and resident_key in summary:
                    value += f"  (residents {summary[resident_key]:.1%})"
                lines.append(f"  {label:<{width}} {value}")
    return "\n".join(lines)
