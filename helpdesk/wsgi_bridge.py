"""HTTP from the ASGI server to Django's WSGI handler on a fixed pool of threads, one hop each way.

a2wsgi's `WSGIMiddleware` crosses between the event loop and the request thread for every
part of a request: reading the body, starting the response, each chunk of it and its end,
each a round trip in which both threads wake and the interpreter lock changes hands. Here
an ordinary request crosses once each way:

- the event loop reads a body of up to `BUFFERED_BODY_BYTES` before the request thread
  starts (a larger one, an upload, is read part by part as the application asks for it,
  as before);
- the request thread hands back a response whose content is in memory (every Django
  response but a streaming one) whole, and the loop sends it (a streaming response, a
  download, goes chunk by chunk, the request thread waiting for each to be taken).

Everything the application does runs on its request thread, closing the response
included (Django's `request_finished` looks after that thread's database connection).
The WSGI environ is a2wsgi's (`build_environ`), as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ

__all__ = ["BUFFERED_BODY_BYTES", "WSGIBridge"]

#: Request bodies up to this size are read before the request thread starts.
BUFFERED_BODY_BYTES = 1024 * 1024


class WSGIBridge:
    """An ASGI application (HTTP only) running a WSGI application on `workers` threads."""

    def __init__(self, app, *, workers: int, buffered_body_bytes: int = BUFFERED_BODY_BYTES):
        self.app = app
        self.buffered_body_bytes = buffered_body_bytes
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="helpdesk-web")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"WSGIBridge serves HTTP, not {scope['type']!r}")
        loop = asyncio.get_running_loop()
        chunks: list[bytes] = []
        size, more = 0, True
        while more and size <= self.buffered_body_bytes:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before its request was whole: nothing runs
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        stream = _StreamedBody(body, loop, receive) if more else io.BytesIO(body)
        call = _Call(self.app, build_environ(scope, stream), loop, send)
        answer = await loop.run_in_executor(self.executor, contextvars.copy_context().run, call.run)
        if answer is not None:
            status, headers, content = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})


class _Call:
    """One request on its thread: the application's call, `start_response`, and the response's way out."""

    def __init__(self, app, environ: dict, loop: asyncio.AbstractEventLoop, send):
        self.app = app
        self.environ = environ
        self.loop = loop
        self.send = send
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False  # the response's start has gone to the loop (streamed)

    def run(self) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """Call the application; return the response whole when it is in memory, else stream it and return None."""
        iterable = self.app(self.environ, self.start_response)
        try:
            if not self.started and _in_memory(iterable):
                content = b"".join(iterable)
                if self.status is None:
                    raise RuntimeError("the WSGI application returned without calling start_response")
                headers = self.headers
                if self.status >= 200 and self.status not in (204, 304) and not any(
                        name == b"content-length" for name, _ in headers):
                    headers = [*headers, (b"content-length", str(len(content)).encode("latin1"))]
                return self.status, headers, content
            for chunk in iterable:
                if chunk:
                    self.write(chunk)
            self._start()
            self._to_loop({"type": "http.response.body", "body": b""})
            return None
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    def start_response(self, status: str, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback
        elif self.status is not None:
            raise RuntimeError("start_response called a second time without exc_info")
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(name.strip().lower().encode("latin1"), value.strip().encode("latin1"))
                        for name, value in headers]
        return self.write

    def write(self, chunk: bytes) -> None:
        """Send `chunk` of the body now (WSGI's `write`, and each chunk of a streamed response)."""
        self._start()
        self._to_loop({"type": "http.response.body", "body": bytes(chunk), "more_body": True})

    def _start(self) -> None:
        if self.started:
            return
        if self.status is None:
            raise RuntimeError("the WSGI application sent its body before calling start_response")
        self._to_loop({"type": "http.response.start", "status": self.status, "headers": self.headers})
        self.started = True

    def _to_loop(self, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()


def _in_memory(iterable) -> bool:
    """Whether the response's content is in memory already: a Django response that is not streaming, or a list."""
    return getattr(iterable, "streaming", None) is False or isinstance(iterable, (list, tuple))


class _StreamedBody:
    """`wsgi.input` for a body larger than the bridge reads first: the rest comes from the loop as it is read.

    a2wsgi's `Body` does the same but takes a client's disconnect for the end of the body,
    handing Django a truncated upload; here the read fails with `OSError` instead, which
    Django reports as an unreadable request.
    """

    def __init__(self, head: bytes, loop: asyncio.AbstractEventLoop, receive):
        self.buffer = bytearray(head)
        self.loop = loop
        self.receive = receive
        self.more = True

    def _receive(self) -> None:
        message = asyncio.run_coroutine_threadsafe(self.receive(), self.loop).result()
        if message["type"] == "http.disconnect":
            self.more = False
            raise OSError("the client disconnected before sending the whole body")
        self.buffer.extend(message.get("body", b""))
        self.more = message.get("more_body", False)

    def read(self, size: int = -1) -> bytes:
        while self.more and (size is None or size < 0 or len(self.buffer) < size):
            self._receive()
        if size is None or size < 0:
            size = len(self.buffer)
        out = bytes(self.buffer[:size])
        del self.buffer[:size]
        return out

    def readline(self, limit: int = -1) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, limit if limit is not None and limit >= 0 else None)
            if end >= 0:
                return self.read(end + 1)
            if limit is not None and 0 <= limit <= len(self.buffer):
                return self.read(limit)
            if not self.more:
                return self.read()
            self._receive()

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines, total = [], 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        while line := self.readline():
            yield line
