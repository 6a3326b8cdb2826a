"""The web process's HTTP bridge: a request crosses to its thread once, its answer comes back once.

Small WSGI applications show the mechanics (what reaches the server, on which thread the
application runs and its response is closed); the last test sends a case's creation
through the bridge to Django itself.
"""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.authtoken.models import Token

from helpdesk.wsgi_bridge import WSGIBridge
from tickets.models import Attachment, Case, CaseEvent, pk_from_reference


def _scope(method: str = "POST", path: str = "/", headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"localhost"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000)}


def _serve(app, messages: list[dict], scope: dict | None = None, **options) -> list[dict]:
    """Run one request through a fresh bridge; return what it sent to the server."""
    bridge = WSGIBridge(app, workers=2, **options)
    sent: list[dict] = []
    incoming = list(messages)

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    try:
        asyncio.run(bridge(scope or _scope(), receive, send))
    finally:
        bridge.executor.shutdown(wait=True)
    return sent


def _body(data: bytes, more: bool = False) -> dict:
    return {"type": "http.request", "body": data, "more_body": more}


class Recorder:
    """A WSGI application that echoes its body and notes the threads it ran and was closed on."""

    def __init__(self, read=lambda stream: stream.read()):
        self.read = read
        self.threads: dict[str, str] = {}
        self.bodies: list[bytes] = []

    def __call__(self, environ, start_response):
        self.threads["app"] = threading.current_thread().name
        self.bodies.append(self.read(environ["wsgi.input"]))
        start_response("201 Created", [("Content-Type", "application/json")])
        recorder = self

        class Response(list):
            def close(self):
                recorder.threads["close"] = threading.current_thread().name

        return Response([b'{"got": ', str(len(self.bodies[-1])).encode(), b"}"])


def test_an_ordinary_request_is_answered_whole_in_one_message_from_a_request_thread():
    app = Recorder()
    sent = _serve(app, [_body(b'{"subject": ', more=True), _body(b'"Printer on fire"}')])

    assert app.bodies == [b'{"subject": "Printer on fire"}']
    # One start with the length added, one body: nothing more crosses back.
    assert sent == [
        {"type": "http.response.start", "status": 201,
         "headers": [(b"content-type", b"application/json"), (b"content-length", b"11")]},
        {"type": "http.response.body", "body": b'{"got": 30}'},
    ]
    # The application and the closing of its response (Django's request_finished) share one thread.
    assert app.threads["app"].startswith("helpdesk-web")
    assert app.threads["close"] == app.threads["app"]


def test_a_body_beyond_the_buffer_is_read_from_the_server_as_the_application_asks():
    lines = [b"line %d\n" % n for n in range(6)]

    def read(stream):
        first = stream.readline()
        return first + b"".join(stream) if first else b""

    app = Recorder(read=read)
    messages = [_body(b"".join(lines[:2]), more=True), _body(b"".join(lines[2:4]), more=True),
                _body(b"".join(lines[4:]))]
    sent = _serve(app, messages, buffered_body_bytes=8)

    assert app.bodies == [b"".join(lines)]
    assert sent[0]["status"] == 201


def test_a_client_leaving_mid_upload_fails_the_read_and_one_leaving_before_the_body_runs_nothing():
    errors = []

    def read(stream):
        try:
            return stream.read()
        except OSError as error:
            errors.append(str(error))
            raise

    app = Recorder(read=read)
    with pytest.raises(OSError):
        _serve(app, [_body(b"x" * 20, more=True)], buffered_body_bytes=8)  # then the client disconnects
    assert errors == ["the client disconnected before sending the whole body"]

    app = Recorder()
    assert _serve(app, [_body(b"x" * 4, more=True)]) == []  # disconnected while the loop was reading
    assert app.bodies == []


def test_a_streaming_response_goes_chunk_by_chunk_and_is_closed_on_its_thread():
    closed = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/csv")])

        def rows():
            try:
                yield b"a,b\n"
                yield b""
                yield b"1,2\n"
            finally:
                closed.append(threading.current_thread().name)

        return rows()

    sent = _serve(app, [_body(b"")], scope=_scope("GET"))

    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]},
        {"type": "http.response.body", "body": b"a,b\n", "more_body": True},
        {"type": "http.response.body", "body": b"1,2\n", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]
    assert closed and closed[0].startswith("helpdesk-web")


def test_wsgi_write_streams_and_an_empty_answer_gets_no_length_where_it_must_have_none():
    def writer(environ, start_response):
        write = start_response("200 OK", [])
        write(b"early ")
        return [b"late"]

    sent = _serve(writer, [_body(b"")])
    assert [m.get("body") for m in sent] == [None, b"early ", b"late", b""]

    def no_content(environ, start_response):
        start_response("204 No Content", [])
        return []

    sent = _serve(no_content, [_body(b"")])
    assert sent == [{"type": "http.response.start", "status": 204, "headers": []},
                    {"type": "http.response.body", "body": b""}]


def test_an_error_before_the_answer_reaches_the_server_and_exc_info_replaces_the_status():
    def broken(environ, start_response):
        raise LookupError("no such thing")

    with pytest.raises(LookupError):
        _serve(broken, [_body(b"")])

    def recovering(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("half way")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"sorry"]

    sent = _serve(recovering, [_body(b"")])
    assert sent[0]["status"] == 500
    assert sent[1]["body"] == b"sorry"

    def twice(environ, start_response):
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []

    with pytest.raises(RuntimeError, match="second time"):
        _serve(twice, [_body(b"")])


def test_only_http_is_served():
    with pytest.raises(ValueError, match="serves HTTP"):
        _serve(Recorder(), [], scope={**_scope(), "type": "websocket"})


def test_a_case_is_created_through_the_bridge_by_django(transactional_db, customer):
    from helpdesk.asgi import django_wsgi_app

    token = Token.objects.create(user=customer).key
    payload = json.dumps({"subject": "Through the bridge", "tags": ["vpn"]}).encode()
    scope = _scope("POST", "/api/v1/cases/", headers=[
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"authorization", f"Token {token}".encode())])
    sent = _serve(django_wsgi_app, [_body(payload[:10], more=True), _body(payload[10:])], scope=scope)

    start, body = sent
    assert start["status"] == 201
    assert dict(start["headers"])[b"content-length"] == str(len(body["body"])).encode()
    answer = json.loads(body["body"])
    case = Case.objects.get(requester=customer)
    assert answer["reference"] == case.reference and answer["subject"] == "Through the bridge"
    assert CaseEvent.objects.filter(case=case, kind="created").count() == 1


def test_an_upload_beyond_the_buffer_streams_to_django_and_its_download_streams_back(transactional_db, customer):
    from helpdesk.asgi import django_wsgi_app

    token = Token.objects.create(user=customer).key
    content = b"".join(b"%07d,export timed out\n" % n for n in range(100_000))  # 2.5 MB, a log
    body = encode_multipart(BOUNDARY, {"subject": "Log attached", "attachments": [
        SimpleUploadedFile("export.csv", content, content_type="text/csv")]})
    assert len(body) > 2 * 1024 * 1024
    auth = (b"authorization", f"Token {token}".encode())
    scope = _scope("POST", "/api/v1/cases/", headers=[
        (b"content-type", MULTIPART_CONTENT.encode()), (b"content-length", str(len(body)).encode()), auth])
    parts = [body[at:at + 65536] for at in range(0, len(body), 65536)]
    sent = _serve(django_wsgi_app, [_body(part, more=n < len(parts) - 1) for n, part in enumerate(parts)],
                  scope=scope)

    assert sent[0]["status"] == 201, sent[1]["body"][:300]
    case = Case.objects.get(pk=pk_from_reference(json.loads(sent[1]["body"])["reference"]))
    (attachment,) = Attachment.objects.filter(case=case)
    assert attachment.size == len(content)

    download = _serve(django_wsgi_app, [_body(b"")], scope=_scope(
        "GET", f"/api/v1/attachments/{attachment.pk}/download/", headers=[auth]))
    assert download[0]["status"] == 200
    assert all(m.get("more_body") for m in download[1:-1]) and download[-1] == {"type": "http.response.body",
                                                                              "body": b""}
    assert len(download) > 3  # streamed in chunks, not held whole
    assert b"".join(m["body"] for m in download[1:]) == content
