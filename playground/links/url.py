"""The shareable link: the whole view a URL holds, as data. Pure Python: the UI reads and writes it.

A link holds run A's settings, compare mode and run B's, the lesson on screen and the hidden controls:

- ``?learning_rate=0.1&hidden_layers=8,8`` run A's settings that differ from the defaults (as ever);
- ``compare=1`` compare mode, with run B's settings that differ from run A's as ``b.<name>=...``
  (only what is per run: data and the weight seed are shared by both runs, ``SHARED_FIELDS``);
- ``lesson=<key>`` a lesson: the settings are then counted from the lesson's (run A from its run A, run B
  from its run B), so the link stays ``?lesson=relu_he&hide=...`` until a setting changes; ``compare=0``
  or ``compare=1`` when compare mode differs from the lesson's;
- ``hide=...`` the hidden controls (``playground.links.hiding``).

Old links (run A's settings, ``lesson=``, ``hide=``) mean what they meant. ``parse_link`` never raises:
a malformed value is ignored with a message, as ``config.from_query`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.links.hiding import HIDE_PARAMETER, hide_value, parse_hide
from playground.teaching.lessons import LESSONS
from playground.training.config import (
    DATA_FIELDS,
    FIELDS,
    MAX_QUERY_CHARS,
    TrainingConfig,
    clamp_values,
    config_values,
    from_query,
    quoted,
    to_query,
)

LESSON_PARAMETER = "lesson"
COMPARE_PARAMETER = "compare"
RUN_B_PREFIX = "b."  # run B's settings: b.learning_rate=0.1
SHARED_FIELDS = DATA_FIELDS | {"weight_seed"}  # compare mode: identical data and seeds
PER_RUN_FIELDS = tuple(name for name in FIELDS if name not in SHARED_FIELDS)
_ON, _OFF = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}


@dataclass
class Link:
    """What a link opens: the runs, the lesson, the hidden controls, and why anything was ignored."""

    config_a: TrainingConfig
    config_b: TrainingConfig | None = None  # None: one run
    lesson: str | None = None
    hidden: frozenset[str] = frozenset()
    problems: list[str] = field(default_factory=list)


def _lesson_bases(lesson: str | None) -> tuple[TrainingConfig, TrainingConfig | None]:
    """What run A and run B are counted from: the lesson's runs, or the defaults and no run B."""
    if lesson in LESSONS:
        return LESSONS[lesson].config_a, LESSONS[lesson].config_b
    return TrainingConfig(), None


def with_shared(config: TrainingConfig, shared_from: TrainingConfig) -> TrainingConfig:
    """``config`` with the data and weight seed of ``shared_from`` (run B follows run A in these)."""
    values = config_values(config) | {name: getattr(shared_from, name) for name in SHARED_FIELDS}
    return clamp_values(values, config)[0]


def link_query(
    config_a: TrainingConfig,
    config_b: TrainingConfig | None = None,
    lesson: str | None = None,
    hidden: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """The URL parameters of a view (see the module's docstring); ``parse_link`` reads them back."""
    lesson = lesson if lesson in LESSONS else None
    base_a, base_b = _lesson_bases(lesson)
    query = {LESSON_PARAMETER: lesson} if lesson else {}
    query |= to_query(config_a, base_a)
    if (config_b is not None) != (base_b is not None):
        query[COMPARE_PARAMETER] = "1" if config_b is not None else "0"
    if config_b is not None:
        base = with_shared(base_b, config_a) if base_b is not None else config_a
        query |= to_query(config_b, base, RUN_B_PREFIX)
    if hidden:
        query[HIDE_PARAMETER] = hide_value(hidden)
    return query


def _last(raw) -> str | None:
    """A parameter's value: the last of repeated ones (None: absent or empty list)."""
    if isinstance(raw, list):
        return str(raw[-1]) if raw else None
    return None if raw is None else str(raw)


def parse_link(query: dict[str, str | list[str]]) -> Link:
    """The view a link's parameters describe. Never raises; everything ignored is named in ``problems``."""
    length = sum(len(str(name)) + len(str(raw)) for name, raw in query.items())
    if length > MAX_QUERY_CHARS:  # refused whole; from_query says so
        defaults, refused = from_query(query)
        return Link(defaults, problems=refused)
    problems: list[str] = []
    lesson = _last(query.get(LESSON_PARAMETER))
    if lesson is not None and lesson not in LESSONS:
        if lesson:
            problems.append(f"There is no lesson called {quoted(lesson[:40])}; showing the playground instead.")
        lesson = None
    base_a, base_b = _lesson_bases(lesson)
    config_a, problems_a = from_query(query, base_a)
    problems += problems_a

    compare = base_b is not None
    flag = _last(query.get(COMPARE_PARAMETER))
    if flag is not None:
        if flag.strip().lower() in _ON | _OFF:
            compare = flag.strip().lower() in _ON
        else:
            problems.append(f"Ignored compare={quoted(flag)} from the URL: use compare=1 (two runs) or compare=0.")

    b_names = [name for name in query if isinstance(name, str) and name.startswith(RUN_B_PREFIX)]
    config_b = None
    if compare:
        base = with_shared(base_b, config_a) if base_b is not None else config_a
        shared = sorted(name for name in b_names if name[len(RUN_B_PREFIX) :] in SHARED_FIELDS)
        unknown = [name for name in b_names if name[len(RUN_B_PREFIX) :] not in FIELDS]
        if shared:
            problems.append(
                f"Ignored {quoted(', '.join(shared))} from the URL: data and the weight seed are shared by both "
                "runs, so they are run A's."
            )
        if unknown:
            problems.append(f"Ignored {quoted(', '.join(unknown))} from the URL: run B has no such setting.")
        per_run = {name: raw for name, raw in query.items() if name in b_names and name not in shared}
        config_b, problems_b = from_query(per_run, base, RUN_B_PREFIX)
        problems += [f"Run B: {problem}" for problem in problems_b]
        config_b = with_shared(config_b, config_a)  # e.g. features reset for the digits: still run A's data
    elif b_names:
        problems.append(
            f"Ignored run B's settings ({quoted(', '.join(b_names))}) from the URL: the link is not in compare mode "
            "(add compare=1)."
        )
    hidden, hide_problems = parse_hide(query)
    return Link(config_a, config_b, lesson, hidden, problems + hide_problems)
