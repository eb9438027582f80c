"""The classroom model behind the interactive page: its controls and how they become a config.

The page (:mod:`simulation.teaching.app`) shows one control per lever setting, a preset selector for the
study's optimization paths, a switch per process, population size and seed.  This module holds
what those controls mean, so the page stays a thin view and the mapping can be tested without a
browser:

* :data:`CONTROLS` — every control: parameter name, plain-language label with unit, widget kind,
  range, and the config path it sets;
* :class:`TeachingModel` — a :class:`~simulation.model.CommunitySafetyModel` built from control
  values, which the page builds on Reset.

How a preset and the controls combine: the preset's lever bundle (``configs/paths/``) is applied
to the classroom village first; then every control that was moved away from its status-quo
setting overrides it.  :attr:`TeachingModel.settings_in_effect` lists what differs from the
status quo and where each setting came from, so students can see what they are comparing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from simulation.config import CONFIG_DIR, ModelConfig, get_dotted, load_config
from simulation.model import CommunitySafetyModel
from simulation.paths import PATH_NAMES, lever_overrides
from simulation.teaching.i18n import N_

CLASSROOM_CONFIG = CONFIG_DIR / "classroom.yaml"

PRESET_LABELS = {
    "status_quo": N_("Status quo"),
    "p1_subjects": N_("Path 1: cultivate governance subjects"),
    "p2_systems": N_("Path 2: construct governance systems"),
    "p3_culture": N_("Path 3: cultivate governance culture"),
    "p4_strategies": N_("Path 4: match governance strategies"),
    "all_paths": N_("All four paths"),
}

SECTOR_LABELS = {
    "students": N_("university students"),
    "law": N_("law professionals"),
    "counselling": N_("psychological counsellors"),
    "medical": N_("emergency-rescue / medical staff"),
    "merchants": N_("merchants"),
    "workers": N_("enterprise workers"),
}
CONTENT_LABELS = {"patrol": N_("law and safety prevention"), "anti_fraud": N_("anti-fraud"), "mediation": N_("mediation"), "emergency": N_("emergency skills")}


@dataclass(frozen=True)
class Control:
    """One control on the page.

    ``kind`` is the widget (``SliderInt``, ``SliderFloat``, ``Select``, ``Checkbox``,
    ``InputText``; the names of Mesa's SolaraViz input types, so :func:`mesa_model_params` still works).  ``path`` is the config field it sets; ``member`` marks one
    entry of a list-valued field (a checkbox per target group or training subject).
    """

    name: str
    label: str
    kind: str
    group: str
    path: str | None = None
    member: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: tuple[str, ...] = field(default=())
    explain: tuple[str, ...] = field(default=())  # a few plain words per value of a Select, shown beside it

    def shown(self, value: Any) -> Any:
        """How a Select shows ``value`` on the page: ``"matched — rewards matched to each group"``."""
        if not self.explain or value not in self.values:
            return value
        return f"{value} — {self.explain[self.values.index(value)]}"

    def parse(self, shown: Any) -> Any:
        """The config value of what the page shows (accepts the bare value too)."""
        if isinstance(shown, str) and self.explain:
            return shown.split(" — ", 1)[0]
        return shown

    def default(self, cfg: ModelConfig) -> Any:
        """The control's value under ``cfg`` (the status quo when ``cfg`` is the classroom village)."""
        value = get_dotted(cfg, self.path)
        return self.member in value if self.member is not None else value


def _lever(group: str, path: str, label: str, kind: str, **kw: Any) -> Control:
    return Control(name=path.replace(".", "__"), label=label, kind=kind, group=group, path=path, **kw)


def _members(group: str, path: str, labels: dict[str, str]) -> list[Control]:
    return [
        Control(name=f"{path.replace('.', '__')}__{key}", label=text, kind="Checkbox", group=group, path=path, member=key)
        for key, text in labels.items()
    ]


# One checkbox per list member; whole sentences, so a translation can order the words freely.
RECRUIT_LABELS = {
    "students": N_("Recruit university students"),
    "law": N_("Recruit law professionals"),
    "counselling": N_("Recruit psychological counsellors"),
    "medical": N_("Recruit emergency-rescue / medical staff"),
    "merchants": N_("Recruit merchants"),
    "workers": N_("Recruit enterprise workers"),
}
TEACH_LABELS = {
    "patrol": N_("Teach law and safety prevention"),
    "anti_fraud": N_("Teach anti-fraud"),
    "mediation": N_("Teach mediation"),
    "emergency": N_("Teach emergency skills"),
}


LEVER_CONTROLS: list[Control] = [
    # Path 1.1 — recruitment
    *_members("Recruitment (path 1.1)", "levers.recruitment.targets", RECRUIT_LABELS),
    _lever("Recruitment (path 1.1)", "levers.recruitment.drives_per_year", N_("Recruitment drives per community (per year)"), "SliderInt", min=0, max=12, step=1),
    _lever("Recruitment (path 1.1)", "levers.recruitment.university_partnerships", N_("University partnerships (study credit for students)"), "Checkbox"),
    _lever("Recruitment (path 1.1)", "levers.recruitment.merchant_guardians", N_("Merchants guard their own shops"), "Checkbox"),
    # Paths 1.2 / 3.2 — training
    _lever("Training (paths 1.2, 3.2)", "levers.training.coverage", N_("Training coverage (share of volunteers per session)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Training (paths 1.2, 3.2)", "levers.training.sessions_per_year", N_("Training sessions per year"), "SliderInt", min=0, max=24, step=1),
    *_members("Training (paths 1.2, 3.2)", "levers.training.content", TEACH_LABELS),
    _lever("Training (paths 1.2, 3.2)", "levers.training.mode", N_("Training mode"), "Select", values=("classroom", "door_to_door", "pre_job", "online"),
           explain=(N_("sessions at the station"), N_("trainers visit homes"), N_("before the first shift"), N_("self-study on a phone"))),
    _lever("Training (paths 1.2, 3.2)", "levers.training.cascade", N_("Backbone-instructor cascade (police train instructors)"), "Checkbox"),
    _lever("Training (paths 1.2, 3.2)", "levers.training.cascade_levels", N_("Cascade levels from police to volunteers"), "SliderInt", min=1, max=5, step=1),
    _lever("Training (paths 1.2, 3.2)", "levers.training.joint_drills_per_year", N_("Joint drills with fire, health, emergency (per year)"), "SliderInt", min=0, max=12, step=1),
    # Path 1.3 — role clarity
    _lever("Role clarity (path 1.3)", "levers.role_clarity.level", N_("Clarity of volunteers' duties and rights (0 vague - 1 clear)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    # Path 2.1 — dialogue
    _lever("Dialogue (path 2.1)", "levers.dialogue.mobile_weight", N_("Weight of the mobile population on the agenda (0-1)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Dialogue (path 2.1)", "levers.dialogue.dispersed_weight", N_("Weight of unorganized residents on the agenda (0-1)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Dialogue (path 2.1)", "levers.dialogue.meetings_per_year", N_("Equal-dialogue meetings per community (per year)"), "SliderInt", min=0, max=24, step=1),
    # Path 2.2 — channels
    _lever("Channels (path 2.2)", "levers.channels.hotline", N_("110 hotline"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.app", N_("App / WeChat mini-program reporting"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.group_chat", N_("Volunteer group chats"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.joint_meetings", N_("Joint meetings (police, residents, organizations)"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.social_orgs", N_("Grassroots social organizations as a channel"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.enterprise", N_("Cooperation with enterprises"), "Checkbox"),
    _lever("Channels (path 2.2)", "levers.channels.closed_loop", N_("Closed loop with feedback to the reporter"), "Checkbox"),
    # Path 3.1 — publicity
    _lever("Publicity (path 3.1)", "levers.publicity.intensity", N_("Publicity intensity (share of days with a campaign)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Publicity (path 3.1)", "levers.publicity.newspaper", N_("Newspaper share of the campaign (reaches 60+)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Publicity (path 3.1)", "levers.publicity.wechat", N_("WeChat share of the campaign (all ages)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Publicity (path 3.1)", "levers.publicity.weibo", N_("Weibo share of the campaign (young)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Publicity (path 3.1)", "levers.publicity.tiktok", N_("TikTok/Douyin share of the campaign (young, middle-aged)"), "SliderFloat", min=0.0, max=1.0, step=0.05),
    _lever("Publicity (path 3.1)", "levers.publicity.role_models", N_("Publicise role-model volunteers"), "Checkbox"),
    _lever("Publicity (path 3.1)", "levers.publicity.anti_fraud", N_("Anti-fraud warnings"), "Select", values=("none", "mass", "targeted"),
           explain=(N_("no campaign"), N_("untargeted messages to all"), N_("volunteers warn residents in person"))),
    _lever("Publicity (path 3.1)", "levers.publicity.warnings_per_shift", N_("Residents warned per volunteer shift (targeted warnings)"), "SliderFloat", min=0.0, max=10.0, step=0.5),
    # Path 4.1 — incentives
    _lever("Incentives (path 4.1)", "levers.incentives.scheme", N_("Incentive scheme"), "Select", values=("none", "top_bonus", "points", "matched"),
           explain=(N_("no rewards"), N_("small bonus for a few"), N_("service hours into points"), N_("rewards matched to each group"))),
    _lever("Incentives (path 4.1)", "levers.incentives.top_share", N_("Share of volunteers given the top bonus"), "SliderFloat", min=0.0, max=0.5, step=0.01),
    _lever("Incentives (path 4.1)", "levers.incentives.budget_cny_per_year", N_("Incentive budget (CNY per year per 20,000 residents)"), "SliderInt", min=0, max=300_000, step=10_000),
    # Path 4.2 — evaluation
    _lever("Evaluation (path 4.2)", "levers.evaluation.satisfaction_led", N_("Evaluation led by public satisfaction"), "Checkbox"),
    _lever("Evaluation (path 4.2)", "levers.evaluation.third_party", N_("Third-party expert evaluation"), "Checkbox"),
    _lever("Evaluation (path 4.2)", "levers.evaluation.cycles_per_year", N_("Evaluation cycles per year"), "SliderInt", min=0, max=12, step=1),
    # Factor 4 — allocation
    _lever("Allocation (resource factor)", "levers.allocation.rule", N_("Where patrols go"), "Select", values=("uniform", "risk", "need"),
           explain=(N_("evenly"), N_("to hot spots"), N_("where the agenda says"))),
]

PROCESS_LABELS = {
    "levers": N_("Policy levers act and spend"),
    "publicity": N_("Media publicity"),
    "word_of_mouth": N_("Word of mouth between neighbours"),
    "participation": N_("Volunteers register, serve, tire and drop out"),
    "training": N_("Training and skill decay"),
    "deployment": N_("Patrols guard places"),
    "property_incidents": N_("Property and public-order incidents"),
    "fraud": N_("Fraud attempts"),
    "disputes": N_("Neighbour disputes"),
    "emergencies": N_("Emergencies"),
    "reporting": N_("Reporting and police response"),
    "feedback": N_("Satisfaction and trust respond"),
}
PROCESS_CONTROLS: list[Control] = [
    Control(name=f"processes__{key}", label=label, kind="Checkbox", group="Processes", path=f"processes.{key}") for key, label in PROCESS_LABELS.items()
]

POPULATION = Control(name="n_residents", label=N_("Residents (population size)"), kind="SliderInt", group="World", path="world.n_residents", min=1000, max=20000, step=1000)
SEED = Control(name="seed", label=N_("Seed (a whole number)"), kind="InputText", group="World")
PRESET = Control(name="preset", label=N_("Path preset (applied on Reset)"), kind="Select", group="Path preset", values=tuple(PRESET_LABELS.values()))
_PRESET_KEYS = {label: key for key, label in PRESET_LABELS.items()}
YOUR_CONTROL = N_("your control")  # the source of a setting the student moved

CONTROLS: list[Control] = [PRESET, POPULATION, SEED, *LEVER_CONTROLS, *PROCESS_CONTROLS]
"""Every control of the page, in display order."""

_BY_NAME = {c.name: c for c in CONTROLS}


# ------------------------------------------------------------------------------------------------
# How the page groups the controls: one expandable panel per optimization path, plus World and
# Processes.  A teacher finds a lever under the path the study discusses it in.
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    explain: str  # one line under the title


PANELS: list[Panel] = [
    Panel("path1", N_("Path 1 — governance subjects"), N_("Who joins and how ready they are: recruitment, training, role clarity.")),
    Panel("path2", N_("Path 2 — governance systems"), N_("How residents are heard and how they report: dialogue and reporting channels.")),
    Panel("path3", N_("Path 3 — governance culture"), N_("How people learn to take part: publicity and the training cascade.")),
    Panel("path4", N_("Path 4 — governance strategies"), N_("How effort is rewarded, judged and placed: incentives, evaluation, allocation.")),
    Panel("world", N_("World"), N_("The village itself: how many residents, and the seed of its chance events.")),
    Panel("processes", N_("Processes"), N_("Switch parts of the model off to see what each part does.")),
]
PATH_PANELS = ("path1", "path2", "path3", "path4")

# The sub-heading of each control group inside its panel.
GROUP_TITLES = {
    "Recruitment (path 1.1)": N_("Recruitment (path 1.1)"),
    "Training (paths 1.2, 3.2)": N_("Training (path 1.2)"),
    "Role clarity (path 1.3)": N_("Role clarity (path 1.3)"),
    "Dialogue (path 2.1)": N_("Dialogue (path 2.1)"),
    "Channels (path 2.2)": N_("Channels (path 2.2)"),
    "Publicity (path 3.1)": N_("Publicity (path 3.1)"),
    "Incentives (path 4.1)": N_("Incentives (path 4.1)"),
    "Evaluation (path 4.2)": N_("Evaluation (path 4.2)"),
    "Allocation (resource factor)": N_("Allocation (resource factor)"),
    "World": N_("World"),
    "Processes": N_("Processes"),
}
_PANEL_OF_GROUP = {
    "Recruitment (path 1.1)": "path1", "Training (paths 1.2, 3.2)": "path1", "Role clarity (path 1.3)": "path1",
    "Dialogue (path 2.1)": "path2", "Channels (path 2.2)": "path2",
    "Publicity (path 3.1)": "path3",
    "Incentives (path 4.1)": "path4", "Evaluation (path 4.2)": "path4", "Allocation (resource factor)": "path4",
    "World": "world", "Processes": "processes",
}
# The backbone-instructor cascade is how path 3 (culture) spreads training; the rest of training is path 1.
_CASCADE = {"levers.training.cascade": N_("Training cascade (path 3.2)"), "levers.training.cascade_levels": N_("Training cascade (path 3.2)")}


def panel_of(control: Control) -> str:
    """The key of the panel that shows ``control``."""
    return "path3" if control.path in _CASCADE else _PANEL_OF_GROUP[control.group]


def group_title(control: Control) -> str:
    """The (untranslated) sub-heading ``control`` is listed under in its panel."""
    return _CASCADE.get(control.path, GROUP_TITLES[control.group])


def controls_in(panel: str) -> list[Control]:
    """The controls of one panel, in display order (the preset has no panel: it sits above them)."""
    return [c for c in CONTROLS if c is not PRESET and panel_of(c) == panel]


# The unit each slider is measured in (checkboxes are on/off, selects a choice).
UNITS = {
    "world.n_residents": N_("people"),
    "levers.recruitment.drives_per_year": N_("drives per community per year"),
    "levers.training.coverage": N_("share of volunteers, 0–1"),
    "levers.training.sessions_per_year": N_("sessions per year"),
    "levers.training.cascade_levels": N_("levels"),
    "levers.training.joint_drills_per_year": N_("drills per year"),
    "levers.role_clarity.level": N_("index, 0 vague – 1 clear"),
    "levers.dialogue.mobile_weight": N_("weight, 0–1"),
    "levers.dialogue.dispersed_weight": N_("weight, 0–1"),
    "levers.dialogue.meetings_per_year": N_("meetings per community per year"),
    "levers.publicity.intensity": N_("share of days, 0–1"),
    "levers.publicity.newspaper": N_("share of the campaign, 0–1"),
    "levers.publicity.wechat": N_("share of the campaign, 0–1"),
    "levers.publicity.weibo": N_("share of the campaign, 0–1"),
    "levers.publicity.tiktok": N_("share of the campaign, 0–1"),
    "levers.publicity.warnings_per_shift": N_("residents per volunteer shift"),
    "levers.incentives.top_share": N_("share of volunteers, 0–0.5"),
    "levers.incentives.budget_cny_per_year": N_("CNY per year per 20,000 residents"),
    "levers.evaluation.cycles_per_year": N_("cycles per year"),
}


def unit(control: Control) -> str:
    """The (untranslated) unit shown beside ``control``."""
    if control.kind == "Checkbox":
        return N_("on / off")
    if control.kind == "Select":
        return N_("choice")
    if control is SEED:
        return N_("whole number")
    return UNITS[control.path]


def classroom_config() -> ModelConfig:
    """The classroom village under the status quo: the base every preset builds on."""
    return load_config(CLASSROOM_CONFIG)


def parse_seed(text: Any, fallback: int, _: Callable[[str], str] = N_) -> tuple[int, str | None]:
    """A seed typed on the page -> (integer seed, warning or None, in the language of ``_``)."""
    raw = str(text).strip()
    try:
        value = int(raw)
    except ValueError:
        return fallback, _("Seed must be a whole number; {raw} is not one, so seed {fallback} is used.").format(raw=repr(raw), fallback=fallback)
    if value < 0:
        return fallback, _("Seed must be zero or more; {value} is not, so seed {fallback} is used.").format(value=value, fallback=fallback)
    return value, None


def controls_to_overrides(preset: str, values: dict[str, Any], base: ModelConfig) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Dotted config overrides for a preset and control values, plus the settings in effect.

    Returns ``(overrides, settings)`` where ``settings`` lists ``(label, value, source)`` for each
    setting that differs from the status quo; ``source`` is the preset's label or "your control".
    """
    unknown = sorted(set(values) - set(_BY_NAME))
    if unknown:
        raise TypeError(f"unknown control(s): {', '.join(unknown)}")
    overrides: dict[str, Any] = dict(lever_overrides(preset))
    source = {path: PRESET_LABELS[preset] for path in overrides}
    # Group list members into their list-valued field.
    moved: dict[str, Any] = {}
    lists: dict[str, list[Control]] = {}
    values = {name: _BY_NAME[name].parse(value) for name, value in values.items()}
    for name, value in values.items():
        control = _BY_NAME[name]
        if control.path is None or control is POPULATION:
            continue
        if control.member is not None:
            lists.setdefault(control.path, []).append(control)
            continue
        if value != control.default(base):
            moved[control.path] = value
    for path, members in lists.items():
        default = get_dotted(base, path)
        chosen = [c.member for c in members if values[c.name]]
        chosen += [m for m in default if m not in {c.member for c in members}]  # members without a control keep their value
        if sorted(chosen) != sorted(default):
            moved[path] = chosen
    overrides.update(moved)
    source.update({path: YOUR_CONTROL for path in moved})
    labels = {c.path: c.label for c in CONTROLS if c.path and c.member is None}
    labels.update({"levers.recruitment.targets": N_("Recruitment targets"), "levers.training.content": N_("Training subjects")})
    settings = []
    for path, value in overrides.items():
        if get_dotted(base, path) == value:
            continue
        label = labels.get(path, path.split(".")[-1].replace("_", " "))
        if isinstance(value, list):
            value = ", ".join(value) if value else N_("none")
        settings.append((label, str(value), source[path]))
    return overrides, settings


class TeachingModel(CommunitySafetyModel):
    """The classroom village, built from the page's controls (keyword arguments).

    ``TeachingModel()`` is the status quo; ``TeachingModel(preset="p4_strategies")`` path 4 (the
    page passes the preset's label, e.g. "Path 4: match governance strategies");
    any control name of :data:`CONTROLS` is a keyword, e.g. ``levers__channels__app=True``.
    """

    def __init__(self, preset: str = "status_quo", n_residents: int | None = None, seed: Any = None, **kwargs: Any) -> None:
        # ``**kwargs`` (not another name): Mesa's SolaraViz accepts extra parameters only under it.
        base = classroom_config()
        preset = _PRESET_KEYS.get(preset, preset)  # the page passes the label, code may pass the key
        if preset not in PATH_NAMES:
            raise ValueError(f"preset: {preset!r} is not a path; expected one of {', '.join(PATH_NAMES)}")
        seed_value, self.input_warning = parse_seed(base.run.seed if seed is None else seed, base.run.seed)
        overrides, self.settings_in_effect = controls_to_overrides(preset, kwargs, base)
        if n_residents is not None:  # None: the classroom village's own size
            overrides["world.n_residents"] = int(n_residents)
        self.preset = preset
        super().__init__(base.with_overrides(overrides), seed=seed_value)


def mesa_model_params() -> dict[str, dict[str, Any]]:
    """The controls as Mesa SolaraViz ``model_params`` (defaults: the status-quo village)."""
    base = classroom_config()
    params: dict[str, dict[str, Any]] = {}
    for c in CONTROLS:
        spec: dict[str, Any] = {"type": c.kind, "label": c.label}
        if c is PRESET:
            spec["value"] = PRESET_LABELS["status_quo"]
        elif c is SEED:
            spec["value"] = str(base.run.seed)
        else:
            spec["value"] = c.shown(c.default(base))
        if c.kind in ("SliderInt", "SliderFloat"):
            spec.update(min=c.min, max=c.max, step=c.step)
        if c.kind == "Select":
            spec["values"] = [c.shown(v) for v in c.values]
        params[c.name] = spec
    return params
