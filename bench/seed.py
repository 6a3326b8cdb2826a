"""Fill a PostgreSQL database with realistic case data, fast: up to 1,000,000 cases in minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_bench .venv/bin/python bench/seed.py --cases 1000000

Makes (once) organizations in tiers, customers, support teams in three time zones with
their agents, products, categories and tags, then adds cases until the database holds
`--cases` bench cases, each with its `created` event and some tags. Running it again
with a larger number adds only the difference.

How it is fast: reference rows go in with COPY (psycopg 3 `cursor.copy`); cases, events and
tag links are generated inside PostgreSQL with `INSERT ... SELECT` over `generate_series`
in batches, with the tables' secondary indexes dropped during the load and rebuilt after
(one sort per index instead of a million inserts into each), and foreign-key triggers
off for the load (`session_replication_role = replica`: every id we write comes from the
rows made just before). Then `ANALYZE`, so the planner sees the real sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

PREFIX = "bench"
ORGS = 2_000
CUSTOMERS = 50_000
TEAMS = [("bench-l1-manila", "Bench L1 Manila", 1, "Asia/Manila"), ("bench-l1-dublin", "Bench L1 Dublin", 1, "Europe/Dublin"),
         ("bench-l1-chicago", "Bench L1 Chicago", 1, "America/Chicago"), ("bench-l2-manila", "Bench L2 Manila", 2, "Asia/Manila"),
         ("bench-l2-dublin", "Bench L2 Dublin", 2, "Europe/Dublin"), ("bench-l2-chicago", "Bench L2 Chicago", 2, "America/Chicago"),
         ("bench-finance", "Bench Finance", None, "America/Chicago"), ("bench-engineering", "Bench Engineering", None, "Europe/Dublin")]
AGENTS_PER_TEAM = 10
TAGS = [f"bench-{t}" for t in ("vip", "outage", "mobile", "eu", "renewal", "onboarding", "invoice", "security", "api",
                               "refund", "chargeback", "sso", "export", "latency", "billing", "upgrade")]
BATCH = 100_000
SUBJECTS = ["Cannot sign in after password reset", "Invoice shows the wrong VAT number", "Refund for duplicate charge",
            "Export to CSV crashes", "Webhook deliveries return 401", "App freezes on statements",
            "Two-factor code never arrives", "Please add dark mode", "Card declined at checkout",
            "Reports take minutes to load", "Change the company address", "Chargeback notice received",
            "Discount not applied on renewal", "Delivery arrived damaged", "API token rejected"]
WORDS = ["payment", "login", "invoice", "refund", "error", "timeout", "account", "order", "card", "report", "export",
         "mobile", "browser", "update", "password", "webhook", "integration", "delivery", "plan", "renewal"]
# Share of each state among bench cases: most of a help desk's history is closed.
STATES = [("closed", 0.62), ("resolved", 0.08), ("cancelled", 0.04), ("merged", 0.01), ("new", 0.03), ("triaged", 0.03),
          ("assigned", 0.05), ("in_progress", 0.07), ("waiting_on_customer", 0.04), ("waiting_on_internal", 0.03)]
LOADED_TABLES = ["tickets_case", "tickets_caseevent", "tickets_case_tags"]


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def reference_data(cursor) -> None:
    """Create the bench organizations, people, teams, products, categories and tags once."""
    cursor.execute("SELECT count(*) FROM tickets_user WHERE username = %s", [f"{PREFIX}-customer-0"])
    if cursor.fetchone()[0]:
        return
    tiers = ["standard", "premium", "enterprise"]
    _copy(cursor, "tickets_organization", ["name", "tier", "domain", "created_at"],
          ((f"Bench Org {i:05d}", tiers[i % 10 // 4 if i % 10 < 8 else 2], f"org{i}.bench.example", "2024-01-01T00:00Z")
           for i in range(ORGS)))
    cursor.execute("SELECT min(id) FROM tickets_organization WHERE name LIKE 'Bench Org %%'")
    first_org = cursor.fetchone()[0]
    people = [(f"{PREFIX}-customer-{i}", "customer", first_org + i % ORGS, i % 97 == 0) for i in range(CUSTOMERS)]
    people += [(f"{PREFIX}-agent-{t}-{a}", "agent" if TEAMS[t][2] else "department", None, False)
               for t in range(len(TEAMS)) for a in range(AGENTS_PER_TEAM)]
    _copy(cursor, "tickets_user",
          ["password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
           "date_joined", "role", "is_org_admin", "time_zone", "organization_id"],
          (("!", False, u, u.split("-")[1].title(), u.rsplit("-", 1)[-1], f"{u}@bench.example", False, True,
            "2024-01-01T00:00Z", role, admin, "UTC", org) for u, role, org, admin in people))
    # Teams and memberships through the ORM: few rows, and the model's defaults apply to
    # columns other apps add to teams.
    from tickets.models import User
    from workflows.models import Membership, Team, TeamKind

    teams = Team.objects.bulk_create([
        Team(slug=slug, name=name, kind=TeamKind.SUPPORT if tier else TeamKind.DEPARTMENT, tier=tier, time_zone=tz)
        for slug, name, tier, tz in TEAMS])
    agents = {u.username: u.pk for u in User.objects.filter(username__startswith=f"{PREFIX}-agent-")}
    Membership.objects.bulk_create([
        Membership(team=team, user_id=agents[f"{PREFIX}-agent-{t}-{a}"])
        for t, team in enumerate(teams) for a in range(AGENTS_PER_TEAM)])
    _copy(cursor, "tickets_product", ["name", "slug", "area", "is_active"],
          ((f"Bench Product {i}", f"bench-product-{i}", f"Area {i % 5}", True) for i in range(20)))
    for root in ("billing", "technical", "account", "refund", "feedback"):
        cursor.execute("INSERT INTO tickets_category (name, slug, is_active) VALUES (%s, %s, true) RETURNING id",
                       [f"Bench {root}", f"bench-{root}"])
        parent = cursor.fetchone()[0]
        for child in range(3):
            cursor.execute("INSERT INTO tickets_category (name, slug, parent_id, is_active) VALUES (%s, %s, %s, true)",
                           [f"Bench {root} {child}", f"bench-{root}-{child}", parent])
    _copy(cursor, "tickets_tag", ["name"], ((t,) for t in TAGS))


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """Return (name, definition) of the loaded tables' indexes that no constraint owns."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND i.schemaname = 'public' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [LOADED_TABLES])
    return cursor.fetchall()


def bench_case_count(cursor) -> int:
    cursor.execute("SELECT count(*) FROM tickets_case WHERE subject LIKE '[bench]%%'")
    return cursor.fetchone()[0]


def seed(total: int, *, log=print) -> dict:
    """Add bench cases until there are `total`; return what was done and how long it took."""
    if not settings.IS_POSTGRES:
        raise SystemExit("bench/seed.py needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    started = time.perf_counter()
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        reference_data(cursor)
        have = bench_case_count(cursor)
        missing = total - have
        if missing <= 0:
            log(f"{have} bench cases already there")
            return {"cases": have, "added": 0, "seconds": 0.0}
        log(f"{have} bench cases there; adding {missing}")
        indexes = _secondary_indexes(cursor)
        t = time.perf_counter()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_case")
        first = cursor.fetchone()[0] + 1
        done = 0
        while done < missing:
            size = min(BATCH, missing - done)
            _insert_cases(cursor, first + done, first + done + size - 1, total)
            done += size
            log(f"  {have + done} cases")
        timings["insert_s"] = round(time.perf_counter() - t, 1)
        cursor.execute("SET session_replication_role = DEFAULT")
        t = time.perf_counter()
        for name, definition in indexes:
            cursor.execute(definition)
        timings["indexes_s"] = round(time.perf_counter() - t, 1)
        for table in ("tickets_case", "tickets_caseevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE tickets_case; ANALYZE tickets_caseevent; ANALYZE tickets_case_tags; ANALYZE tickets_user")
    result = {"cases": total, "added": missing, "seconds": round(time.perf_counter() - started, 1), **timings}
    log(f"seeded {missing} cases in {result['seconds']}s ({timings})")
    return result


def _insert_cases(cursor, lo: int, hi: int, total: int) -> None:
    """Insert cases lo..hi with their created events and tags, in one statement each."""
    states, cumulative, acc = [], [], 0.0
    for state, share in STATES:
        acc += share
        states.append(state)
        cumulative.append(acc)
    cursor.execute(
        """
        WITH ref AS (
          SELECT (SELECT array_agg(id ORDER BY id) FROM tickets_user WHERE username LIKE %(p)s || '-customer-%%') AS cust,
                 (SELECT array_agg(organization_id ORDER BY id) FROM tickets_user WHERE username LIKE %(p)s || '-customer-%%') AS corg,
                 (SELECT array_agg(id ORDER BY slug) FROM workflows_team WHERE slug LIKE 'bench-l%%') AS teams,
                 (SELECT array_agg(m.user_id ORDER BY t.slug, m.user_id) FROM workflows_membership m
                    JOIN workflows_team t ON t.id = m.team_id WHERE t.slug LIKE 'bench-l%%') AS agents,
                 (SELECT array_agg(id) FROM tickets_product WHERE slug LIKE 'bench-product-%%') AS products,
                 (SELECT array_agg(id) FROM tickets_category WHERE slug LIKE 'bench-%%' AND parent_id IS NOT NULL) AS cats
        ), g AS (
          SELECT i, 1 + floor(random() * array_length(ref.cust, 1))::int AS k,
                 floor(random() * array_length(ref.teams, 1))::int AS ti, random() AS rs, random() AS rn,
                 now() - ((%(total)s - i) * interval '60 seconds') - random() * interval '50 seconds' AS created
          FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i, ref
        ), s AS (
          SELECT g.*, (%(states)s::text[])[1 + (SELECT count(*) FROM unnest(%(cum)s::float8[]) c WHERE c < g.rs)] AS state
          FROM g
        )
        INSERT INTO tickets_case (id, subject, description, priority, channel, custom_fields, escalation_level, state,
          reopen_count, version, created_at, updated_at, first_responded_at, resolved_at, closed_at, assignee_id,
          merged_into_id, requester_id, team_id, category_id, organization_id, product_id)
        SELECT s.i,
          '[bench] ' || (%(subjects)s::text[])[1 + s.i %% array_length(%(subjects)s::text[], 1)] || ' #' || s.i,
          'Customer reports ' || (%(words)s::text[])[1 + floor(s.rn * 20)::int] || ' and '
            || (%(words)s::text[])[1 + (s.i * 7) %% 20] || ' problems since ' || to_char(s.created, 'YYYY-MM-DD') || '.',
          (ARRAY['P1','P2','P3','P3','P3','P4'])[1 + (s.i %% 6)],
          (ARRAY['email','web','chat','phone','social','form','api'])[1 + (s.i %% 7)],
          '{}'::jsonb, CASE WHEN s.rn < 0.05 THEN 1 ELSE 0 END, s.state, 0, 1 + floor(s.rn * 5)::int,
          s.created, s.created + interval '2 hours',
          CASE WHEN s.state NOT IN ('new','triaged','cancelled') THEN s.created + interval '30 minutes' END,
          CASE WHEN s.state IN ('resolved','closed') THEN s.created + interval '1 day' END,
          CASE WHEN s.state = 'closed' THEN s.created + interval '4 days' END,
          CASE WHEN s.state IN ('new','triaged') OR s.state IS NULL THEN NULL
               ELSE ref.agents[1 + s.ti * %(per_team)s + floor(s.rn * %(per_team)s)::int] END,
          CASE WHEN s.state = 'merged' AND s.i > 1 THEN s.i - 1 END,
          ref.cust[s.k],
          CASE WHEN s.state = 'new' AND s.rn < 0.5 THEN NULL ELSE ref.teams[1 + s.ti] END,
          ref.cats[1 + (s.i %% array_length(ref.cats, 1))],
          ref.corg[s.k],
          ref.products[1 + (s.i %% array_length(ref.products, 1))]
        FROM s, ref
        """,
        {"p": PREFIX, "lo": lo, "hi": hi, "total": total, "states": states, "cum": cumulative[:-1],
         "subjects": SUBJECTS, "words": WORDS, "per_team": AGENTS_PER_TEAM},
    )
    cursor.execute(
        """
        INSERT INTO tickets_caseevent (occurred_at, kind, actor_kind, actor_label, before, after, reason, data,
          visibility, actor_id, case_id, team_id)
        SELECT c.created_at, 'created', 'user', '', '{}'::jsonb,
          jsonb_build_object('state', 'new', 'subject', c.subject, 'priority', c.priority, 'channel', c.channel),
          '', '{}'::jsonb, 'public', c.requester_id, c.id, c.team_id
        FROM tickets_case c WHERE c.id BETWEEN %(lo)s AND %(hi)s ORDER BY c.id
        """,
        {"lo": lo, "hi": hi},
    )
    cursor.execute(
        """
        INSERT INTO tickets_case_tags (case_id, tag_id)
        SELECT c.id, t.ids[1 + (c.id * 31 + n) %% array_length(t.ids, 1)]
        FROM tickets_case c, (SELECT array_agg(id ORDER BY id) AS ids FROM tickets_tag WHERE name LIKE 'bench-%%') t,
             generate_series(0, 1) AS n
        WHERE c.id BETWEEN %(lo)s AND %(hi)s AND (n = 0 AND c.id %% 5 < 2 OR n = 1 AND c.id %% 10 = 0)
        """,
        {"lo": lo, "hi": hi},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="total bench cases wanted (default 1,000,000)")
    args = parser.parse_args()
    seed(args.cases)


if __name__ == "__main__":
    main()
