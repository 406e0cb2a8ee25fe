"""The order one chat socket's frames leave in (`bot.channels.webchat.sequencer`; the socket that uses it:
test_ordered_socket.py).

Property tests: whatever order the stored frames of a conversation arrive in, and wherever gaps are filled
from the "database", the socket gets every frame meant for it exactly once, in seq order, and each frame's
`prev` names the frame before it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.webchat.sequencer import Frame, Sequencer


def frame(seq: int, kind: str = "agent_message") -> Frame:
    return {"type": kind, "text": f"reply {seq}", "seq": seq}


def check_chain(out: list[Frame], head: int = 0) -> None:
    """Stored frames strictly increasing; each one's `prev` (seq - 1 when absent) is the one before it."""
    last = head
    for f in out:
        if f["type"] in ("typing", "error"):
            assert f["seq"] == last, (f, out)
            continue
        assert f["seq"] > last, out
        assert f.get("prev", f["seq"] - 1) == last, (f, out)
        last = f["seq"]


# A conversation of up to 40 seqs; each seq holds a frame for the socket, or nothing (an internal note).
conversations = st.lists(st.booleans(), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), visible=conversations)
def test_any_arrival_order_with_fills_delivers_everything_once_in_order(
    data: Any, visible: list[bool]
) -> None:
    n = len(visible)
    truth = {s: (frame(s) if visible[s - 1] else None) for s in range(1, n + 1)}
    # Internal notes are announced on the bus too, but those announcements can be lost like any other.
    arrivals = data.draw(st.permutations(range(1, n + 1)))
    lost = data.draw(st.sets(st.sampled_from(range(1, n + 1)), max_size=n))
    seq = Sequencer(0)
    out: list[Frame] = []
    offered: list[int] = []
    for s in arrivals:
        if s not in lost:
            out += seq.offer(s, truth[s])
            offered.append(s)
            if data.draw(st.booleans()):
                out += seq.offer(s, truth[s])  # the same frame by the other path: ignored
        if data.draw(st.integers(0, 4)) == 0 and seq.gap() is not None:
            upto = seq.gap()
            assert upto is not None and upto in offered  # a fill never reads past a frame seen stored
            rows = [(k, f) for k, f in truth.items() if seq.cursor < k <= upto and f is not None]
            out += seq.fill(rows, upto)
    # Whatever is still missing is filled at the end (the timer), up to the highest seq seen.
    if offered:
        upto = max(offered)
        out += seq.fill([(k, f) for k, f in truth.items() if seq.cursor < k <= upto and f is not None], upto)
    expected = [truth[k] for k in range(1, max(offered, default=0) + 1) if truth[k] is not None]
    assert [f["seq"] for f in out] == [f["seq"] for f in expected]  # type: ignore[index]
    check_chain(out)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), n=st.integers(1, 25))
def test_ephemeral_frames_never_overtake_frames_waiting_before_them(data: Any, n: int) -> None:
    seq = Sequencer(0)
    out: list[Frame] = []
    for s in data.draw(st.permutations(range(1, n + 1))):
        out += seq.offer(s, frame(s))
        if data.draw(st.booleans()):
            waiting = max(seq._pending) if seq._pending else seq.cursor
            typing = {"type": "typing", "who": "agent", "seq": 999}
            before = len(out)
            out += seq.ephemeral(typing)
            tail = out[before:]
            if tail:  # nothing waited: out now, with the last seq sent
                assert tail == [{**typing, "seq": seq.mark}]
            else:
                assert waiting > seq.cursor
    assert [f["seq"] for f in out if f["type"] != "typing"] == list(range(1, n + 1))
    check_chain(out)


def test_an_ack_takes_the_place_of_its_own_echo() -> None:
    seq = Sequencer(3)
    echo = {"type": "message", "author": "customer", "id": "c1", "text": "hej", "seq": 4}
    assert seq.hold(4, echo) == []  # the bus announced it before the ack was sent
    assert seq.offer(5, frame(5)) == []  # waits behind it
    assert seq.gap() is None  # no database read: the ack is on its way
    ack = {"type": "ack", "id": "c1", "seq": 4}
    assert seq.offer(4, ack) == [ack, frame(5)]
    # No ack after all (the store failed): the echo goes out instead.
    seq.hold(6, {**echo, "seq": 6})
    assert seq.release() == [{**echo, "seq": 6}]


def test_resume_replays_chained_from_after_and_settles_what_was_missing() -> None:
    seq = Sequencer(0)
    assert seq.offer(1, frame(1)) == [frame(1)]
    assert seq.offer(2, None) == []  # an internal note
    assert seq.offer(4, frame(4)) == []  # 3 is missing
    rows = [(1, frame(1)), (3, frame(3)), (4, frame(4))]
    out = seq.replay(0, rows, complete=True)
    assert out == [frame(1), {**frame(3), "prev": 1}, frame(4)]
    assert seq.cursor == 4 and seq.gap() is None
    # A client that has more than this socket was sent (from its previous socket) gets only what is new.
    seq = Sequencer(2)
    assert seq.replay(5, [(6, frame(6))], complete=True) == [frame(6)]
    assert seq.cursor == 6


def test_a_resume_cut_short_shows_the_client_the_hole() -> None:
    seq = Sequencer(0)
    for s in range(1, 6):
        seq.offer(s, frame(s))
    out = seq.replay(0, [(1, frame(1)), (2, frame(2))], complete=False)  # only two of five read
    assert [f["seq"] for f in out] == [1, 2]
    # Frame 6 follows 5 (`prev` left out as seq - 1), not 2: the client sees 3..5 missing and resumes.
    assert seq.offer(6, frame(6)) == [frame(6)]
    assert seq.mark == 6


def test_restart_after_a_merge_starts_from_the_new_head() -> None:
    seq = Sequencer(3)
    assert seq.offer(9, frame(9)) == []
    assert seq.restart(7) == []  # 4..7 were folded in: history, not live frames
    assert seq.offer(8, frame(8)) == [frame(8), frame(9)]
