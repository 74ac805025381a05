"""The body-limit middleware on a tiny ASGI app, without a server: declared sizes refused at
once, streamed ones counted, the app's own answer replaced, early answers closing."""

import asyncio
import json

from hub.body_limit import BodyLimitMiddleware

LIMIT = 1000


class Recorder:
    """A tiny ASGI app: reads the whole body (or not), then answers 200 with its size."""

    def __init__(self, *, reads_body=True, status=200):
        self.reads_body = reads_body
        self.status = status
        self.called = False
        self.received = 0

    async def __call__(self, scope, receive, send):
        self.called = True
        if self.reads_body:
            more = True
            while more:
                try:
                    message = await receive()
                except Exception:
                    # what FastAPI does with a body read that fails: a 400 of its own
                    await send({"type": "http.response.start", "status": 400, "headers": []})
                    await send({"type": "http.response.body", "body": b"parse error"})
                    return
                self.received += len(message.get("body", b""))
                more = message.get("more_body", False)
        body = str(self.received).encode()
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": body})


def run(app, *, chunks, headers, path="/upload"):
    """Drive the middleware with ``chunks`` as the body; what it sent and how many reads."""
    pending = list(chunks)
    sent = []
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        body = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    middleware = BodyLimitMiddleware(app, limit=lambda method, path: LIMIT)
    asyncio.run(middleware(scope, receive, send))
    start, *bodies = sent
    return start, b"".join(m.get("body", b"") for m in bodies), reads


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs():
    app = Recorder()
    start, body, reads = run(app, chunks=[b"x" * 10], headers={"content-length": "400000000"})
    assert not app.called
    assert reads == 0
    assert start["status"] == 413
    assert (b"connection", b"close") in start["headers"]
    detail = json.loads(body)["detail"]
    assert detail["code"] == "body_too_large"
    assert str(LIMIT) in detail["message"]


def test_a_streamed_body_is_cut_off_at_the_limit_and_the_apps_answer_replaced_by_a_413():
    app = Recorder()
    chunks = [b"x" * 300] * 100  # 30 KB streamed, no declared length
    start, body, reads = run(app, chunks=chunks, headers={"transfer-encoding": "chunked"})
    assert start["status"] == 413
    assert json.loads(body)["detail"]["code"] == "body_too_large"
    assert reads == 4  # the read that passed the limit was the last one
    assert app.received <= LIMIT


def test_a_body_within_the_limit_passes_unchanged():
    app = Recorder()
    chunks = [b"x" * 500, b"y" * 500]
    start, body, _ = run(app, chunks=chunks, headers={"transfer-encoding": "chunked"})
    assert start["status"] == 200
    assert body == b"1000"
    assert (b"connection", b"close") not in start["headers"]


def test_an_answer_given_before_the_body_was_read_closes_the_connection():
    # e.g. a 401 from the token check: the server must not read the rest just to drop it
    app = Recorder(reads_body=False, status=401)
    start, _, reads = run(app, chunks=[b"x" * 500], headers={"content-length": "500"})
    assert start["status"] == 401
    assert reads == 0
    assert (b"connection", b"close") in start["headers"]


def test_requests_without_a_body_are_answered_as_usual():
    app = Recorder(reads_body=False)
    start, body, _ = run(app, chunks=[], headers={})
    assert (start["status"], body) == (200, b"0")
    assert (b"connection", b"close") not in start["headers"]
