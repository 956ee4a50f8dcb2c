"""The --watch server: serves build/, injects the live-reload script, streams build events."""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

EVENTS_PATH = "/__deck__/events"
STATUS_PATH = "/__deck__/status"

# --------------------------------------------------------------------------------- page script

LIVE_SCRIPT = (Path(__file__).resolve().parent / "live.js").read_text(encoding="utf-8")
OVERLAY_TITLE = "Build failed: the last good version of the deck is shown underneath. Fix the source and save."


def live_script(deck: str, version: str) -> str:
    config = {"deck": deck, "version": version, "title": OVERLAY_TITLE,
              "events": f"{EVENTS_PATH}?deck={deck}"}
    # `<` escaped: the script must never contain a closing script tag, whatever the names are.
    return LIVE_SCRIPT.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))


def inject(html: str, script: str) -> str:
    """The page with `script` added before its last `</body>` (or at its end)."""
    tag = f'<script data-deck-watch="1">{script}</script>\n'
    at = html.lower().rfind("</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


def placeholder_page(deck: str) -> str:
    """Served while a deck has no HTML yet: reloads itself when the first build lands."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{_esc(deck)}</title></head>'
            f'<body style="font:16px sans-serif;padding:2em"><p>Building <b>{_esc(deck)}</b>…</p></body></html>')


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


@dataclass
class DeckState:
    name: str
    source: Path
    html_name: str
    files: set[Path] = field(default_factory=set)
    version: str = "disk"            # "disk": whatever an earlier run left in the output folder
    error: str | None = None
    building: bool = False
    builds: int = 0
    failures: int = 0
    warnings: list[str] = field(default_factory=list)

    def public(self) -> dict:
        return {"version": self.version, "error": self.error, "building": self.building,
                "builds": self.builds, "failures": self.failures}


class WatchState:
    """Deck states shared by the watch loop (writer) and the HTTP threads (readers)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.decks: dict[str, DeckState] = {}
        self.session = f"{os.getpid():x}{int(time.time() * 1000) % 10**8:x}"
        self.counter = 0
        self.changes = 0  # bumped on every update; SSE streams wait on it
        self.closing = False
        self.worker_pid: int | None = None
        self.cond = threading.Condition()

    def update(self, name: str, **fields) -> None:
        with self.cond:
            deck = self.decks[name]
            if fields.pop("new_version", False):
                self.counter += 1
                deck.version = f"{self.session}-{self.counter}"
            for key, value in fields.items():
                setattr(deck, key, value)
            self.changes += 1
            self.cond.notify_all()

    def snapshot(self, name: str) -> dict | None:
        with self.cond:
            deck = self.decks.get(name)
            return deck.public() if deck else None

    def by_html(self, filename: str) -> DeckState | None:
        with self.cond:
            return next((d for d in self.decks.values() if d.html_name == filename), None)

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()


# --------------------------------------------------------------------------------- the server

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def local_host(header: str | None, port: int) -> bool:
    """Is a request's Host header this machine, as a browser on it names the server? A page elsewhere
    that got a name of its own to point at 127.0.0.1 (DNS rebinding) sends its own name: refused, or
    it could read the decks and the status, whose errors hold paths and source lines."""
    host = (header or "").strip().lower()
    return any(host in (name, f"{name}:{port}") for name in LOCAL_HOSTS)


def malformed(path: str) -> bool:
    """A request path no page asks for: not absolute, or with control characters (`/%00`)."""
    path = unquote(urlsplit(path).path)
    return not path.startswith("/") or any(ord(ch) < 32 or ord(ch) == 127 for ch in path)


class Handler(SimpleHTTPRequestHandler):
    """Files of the output folder; HTML pages get the live script; SSE and status endpoints."""

    state: WatchState  # set on the subclass made by make_server

    def parse_request(self) -> bool:
        """Every request (any method) is refused unless it names this machine as its host (403), and
        answered 400 if its path is malformed."""
        if not super().parse_request():
            return False
        if not local_host(self.headers.get("Host"), int(self.server.server_address[1])):  # type: ignore[index]
            self.send_error(HTTPStatus.FORBIDDEN, "deck's live preview answers to 127.0.0.1, localhost and [::1] only")
            return False
        if malformed(self.path):
            self.send_error(HTTPStatus.BAD_REQUEST, "malformed path")
            return False
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == EVENTS_PATH:
            return self.events(parse_qs(url.query).get("deck", [""])[0])
        if path == STATUS_PATH:
            with self.state.cond:
                body = {"decks": {n: d.public() for n, d in self.state.decks.items()},
                        "worker": self.state.worker_pid}
            return self.reply(json.dumps(body).encode(), "application/json")
        if path == "/":
            return self.reply(self.index().encode(), "text/html; charset=utf-8")
        deck = self.state.by_html(path.lstrip("/"))
        if deck is not None:
            return self.page(deck)
        return super().do_GET()

    def page(self, deck: DeckState) -> None:
        version = deck.version  # read before the file: a newer file with an older version only reloads once more
        try:
            html = (self.state.out_dir / deck.html_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            html = placeholder_page(deck.name)
        body = inject(html, live_script(deck.name, version)).encode("utf-8")
        self.reply(body, "text/html; charset=utf-8")

    def index(self) -> str:
        with self.state.cond:
            decks = sorted(self.state.decks.values(), key=lambda d: d.name)
        items = "".join(f'<li><a href="/{_esc(d.html_name)}">{_esc(d.name)}</a>'
                        f'{" (build error)" if d.error else ""}</li>' for d in decks)
        return f'<!doctype html><meta charset="utf-8"><title>decks</title><ul>{items}</ul>'

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def events(self, name: str) -> None:
        """Server-Sent Events: the deck's state now, then each time it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        state, sent, seen = self.state, None, -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while True:
                with state.cond:
                    def changed(seen: int = seen) -> bool:  # a lambda with a default: mypy cannot infer it
                        return state.changes != seen or state.closing

                    state.cond.wait_for(changed, timeout=15)
                    if state.closing:
                        return
                    seen = state.changes
                payload = json.dumps(state.snapshot(name) or {"version": "", "error": f"no deck named {name!r}"})
                if payload != sent:
                    self.wfile.write(f"event: state\ndata: {payload}\n\n".encode())
                    sent = payload
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the page went away

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # always the latest build
        super().end_headers()

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass  # a request log would drown the build messages


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def make_server(state: WatchState, host: str, port: int) -> Server:
    handler = type("DeckHandler", (Handler,), {"state": state})
    return Server((host, port), lambda *a, **k: handler(*a, directory=str(state.out_dir), **k))

