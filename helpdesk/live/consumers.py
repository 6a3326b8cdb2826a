"""The one WebSocket endpoint of the live boards (read-only: every write goes through HTTP).

Protocol (JSON text frames, at most MAX_MESSAGE_BYTES each):
  client -> {"type": "subscribe", "board": "team"|"sla"|"department"|"case"|"portal_case",
             "key": "<slug or reference>", "last_event_id": 123}
            {"type": "resync", "last_event_id": 123}
            {"type": "typing"}                       (case board only)
            {"type": "ping"}
  server -> subscribed, event, resynced, reload, presence, pong, error frames.
Close codes: 4401 not signed in, 4403 board refused (logged), 1009 frame too large,
4400 too many bad frames in a row.
"""

from __future__ import annotations

import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from . import boards, groups
from .publish import live_mode
from .relay import ensure_ready, latest_event_id

log = logging.getLogger("helpdesk.live")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_REFUSED = 4403
CLOSE_BAD_CLIENT = 4400
CLOSE_TOO_LARGE = 1009
MAX_BAD_FRAMES = 5
TYPING_SECONDS = 6
PRESENCE_TTL = 75


class LiveConsumer(AsyncWebsocketConsumer):
    """A board subscription: authorizes, joins its groups, replays what was missed, forwards."""

    channel_layer_alias = groups.LAYER

    async def connect(self):
        self.board: boards.Board | None = None
        self.bad_frames = 0
        self.viewers: dict[str, tuple[dict, float]] = {}
        self.typing: dict[str, float] = {}
        self.resyncing = False
        self.held: list[tuple[int, str]] = []
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if live_mode() == "relay":
            await ensure_ready()

    async def disconnect(self, code):
        board = getattr(self, "board", None)
        if board is None:
            return
        if board.presence:
            await self._presence_broadcast("leave")
        for name in board.groups:
            await self.channel_layer.group_discard(name, self.channel_name)

    # --- client frames --------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode() if isinstance(raw, str) else (raw or b""))
        if size > settings.HELPDESK_LIVE["MAX_MESSAGE_BYTES"]:
            log.info("live: closing socket of user %s: %d-byte frame", self.scope["user"].pk, size)
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if text_data is None:
            await self._bad("malformed", "Send JSON text frames.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._bad("malformed", "The frame is not JSON.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._bad("malformed", "A frame is an object with a \"type\".")
            return
        handler = {
            "subscribe": self._subscribe, "resync": self._resync, "typing": self._typing, "ping": self._ping,
        }.get(message["type"])
        if handler is None:
            await self._bad("unknown_type", f"Unknown message type {message['type'][:40]!r}.")
            return
        self.bad_frames = 0
        await handler(message)

    async def _subscribe(self, message):
        if self.board is not None:
            await self._error("already_subscribed", "This socket already follows a board.")
            return
        name = message.get("board")
        if name not in boards.BOARDS:
            await self._bad("unknown_board", f"Boards are {', '.join(boards.BOARDS)}.")
            return
        last_id = message.get("last_event_id")
        if last_id is not None and not _is_id(last_id):
            await self._bad("malformed", "last_event_id must be a positive integer.")
            return
        user = self.scope["user"]
        key = str(message.get("key") or "")[:100]
        board = await database_sync_to_async(boards.board_open)(user, name, key)
        if board is None:
            log.warning("live: refused user %s (%s) board %s key %r", user.pk, user.get_username(), name, key)
            await self.close(code=CLOSE_REFUSED)
            return
        self.board = board
        self.resyncing = last_id is not None
        for group in board.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        current = await database_sync_to_async(latest_event_id)()
        await self._send({"type": "subscribed", "board": name, "key": key, "last_event_id": current})
        if board.presence:
            await self._presence_broadcast("join")
        if last_id is not None:
            await self._replay(last_id)

    async def _resync(self, message):
        if self.board is None:
            await self._error("not_subscribed", "Subscribe to a board first.")
            return
        last_id = message.get("last_event_id")
        if not _is_id(last_id):
            await self._bad("malformed", "last_event_id must be a positive integer.")
            return
        self.resyncing = True
        await self._replay(last_id)

    async def _replay(self, last_id: int):
        outcome, frames = await database_sync_to_async(boards.resync)(self.board, last_id)
        if outcome == "reload":
            self.resyncing, self.held = False, []
            await self._send({"type": "reload", "reason": "gap"})
            return
        sent = set()
        for event_id, frame in frames:
            sent.add(event_id)
            await self.send(text_data=frame)
        # Live messages that arrived while the log was read: send those the replay did not.
        held, self.held, self.resyncing = self.held, [], False
        for event_id, frame in held:
            if event_id not in sent:
                await self.send(text_data=frame)
        await self._send({"type": "resynced", "count": len(frames)})

    async def _typing(self, message):
        if self.board is None or not self.board.presence:
            await self._error("not_supported", "Typing is shown on case pages only.")
            return
        await self._presence_broadcast("typing")

    async def _ping(self, message):
        await self._send({"type": "pong"})
        if self.board is not None and self.board.presence:
            await self._presence_broadcast("here")

    # --- group messages ---------------------------------------------------------------
    async def live_event(self, message):
        if self.board is None:
            return
        view = self.board.accepts(message)
        if view is None:
            return
        if self.resyncing:
            self.held.append((message["id"], message[f"{view}_frame"]))
            return
        await self.send(text_data=message[f"{view}_frame"])

    async def live_events(self, message):
        """Several events of one group in one message (see publish.group_messages), in order."""
        for event in message["events"]:
            await self.live_event(event)

    async def presence_update(self, message):
        if self.board is None or not self.board.presence:
            return
        channel, action, now = message["channel"], message["action"], time.monotonic()
        if action == "leave":
            self.viewers.pop(channel, None)
            self.typing.pop(channel, None)
        else:
            self.viewers[channel] = (message["user"], now)
            if action == "typing":
                self.typing[channel] = now + TYPING_SECONDS
        if action == "join" and channel != self.channel_name:
            # Tell the newcomer we are here too; it cannot know otherwise.
            await self.channel_layer.send(channel, self._presence_message("here"))
        await self._send_presence()

    async def _presence_broadcast(self, action: str):
        for group in self.board.groups:
            await self.channel_layer.group_send(group, self._presence_message(action))

    def _presence_message(self, action: str) -> dict:
        user = self.scope["user"]
        return {
            "type": "presence.update", "action": action, "channel": self.channel_name,
            "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        }

    async def _send_presence(self):
        now = time.monotonic()
        self.viewers = {c: v for c, v in self.viewers.items() if now - v[1] < PRESENCE_TTL}
        users = {}
        for user, _ in self.viewers.values():
            users[user["id"]] = user
        typing = sorted({self.viewers[c][0]["id"] for c, until in self.typing.items() if until > now and c in self.viewers})
        await self._send({"type": "presence", "viewers": sorted(users.values(), key=lambda u: u["name"]), "typing": typing})

    # --- sending ---------------------------------------------------------------------------
    async def _send(self, frame: dict):
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    async def _error(self, code: str, detail: str):
        await self._send({"type": "error", "code": code, "detail": detail})

    async def _bad(self, code: str, detail: str):
        self.bad_frames += 1
        await self._error(code, detail)
        if self.bad_frames >= MAX_BAD_FRAMES:
            await self.close(code=CLOSE_BAD_CLIENT)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
