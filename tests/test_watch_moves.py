"""`--watch` follows a deck source moved out of the sources folder and back, every time (`mv` keeps
the file's modification time, which once made the second return look like no change at all)."""
from __future__ import annotations

import threading

from watch_process import WatchProcess, small_deck
from watchfiles import Change

from deck.watch.loop import ChangeFeed


def _next_within(feed: ChangeFeed, seconds: float = 3.0) -> set | None:
    """What `feed.next()` gives, or None if it is still waiting after `seconds`."""
    got: list[set] = []
    thread = threading.Thread(target=lambda: got.append(feed.next()), daemon=True)
    thread.start()
    thread.join(seconds)
    if not got:
        feed.queue.put({(Change.modified, "/a file that stops the waiting thread")})
        thread.join(seconds)
        return None
    return got[0]


def test_a_file_moved_away_and_back_is_news_every_time(tmp_path):
    source, away = tmp_path / "t.md", tmp_path.parent / f"{tmp_path.name}-away.md"
    source.write_text("# Hi\n", encoding="utf-8")
    feed = ChangeFeed(None, set)
    for turn in range(3):
        source.rename(away)
        feed.queue.put({(Change.deleted, str(source))})
        assert _next_within(feed) == {(Change.deleted, str(source))}, f"move away {turn + 1}"
        away.rename(source)
        feed.queue.put({(Change.added, str(source))})
        assert _next_within(feed) == {(Change.added, str(source))}, f"move back {turn + 1}"


def test_watch_builds_a_deck_moved_away_and_back_twice(tmp_path):
    small_deck(tmp_path, word="alpha")
    source = tmp_path / "slides_src" / "t.md"
    away = tmp_path / "t.md.away"
    watch = WatchProcess(tmp_path)
    try:
        watch.wait_output(r"built t in")
        for turn in range(1, 3):
            source.rename(away)
            watch.wait_output(r"(?s)(t: source deleted, no longer built.*){%d}" % turn)
            away.rename(source)
            watch.wait_output(r"(?s)(built t in.*){%d}" % (turn + 1))  # built again, on its return
    finally:
        watch.stop()
