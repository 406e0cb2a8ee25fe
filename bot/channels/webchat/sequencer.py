"""In-order delivery for one chat socket: frames leave strictly by `seq`, whatever order they arrive in.

Stored frames reach a socket along several paths that race: the reply this process stored, a reply another
process stored (PostgreSQL LISTEN/NOTIFY, `router.pg_events`), the socket's own acks, a gap filled from the
database. `Sequencer` is the pure bookkeeping behind `ordered_socket.OrderedSocket`:

- `cursor`: every seq up to here is settled for this socket (sent, or known not to be for it);
- a frame for `cursor + 1` goes out at once, a later one waits (`gap()` says how far the database read
  that fills the hole must go, `fill()` applies it);
- a seq that will never arrive as a frame (an internal note, a row moved by a merge) is settled by
  `offer(seq, None)` or by being absent from a fill;
- a customer message's echo that belongs to this socket's own message in flight is `hold()`-ed: its ack
  takes that place in the order (`offer` of the ack replaces it) or `release()` turns it back into the echo.

Every frame sent carries `prev`, the seq of the frame this socket sent before it, when that is not
`seq - 1`: the client then knows that the seqs in between hold nothing for it (internal notes) and that it
has missed nothing (README, "Web chat protocol"). `mark` is that previous seq.
"""

from __future__ import annotations

from typing import Any

Frame = dict[str, Any]


class Held:
    """The echo of this socket's own message, waiting for its ack (which replaces it)."""

    __slots__ = ("frame",)

    def __init__(self, frame: Frame) -> None:
        self.frame = frame


Entry = Frame | Held | None  # None: nothing for this socket at that seq


class Sequencer:
    __slots__ = ("_later", "_pending", "cursor", "floor", "mark")

    def __init__(self, head: int = 0) -> None:
        self.cursor = head  # settled up to here
        self.mark = head  # the seq of the last frame sent (or the point the client's chain starts from)
        self.floor = head  # seqs up to here that have no entry are settled as "nothing for this socket"
        self._pending: dict[int, Entry] | None = None  # created on the first frame that has to wait
        # Ephemeral frames produced while stored ones waited: (the highest seq waiting then, frame).
        self._later: list[tuple[int, Frame]] | None = None

    def restart(self, head: int) -> list[Frame]:
        """Start again from `head` (the conversation moved on without this socket: a merge folded another
        conversation in): seqs up to `head` are behind it, as for a socket opened now."""
        if head <= self.cursor:
            return []
        if self._pending:
            for seq in [s for s in self._pending if s <= head]:
                del self._pending[seq]
        self.cursor = self.floor = self.mark = head
        return self._drain()

    # -- what arrives ----------------------------------------------------------------------------------
    def offer(self, seq: int, frame: Frame | None) -> list[Frame]:
        """A stored frame for `seq` (None: nothing for this socket there); the frames now ready, in order.
        A seq settled already is ignored (the same frame by another path), except that a frame replaces
        a `Held` echo (the ack of this socket's own message)."""
        if seq <= self.cursor:
            return []
        pending = self._pending
        if pending is None:
            if seq == self.cursor + 1:  # the usual case: nothing waits, nothing to store
                self.cursor = seq
                return [] if frame is None else [self._stamp(frame, seq)]
            pending = self._pending = {}
        if seq in pending and not (isinstance(pending[seq], Held) and frame is not None):
            return []
        pending[seq] = frame
        return self._drain()

    def hold(self, seq: int, echo: Frame) -> list[Frame]:
        """The echo of this socket's own message: keep its place until the ack comes."""
        if seq <= self.cursor:
            return []
        pending = self._pending if self._pending is not None else {}
        self._pending = pending
        pending.setdefault(seq, Held(echo))
        return self._drain()

    def release(self) -> list[Frame]:
        """No ack is coming (the store failed after all): held echoes go out as echoes."""
        if not self._pending:
            return []
        for seq, entry in list(self._pending.items()):
            if isinstance(entry, Held):
                self._pending[seq] = entry.frame
        return self._drain()

    # -- gaps ------------------------------------------------------------------------------------------
    def gap(self) -> int | None:
        """The highest waiting seq when frames wait behind a missing one (the database read that fills the
        hole goes that far), else None. A held echo at the front is no gap: its ack is on its way."""
        if not self._pending:
            return None
        head = self._pending.get(self.cursor + 1, _MISSING)
        if head is not _MISSING:
            return None
        return max(self._pending)

    def fill(self, rows: list[tuple[int, Frame]], upto: int) -> list[Frame]:
        """Settle everything up to `upto` from a database read: `rows` are the stored frames for this socket
        with seq in (cursor, upto]; a seq up to `upto` that is neither among them nor waiting holds nothing
        for it. Sound because seqs are taken under the conversation's row lock: when a frame with seq N
        has been stored, every seq below N has been committed and is visible to the read."""
        pending = self._pending if self._pending is not None else {}
        self._pending = pending
        for seq, frame in rows:
            if self.cursor < seq <= upto and seq not in pending:
                pending[seq] = frame
        self.floor = max(self.floor, upto)
        return self._drain()

    def replay(self, after: int, rows: list[tuple[int, Frame]], complete: bool) -> list[Frame]:
        """`resume`: the stored frames after `after` (`rows`, oldest first; `complete`: nothing after the
        last one was left out) go out again, chained from `after`; those past the cursor settle it."""
        old_cursor = self.cursor
        out: list[Frame] = []
        self.mark = after
        later: list[tuple[int, Frame]] = []
        for seq, frame in rows:
            if seq <= after:
                continue
            if seq <= old_cursor:
                out.append(self._stamp(frame, seq))
            else:
                later.append((seq, frame))
        if after > self.cursor:  # the client has these already (from an earlier socket)
            if self._pending:
                for seq in [s for s in self._pending if s <= after]:
                    del self._pending[seq]
            self.cursor = self.floor = after
        if later or after > old_cursor:
            upto = later[-1][0] if later else after
            out += self.fill(later, upto)
        if not complete and self.mark < old_cursor:
            # Cut short before where this socket had got to: the next frame's `prev` shows the client
            # the hole, and it resumes again from there.
            self.mark = old_cursor
        return out

    # -- what leaves -----------------------------------------------------------------------------------
    def ephemeral(self, frame: Frame) -> list[Frame]:
        """`typing` and `error` are not stored: they carry the seq of the last frame this socket was sent,
        and leave after the stored frames that were waiting when they were made (an error answering a
        message never overtakes that message's ack)."""
        if not self._pending:
            return [{**frame, "seq": self.mark}]
        if self._later is None:
            self._later = []
        self._later.append((max(self._pending), frame))
        return []

    def _drain(self) -> list[Frame]:
        pending = self._pending
        out: list[Frame] = []
        if pending is None:
            return out
        while True:
            nxt = self.cursor + 1
            entry = pending.get(nxt, _MISSING)
            if entry is _MISSING:
                if nxt > self.floor:
                    break
                # Settled as empty by a fill: jump to the next waiting seq (or to the floor).
                self.cursor = min(self.floor, min(pending) - 1) if pending else self.floor
                continue
            if isinstance(entry, Held):
                break
            del pending[nxt]
            self.cursor = nxt
            if entry is not None:
                out.append(self._stamp(entry, nxt))
            if self._later:
                self._release_later(out)
        if not pending:
            self._pending = None  # idle sockets keep no dict
        if self._later:
            self._release_later(out)
        return out

    def _release_later(self, out: list[Frame]) -> None:
        later = self._later
        if later is None:
            return
        while later and (later[0][0] <= self.cursor or not self._pending):
            out.append({**later.pop(0)[1], "seq": self.mark})
        if not later:
            self._later = None

    def _stamp(self, frame: Frame, seq: int) -> Frame:
        prev, self.mark = self.mark, seq
        if prev == seq - 1:
            return frame
        return {**frame, "prev": prev}  # a copy: the same frame dict goes to every socket


_MISSING: Any = object()
