"""The shape of rule conditions and actions, and the messages for rules that break it.

A condition is `{"field": ..., "op": ..., "value": ...}`; all conditions of a rule must
hold. Lookups that need the database (does this team exist?) are passed in as sets, so
this module stays pure and is shared by the admin, the API and the services.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

# Field name -> kind of value the case has for it.
TEXT, SCALAR, NUMBER, LIST, ANY = "text", "scalar", "number", "list", "any"
ROUTING_FIELDS: dict[str, str] = {
    "category": LIST,  # the category and its ancestors, by slug
    "product": SCALAR,
    "priority": SCALAR,
    "channel": SCALAR,
    "organization": SCALAR,
    "organization_tier": SCALAR,
    "customer": SCALAR,  # the requester's e-mail address
    "customer_domain": SCALAR,
    "subject": TEXT,
    "body": TEXT,
    "text": TEXT,  # subject and body together
    "tags": LIST,
    "request_form": SCALAR,  # the slug of the request form the case came from
}
AUTOMATION_FIELDS: dict[str, str] = {
    **ROUTING_FIELDS,
    "state": SCALAR,
    "team": SCALAR,
    "assignee": SCALAR,
    "escalation_level": NUMBER,
    "reopen_count": NUMBER,
}
# Prefixed fields: custom fields, request-form answers and (automation) the triggering event.
ROUTING_PREFIXES = ("custom.", "form.")
AUTOMATION_PREFIXES = ("custom.", "form.", "event.")

OPERATORS = ("eq", "ne", "in", "not_in", "contains", "regex", "gt", "gte", "lt", "lte", "exists")
NUMERIC_OPS = frozenset({"gt", "gte", "lt", "lte"})
TEXT_OPS = frozenset({"contains", "regex"})
MAX_CONDITIONS = 30
MAX_REGEX = 500

ROUTING_ACTIONS = ("team", "priority", "add_tags", "strategy")
AUTOMATION_ACTIONS = ("assign", "set_field", "add_tag", "transition", "escalate", "notify", "create_task")
NOTIFY_CHANNELS = ("in_app", "email", "webhook")
NOTIFY_AUDIENCES = ("assignee", "team", "team_lead", "requester", "manager")
SETTABLE_FIELDS = ("priority", "category", "product")


@dataclass
class Lookups:
    """What exists in the database, for the checks that need it (all lower-case slugs or names)."""

    teams: Collection[str] = ()
    users: Collection[str] = ()
    categories: Collection[str] = ()
    products: Collection[str] = ()
    transitions: Collection[str] = ()
    choices: Mapping[str, Collection[str]] = field(default_factory=dict)


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (isinstance(value, str) and len(value) > 500)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_conditions(conditions, *, fields: Mapping[str, str], prefixes: tuple[str, ...],
                     lookups: Lookups) -> list[str]:
    """Return the problems with a list of conditions (empty when it is well formed)."""
    if not isinstance(conditions, list):
        return ["Conditions must be a list of {field, op, value} objects."]
    if len(conditions) > MAX_CONDITIONS:
        return [f"At most {MAX_CONDITIONS} conditions per rule."]
    errors: list[str] = []
    for n, cond in enumerate(conditions, start=1):
        where = f"Condition {n}"
        if not isinstance(cond, dict):
            errors.append(f"{where}: expected an object with field, op and value.")
            continue
        extra = set(cond) - {"field", "op", "value"}
        if extra:
            errors.append(f"{where}: unknown key {sorted(extra)[0]!r} (use field, op and value).")
        name, op, value = cond.get("field"), cond.get("op"), cond.get("value")
        if not isinstance(name, str) or not name:
            errors.append(f"{where}: field is required.")
            continue
        kind = fields.get(name)
        if kind is None:
            prefix = next((p for p in prefixes if name.startswith(p) and len(name) > len(p)), None)
            if prefix is None:
                known = ", ".join(sorted(fields)) + ", " + ", ".join(f"{p}<name>" for p in prefixes)
                errors.append(f"{where}: unknown field {name!r}. Known fields: {known}.")
                continue
            kind = ANY
        if op not in OPERATORS:
            errors.append(f"{where}: unknown operator {op!r}. Use one of {', '.join(OPERATORS)}.")
            continue
        errors += [f"{where} ({name} {op}): {m}" for m in _check_value(name, kind, op, value, lookups)]
    return errors


def _check_value(name: str, kind: str, op: str, value, lookups: Lookups) -> list[str]:
    if op in NUMERIC_OPS:
        if kind in (TEXT, LIST) or (kind == SCALAR and name not in ("escalation_level", "reopen_count")):
            return [f"wrong type: {name} is not a number, so {op} cannot compare it."]
        return [] if _number(value) else ["wrong type: the value must be a number."]
    if op in TEXT_OPS and kind == NUMBER:
        return [f"wrong type: {name} is a number; use eq, in, gt, gte, lt or lte."]
    if op == "exists":
        return [] if isinstance(value, bool) else ["wrong type: the value must be true or false."]
    if op == "regex":
        if not isinstance(value, str) or not value:
            return ["wrong type: the value must be a regular expression string."]
        if len(value) > MAX_REGEX:
            return [f"the regular expression is longer than {MAX_REGEX} characters."]
        try:
            re.compile(value)
        except re.error as exc:
            return [f"invalid regular expression: {exc}."]
        return []
    if op == "contains":
        words = [value] if isinstance(value, str) else value
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            return ["wrong type: the value must be a keyword or a non-empty list of keywords."]
        return []
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(_scalar(v) for v in value):
            return ["wrong type: the value must be a non-empty list of values."]
        values = value
    else:
        if not _scalar(value):
            return ["wrong type: the value must be a single string, number or true/false."]
        values = [value]
    if kind == NUMBER and not all(_number(v) for v in values):
        return ["wrong type: the value must be a number."]
    return _check_known(name, values, lookups)


def _check_known(name: str, values: list, lookups: Lookups) -> list[str]:
    known = {
        "category": lookups.categories, "product": lookups.products, "team": lookups.teams,
        **lookups.choices,
    }.get(name)
    if known is None:
        return []
    allowed = {str(k).lower() for k in known}
    missing = [v for v in values if str(v).lower() not in allowed]
    if missing:
        return [f"no {name.replace('_', ' ')} called {missing[0]!r} exists."]
    return []


def check_routing_actions(actions, *, lookups: Lookups, strategies: Collection[str]) -> list[str]:
    """Return the problems with a routing rule's actions object."""
    if not isinstance(actions, dict):
        return ["Actions must be an object such as {\"team\": \"support-l1\"}."]
    errors = [f"unknown action {k!r}. Use {', '.join(ROUTING_ACTIONS)}." for k in actions if k not in ROUTING_ACTIONS]
    team = actions.get("team")
    if team is not None:
        if not isinstance(team, str):
            errors.append("team: wrong type, expected a team slug.")
        elif team.lower() not in {t.lower() for t in lookups.teams}:
            errors.append(f"team: the team {team!r} does not exist (or is inactive).")
    if "priority" in actions:
        errors += [f"priority: {m}" for m in _check_known("priority", [actions["priority"]], lookups)]
    tags = actions.get("add_tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 50 for t in tags)):
        errors.append("add_tags: wrong type, expected a list of tag names.")
    if "strategy" in actions and actions["strategy"] not in strategies:
        errors.append(f"strategy: unknown strategy {actions['strategy']!r}. Use one of {', '.join(strategies)}.")
    return errors


def check_automation_actions(actions, *, lookups: Lookups) -> list[str]:
    """Return the problems with an automation rule's list of actions."""
    if not isinstance(actions, list) or not actions:
        return ["Actions must be a non-empty list of {\"type\": ...} objects."]
    errors: list[str] = []
    for n, act in enumerate(actions, start=1):
        where = f"Action {n}"
        if not isinstance(act, dict) or act.get("type") not in AUTOMATION_ACTIONS:
            kind = act.get("type") if isinstance(act, dict) else act
            errors.append(f"{where}: unknown action type {kind!r}. Use one of {', '.join(AUTOMATION_ACTIONS)}.")
            continue
        errors += [f"{where} ({act['type']}): {m}" for m in _check_action(act, lookups)]
    return errors


_ACTION_KEYS = {
    "assign": {"to"},
    "set_field": {"field", "value"},
    "add_tag": {"tags"},
    "transition": {"name", "reason"},
    "escalate": {"reason"},
    "notify": {"channel", "to", "title", "body", "event_type"},
    "create_task": {"department", "title", "description", "route_template", "blocking"},
}


def _check_action(act: dict, lookups: Lookups) -> list[str]:
    kind = act["type"]
    extra = set(act) - _ACTION_KEYS[kind] - {"type"}
    if extra:
        return [f"unknown key {sorted(extra)[0]!r}; allowed: {', '.join(sorted(_ACTION_KEYS[kind]))}."]
    if kind == "assign":
        to = act.get("to")
        if not isinstance(to, str) or not to:
            return ["to is required: \"team_strategy\" or a username."]
        if to != "team_strategy" and to.lower() not in {u.lower() for u in lookups.users}:
            return [f"no active staff user called {to!r} exists."]
    elif kind == "set_field":
        name = act.get("field")
        if not isinstance(name, str) or (name not in SETTABLE_FIELDS and not name.startswith("custom.")):
            return [f"field must be one of {', '.join(SETTABLE_FIELDS)} or custom.<name>."]
        if not name.startswith("custom.") and not _scalar(act.get("value")):
            return ["wrong type: value must be a single value."]
        if name in ("priority", "category", "product"):
            return _check_known(name, [act.get("value")], lookups)
    elif kind == "add_tag":
        tags = act.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and 0 < len(t) <= 50 for t in tags):
            return ["wrong type: tags must be a non-empty list of names."]
    elif kind == "transition":
        if act.get("name") not in lookups.transitions:
            return [f"unknown transition {act.get('name')!r}."]
    elif kind == "notify":
        return _check_notify(act)
    elif kind == "create_task":
        dept = act.get("department")
        if not isinstance(dept, str) or dept.lower() not in {t.lower() for t in lookups.teams}:
            return [f"the department {dept!r} does not exist (or is inactive)."]
        if not isinstance(act.get("title"), str) or not act["title"].strip():
            return ["title is required."]
        if "blocking" in act and not isinstance(act["blocking"], bool):
            return ["wrong type: blocking must be true or false."]
    return []


def _check_notify(act: dict) -> list[str]:
    channel = act.get("channel")
    if channel not in NOTIFY_CHANNELS:
        return [f"channel must be one of {', '.join(NOTIFY_CHANNELS)}."]
    if channel == "webhook":
        event_type = act.get("event_type", "automation")
        return [] if isinstance(event_type, str) and event_type else ["event_type must be a name."]
    to = act.get("to")
    if not isinstance(to, list) or not to or any(t not in NOTIFY_AUDIENCES for t in to):
        return [f"to must be a list drawn from {', '.join(NOTIFY_AUDIENCES)}."]
    if not isinstance(act.get("title"), str) or not act["title"].strip():
        return ["title is required."]
    return []
