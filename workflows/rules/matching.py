"""Compiled conditions evaluated against facts about a case; first match wins.

Conditions are compiled once per rule (regexes and keyword patterns built ahead), so a
case is checked against hundreds of rules in well under a millisecond. A condition that
fails at run time raises `RuleFailure`; `first_match` records it and moves on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


class RuleFailure(Exception):
    """A rule could not be evaluated for these facts (bad data met a condition)."""


_MISSING = object()


def fact(facts: dict[str, Any], name: str) -> Any:
    """Return the fact called `name` (`custom.x`, `form.x` and `event.x` look inside)."""
    for prefix in ("custom.", "form.", "event."):
        if name.startswith(prefix):
            return facts.get(prefix[:-1], {}).get(name[len(prefix):])
    return facts.get(name)


def _norm(value):
    return value.lower() if isinstance(value, str) else value


def _as_number(value):
    if isinstance(value, bool):
        raise RuleFailure(f"expected a number, found {value!r}")
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RuleFailure(f"expected a number, found {value!r}") from None


def _compile_check(op: str, value) -> Callable[[Any], bool]:
    """Return a predicate on the fact's value for one operator and expected value."""
    if op in ("eq", "ne"):
        want = _norm(value)

        def eq(actual):
            if isinstance(actual, (list, tuple, set, frozenset)):
                return want in {_norm(a) for a in actual}
            return _norm(actual) == want

        return eq if op == "eq" else (lambda actual: not eq(actual))
    if op in ("in", "not_in"):
        wanted = {_norm(v) for v in value}

        def isin(actual):
            if isinstance(actual, (list, tuple, set, frozenset)):
                return any(_norm(a) in wanted for a in actual)
            return _norm(actual) in wanted

        return isin if op == "in" else (lambda actual: not isin(actual))
    if op in ("contains", "regex"):
        if op == "contains":
            words = [value] if isinstance(value, str) else value
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(w.strip()) for w in words) + r")", re.IGNORECASE)
        else:
            pattern = re.compile(value)

        def search(actual):
            if actual is None:
                return False
            if isinstance(actual, (list, tuple, set, frozenset)):
                return any(pattern.search(str(a)) for a in actual)
            return pattern.search(str(actual)) is not None

        return search
    if op == "exists":
        return lambda actual: (actual not in (None, "", [], {})) is bool(value)
    compare = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
               "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}[op]
    return lambda actual: actual is not None and compare(_as_number(actual), value)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    check: Callable[[Any], bool] = field(repr=False, compare=False)


def compile_conditions(conditions: Iterable[dict]) -> tuple[Condition, ...]:
    """Compile checked conditions (see `schema.check_conditions`) into predicates."""
    return tuple(Condition(c["field"], c["op"], c.get("value"), _compile_check(c["op"], c.get("value")))
                 for c in conditions)


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    conditions: tuple[Condition, ...]
    actions: Any
    is_default: bool = False


@dataclass
class Match:
    """The rule that matched, what held for it, and the rules skipped because they failed."""

    rule: CompiledRule | None
    held: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    evaluated: int = 0


def evaluate(rule: CompiledRule, facts: dict[str, Any]) -> tuple[bool, list[dict]]:
    """Tell whether every condition of `rule` holds; return the conditions checked with their outcome.

    Raises RuleFailure when a condition cannot be evaluated.
    """
    held = []
    for cond in rule.conditions:
        actual = fact(facts, cond.field)
        ok = _check(cond, actual)
        held.append({"field": cond.field, "op": cond.op, "value": cond.value, "actual": _shown(actual), "held": ok})
        if not ok:
            return False, held
    return True, held


def holds(rule: CompiledRule, facts: dict[str, Any]) -> bool:
    """Tell whether every condition of `rule` holds, without recording them (see `evaluate`).

    Raises RuleFailure when a condition cannot be evaluated.
    """
    for cond in rule.conditions:
        if not _check(cond, fact(facts, cond.field)):
            return False
    return True


def _check(cond: Condition, actual) -> bool:
    try:
        return bool(cond.check(actual))
    except RuleFailure:
        raise
    except Exception as exc:  # data the rule's author did not foresee
        raise RuleFailure(f"{cond.field} {cond.op}: {exc}") from exc


def first_match(rules: Sequence[CompiledRule], facts: dict[str, Any]) -> Match:
    """Return the first rule whose conditions all hold; failing rules are recorded and skipped.

    Only the matching rule's conditions are recorded with their values: most of hundreds
    of rules fail on their first condition, and recording each would cost more than checking.
    """
    match = Match(rule=None)
    for rule in rules:
        match.evaluated += 1
        try:
            ok = holds(rule, facts)
        except RuleFailure as exc:
            match.failures.append({"rule": rule.name, "rule_id": rule.id, "error": str(exc)})
            continue
        if ok:
            match.rule, (_, match.held) = rule, evaluate(rule, facts)
            return match
    return match


def _shown(value):
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "..."
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str)
    return value
