"""The twin's /events source: what happened between two snapshots, as Docker event messages.

Kills come from the engine's timeline (exact scenario times), so each one is published once with the
wall-clock time it happened: ``oom`` (OOM kills only) then ``die`` with its exitCode, and ``start``
when Docker restarts the container. Health check changes are found by comparing the two snapshots
(``health_status: healthy``). Messages go to a bounded log that /events replays (``since``) and
follows; every message gets a sequence number so followers never miss or repeat one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from mock.engine_containers import ContainerState
from mock.twins.docker.world import Snapshot

LOG_SIZE = 20_000


def message(
    state: ContainerState, action: str, wall: float, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """One EventMessage as the daemon encodes it, with the deprecated status/id/from it still sends."""
    seed = state.seed
    attributes = {**seed.labels, "image": seed.image, "name": seed.name, **(extra or {})}
    nano = int(wall * 1e9)
    return {
        "status": action,
        "id": seed.container_id,
        "from": seed.image,
        "Type": "container",
        "Action": action,
        "Actor": {"ID": seed.container_id, "Attributes": attributes},
        "scope": "local",
        "time": nano // 1_000_000_000,
        "timeNano": nano,
    }


def changes(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    """The events of (before.tau, after.tau], in time order."""
    timed: list[tuple[float, int, dict[str, Any]]] = []
    previous = {s.seed.container_id: s for s in before.containers}
    for order, state in enumerate(after.containers):
        for kill in after.kills.get(state.seed.name, []):
            if before.tau < kill.tau <= after.tau:
                wall = after.wall(kill.tau)
                if kill.oom:
                    timed.append((kill.tau, order, message(state, "oom", wall)))
                timed.append(
                    (kill.tau, order, message(state, "die", wall, {"exitCode": str(kill.exit_code)}))
                )
            if state.seed.restart_policy != "no" and before.tau < kill.restart_tau <= after.tau:
                timed.append((kill.restart_tau, order, message(state, "start", after.wall(kill.restart_tau))))
        old = previous.get(state.seed.container_id)
        if old is not None and state.health is not None and state.health != old.health:
            timed.append((after.tau, order, message(state, f"health_status: {state.health}", after.now)))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in timed]


class EventLog:
    """Recorded events with sequence numbers; readers replay by time and then follow new ones."""

    def __init__(self) -> None:
        self._events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=LOG_SIZE)
        self._next = 0
        self._cond = threading.Condition()
        self._closed = False

    def extend(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        with self._cond:
            for event in events:
                self._events.append((self._next, event))
                self._next += 1
            self._cond.notify_all()

    def close(self) -> None:
        """Wake every follower and end its stream (the twin is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def follow(
        self, since: float | None, until: float | None, poll: float = 0.5
    ) -> Iterator[dict[str, Any] | None]:
        """Past events from ``since`` (none when None, as the daemon), then new ones until ``until``.

        Yields None after ``poll`` seconds without news so the writer can notice a closed connection.
        """
        until_nano = None if until is None else int(until * 1e9)
        with self._cond:
            backlog = (
                [] if since is None else [e for _, e in self._events if e["timeNano"] >= int(since * 1e9)]
            )
            cursor = self._next
        for event in backlog:
            if until_nano is not None and event["timeNano"] > until_nano:
                return
            yield event
        while True:
            if until_nano is not None and time.time() * 1e9 >= until_nano and not self._pending(cursor):
                return
            with self._cond:
                if self._next == cursor and not self._closed:
                    self._cond.wait(poll)
                fresh = [e for seq, e in self._events if seq >= cursor]
                cursor = self._next
                closed = self._closed
            for event in fresh:
                if until_nano is not None and event["timeNano"] > until_nano:
                    return
                yield event
            if closed:
                return
            if not fresh:
                yield None

    def _pending(self, cursor: int) -> bool:
        with self._cond:
            return self._next > cursor
