"""Authorization on subscribe and the protocol's handling of bad frames, per board."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.live.conftest import frames_until, next_frame, nothing_more, socket_for, subscribe
from tickets.models import Role
from tickets.services.cases import case_transition, comment_add
from workflows.models import MembershipRole, TeamKind

pytestmark = pytest.mark.usefixtures("live")


def run(fn):
    return async_to_sync(fn)()


# --- who may subscribe -------------------------------------------------------------------


def test_unauthenticated_socket_is_closed_4401():
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        communicator = await socket_for(AnonymousUser())
        assert await next_frame(communicator) == {"close": 4401}

    run(scenario)


def test_full_asgi_stack_signs_in_with_the_session_cookie(agent, support_team, client):
    """The real application: origin check, session auth middleware, the router."""
    from channels.testing import WebsocketCommunicator

    from helpdesk.asgi import application

    client.force_login(agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"type": "subscribe", "board": "team", "key": support_team.slug})
        assert (await next_frame(communicator))["type"] == "subscribed"
        await communicator.disconnect()

        anonymous = WebsocketCommunicator(application, "/ws/live/", headers=headers[:2])
        assert (await anonymous.connect())[0]
        assert await next_frame(anonymous) == {"close": 4401}

    run(scenario)


def test_team_board_allows_members_and_their_manager(agent, manager, support_team):
    async def scenario():
        for user in (agent, manager):
            communicator, frame = await subscribe(user, "team", support_team.slug)
            assert frame["type"] == "subscribed" and frame["board"] == "team"
            await communicator.disconnect()

    run(scenario)


def test_team_board_of_another_team_is_refused_and_logged(l2_agent, support_team, caplog):
    async def scenario():
        communicator, frame = await subscribe(l2_agent, "team", support_team.slug)
        assert frame == {"close": 4403}

    with caplog.at_level(logging.WARNING, logger="helpdesk.live"):
        run(scenario)
    assert any("refused" in r.getMessage() and "lena" in r.getMessage() for r in caplog.records)


def test_missing_team_looks_like_a_refusal(agent):
    async def scenario():
        assert (await subscribe(agent, "team", "no-such-team"))[1] == {"close": 4403}

    run(scenario)


def test_customer_cannot_open_a_team_board(customer, support_team):
    async def scenario():
        assert (await subscribe(customer, "team", support_team.slug))[1] == {"close": 4403}

    run(scenario)


def test_sla_board_is_for_managers(manager, agent):
    async def scenario():
        communicator, frame = await subscribe(manager, "sla")
        assert frame["type"] == "subscribed"
        await communicator.disconnect()
        assert (await subscribe(agent, "sla"))[1] == {"close": 4403}

    run(scenario)


def test_department_board_is_for_its_members(finance_member, finance_team, agent):
    async def scenario():
        communicator, frame = await subscribe(finance_member, "department", finance_team.slug)
        assert frame["type"] == "subscribed"
        await communicator.disconnect()
        assert (await subscribe(agent, "department", finance_team.slug))[1] == {"close": 4403}

    run(scenario)


def test_case_page_is_for_staff_who_may_see_the_case(team_case, agent, l2_agent, customer):
    async def scenario():
        communicator, frame = await subscribe(agent, "case", team_case.reference)
        assert frame["type"] == "subscribed"
        await communicator.disconnect()
        # Another team's agent cannot see the case; the requester uses the portal board.
        assert (await subscribe(l2_agent, "case", team_case.reference))[1] == {"close": 4403}
        assert (await subscribe(customer, "case", team_case.reference))[1] == {"close": 4403}

    run(scenario)


def test_portal_board_is_for_the_requester_side(team_case, customer, other_customer, agent):
    async def scenario():
        communicator, frame = await subscribe(customer, "portal_case", team_case.reference)
        assert frame["type"] == "subscribed"
        await communicator.disconnect()
        assert (await subscribe(other_customer, "portal_case", team_case.reference))[1] == {"close": 4403}
        assert (await subscribe(agent, "portal_case", team_case.reference))[1] == {"close": 4403}

    run(scenario)


# --- what reaches whom -------------------------------------------------------------------------


def test_customer_sees_public_events_only(team_case, customer, agent, support_team):
    async def scenario():
        portal, _ = await subscribe(customer, "portal_case", team_case.reference)
        desk, _ = await subscribe(agent, "case", team_case.reference)
        await database_sync_to_async(comment_add)(case=team_case, author=agent, body="Internal: check the fuse",
                                                  public=False, author_team=support_team)
        await database_sync_to_async(comment_add)(case=team_case, author=agent, body="We are on it", public=True)
        staff_frames = await frames_until(desk, lambda f: f.get("event", {}).get("visibility") == "public")
        assert [f["event"]["visibility"] for f in staff_frames] == ["restricted", "public"]
        customer_frames = await frames_until(portal, lambda f: f.get("type") == "event")
        assert customer_frames[-1]["event"]["visibility"] == "public"
        assert "assignee" not in customer_frames[-1]["case"]
        assert await nothing_more(portal) == []
        await portal.disconnect()
        await desk.disconnect()

    run(scenario)


def test_team_board_gets_its_own_team_events_and_no_other(team_case, agent, l2_agent, l2_team, customer, manager):
    from tickets.services.cases import case_create

    async def scenario():
        board, _ = await subscribe(agent, "team", team_case.team.slug)
        other = await database_sync_to_async(case_create)(requester=customer, subject="L2 only", team=l2_team,
                                                          actor=customer)
        await database_sync_to_async(case_transition)(case=team_case, name="triage", actor=agent)
        frames = await frames_until(board, lambda f: f.get("type") == "event" and f["event"]["kind"] == "transition")
        assert all(f["case"]["id"] == team_case.pk for f in frames if f["type"] == "event")
        assert frames[-1]["case"]["state"] == "triaged"
        assert frames[-1]["id"] == frames[-1]["event"]["id"]
        assert not [f for f in await nothing_more(board) if f.get("case", {}).get("id") == other.pk]
        await board.disconnect()

    run(scenario)


def test_restricted_note_reaches_its_team_but_not_other_staff(team_case, agent, l2_agent, l2_team, manager):
    """An L2 agent who may not see the case at all is refused; a visible-but-not-ours note is filtered."""
    from helpdesk.live.boards import CaseBoard
    from tickets.models import Visibility

    board = CaseBoard(l2_agent, team_case.reference, team_case)
    message = {"case_team": team_case.team_id, "case_assignee": None, "visibility": Visibility.RESTRICTED,
               "author_team": team_case.team_id, "staff_frame": "{}"}
    assert board.accepts(message) is None
    message["author_team"] = l2_team.pk
    assert board.accepts(message) is not None
    assert CaseBoard(manager, "", team_case).accepts({**message, "author_team": None}) is not None


# --- bad frames --------------------------------------------------------------------------------


def test_malformed_unknown_and_too_large_frames(agent, support_team):
    async def scenario():
        communicator = await socket_for(agent)
        await communicator.send_to(text_data="{not json")
        assert (await next_frame(communicator))["code"] == "malformed"
        await communicator.send_to(text_data="[1, 2]")
        assert (await next_frame(communicator))["code"] == "malformed"
        await communicator.send_json_to({"type": "shout"})
        assert (await next_frame(communicator))["code"] == "unknown_type"
        await communicator.send_json_to({"type": "subscribe", "board": "payroll"})
        assert (await next_frame(communicator))["code"] == "unknown_board"
        await communicator.send_json_to({"type": "resync", "last_event_id": 3})
        assert (await next_frame(communicator))["code"] == "not_subscribed"
        await communicator.send_json_to({"type": "ping"})
        assert (await next_frame(communicator)) == {"type": "pong"}
        # Still usable after the errors.
        await communicator.send_json_to({"type": "subscribe", "board": "team", "key": support_team.slug})
        assert (await next_frame(communicator))["type"] == "subscribed"
        await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 5000}))
        assert await next_frame(communicator) == {"close": 1009}

    run(scenario)


def test_a_stream_of_bad_frames_closes_the_socket(agent):
    async def scenario():
        communicator = await socket_for(agent)
        for _ in range(4):
            await communicator.send_to(text_data="nope")
            assert (await next_frame(communicator))["type"] == "error"
        await communicator.send_to(text_data="nope")
        assert (await next_frame(communicator))["type"] == "error"
        assert await next_frame(communicator) == {"close": 4400}

    run(scenario)


def test_binary_frames_and_bad_ids_are_errors(agent, support_team):
    async def scenario():
        communicator = await socket_for(agent)
        await communicator.send_to(bytes_data=b"\x00\x01")
        assert (await next_frame(communicator))["code"] == "malformed"
        await communicator.send_json_to({"type": "subscribe", "board": "team", "key": support_team.slug,
                                         "last_event_id": "12; drop table"})
        assert (await next_frame(communicator))["code"] == "malformed"

    run(scenario)


# --- presence --------------------------------------------------------------------------------


def test_presence_shows_viewers_and_who_is_typing(team_case, agent, second_agent):
    async def scenario():
        alice, _ = await subscribe(agent, "case", team_case.reference)
        bob, _ = await subscribe(second_agent, "case", team_case.reference)

        async def presence(communicator, check):
            while True:
                frame = await next_frame(communicator)
                if frame["type"] == "presence" and check(frame):
                    return frame

        both = lambda f: {v["id"] for v in f["viewers"]} == {agent.pk, second_agent.pk}  # noqa: E731
        await presence(alice, both)
        await presence(bob, both)
        await bob.send_json_to({"type": "typing"})
        frame = await presence(alice, lambda f: f["typing"] == [second_agent.pk])
        assert both(frame)
        await bob.disconnect()
        await presence(alice, lambda f: [v["id"] for v in f["viewers"]] == [agent.pk])
        await alice.disconnect()

    run(scenario)


def test_typing_is_only_for_case_pages(agent, support_team):
    async def scenario():
        communicator, _ = await subscribe(agent, "team", support_team.slug)
        await communicator.send_json_to({"type": "typing"})
        assert (await next_frame(communicator))["code"] == "not_supported"

    run(scenario)


def test_department_board_gets_task_events_of_its_department(finance_member, finance_team, team_case, agent,
                                                              l2_team):
    """A task routed to finance reaches the finance board; a task for another department does not."""
    from workflows.services.tasks import task_create

    async def scenario():
        board, _ = await subscribe(finance_member, "department", finance_team.slug)
        await database_sync_to_async(task_create)(case=team_case, department=l2_team, title="Not ours", actor=agent)
        task = await database_sync_to_async(task_create)(case=team_case, department=finance_team,
                                                         title="Check the refund", actor=agent)
        frames = await frames_until(board, lambda f: f.get("type") == "event")
        assert frames[-1]["event"]["kind"] == "task" and frames[-1]["event"]["data"]["department"] == finance_team.pk
        assert frames[-1]["event"]["data"]["task"] == task.pk
        assert await nothing_more(board) == []
        await board.disconnect()

    run(scenario)


def test_admin_and_department_manager_roles(finance_team, support_team):
    admin = UserFactory(username="ada", role=Role.ADMIN, is_superuser=True)
    head = UserFactory(username="hank", role=Role.MANAGER)
    MembershipFactory(team=finance_team, user=head, role=MembershipRole.MANAGER)
    outsider_dept = TeamFactory(slug="warehouse", kind=TeamKind.DEPARTMENT, tier=None)

    async def scenario():
        for user, board, key in ((admin, "team", support_team.slug), (admin, "sla", ""),
                                 (head, "department", finance_team.slug)):
            communicator, frame = await subscribe(user, board, key)
            assert frame["type"] == "subscribed", (user, board)
            await communicator.disconnect()
        assert (await subscribe(head, "department", outsider_dept.slug))[1] == {"close": 4403}

    run(scenario)
