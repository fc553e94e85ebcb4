"""``--state.file``: the usage counters carried across exporter restarts.

Without a state file a restart is a new baseline (counters.py): Prometheus sees a counter reset and
the growth between the last poll before the restart and the first poll after it is never counted.
With one, every applied poll is followed by a write of the counter totals, the last figure seen per
(series, date) of the poll window and the label values the caps admitted; the write is atomic (a
temporary file in the same directory, flushed to disk, then renamed over the old one), so a crash
leaves the previous poll's state, which is consistent on its own. At start the exporter reads it
back, and then:

- the counters carry on from their totals: ``increase()`` across the restart is what LiteLLM
  recorded meanwhile, as if the exporter had never stopped;
- this holds while the proxy's yesterday is still in the state, i.e. when the exporter is back
  before the end of the proxy's day after its last poll. Days that left the window while it was
  down are lost, never counted twice;
- a key, team or model keeps the label it had, so nothing moves between a label and ``other``;
- a state written for another proxy (another ``--litellm.url``) is ignored, with a warning: the
  counters start from a baseline;
- a file that is not such a state is a configuration error at start (move it away to start from a
  baseline).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporters.base import ConfigError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
OPTION = "--state.file"

SeriesKey = tuple[str, str, str]  # (dimension, label value, measure)


@dataclass
class CounterState:
    """What a restart needs: see the module docstring."""

    seen: dict[tuple[SeriesKey, str], float] = field(default_factory=dict)
    totals: dict[SeriesKey, float] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)


def _encode(proxy: str, state: CounterState) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "litellm_url": proxy,
        "totals": [[*series, value] for series, value in sorted(state.totals.items())],
        "seen": [[*series, date, value] for (series, date), value in sorted(state.seen.items())],
        "labels": state.labels,
    }


def _decode(body: Any) -> CounterState:
    """The state in ``body``; raises ValueError (or a KeyError/TypeError) on any other shape."""
    if not isinstance(body, dict) or body.get("version") != FORMAT_VERSION:
        raise ValueError("unknown format")
    totals = {(str(d), str(label), str(m)): float(v) for d, label, m, v in body["totals"]}
    seen = {((str(d), str(label), str(m)), str(date)): float(v) for d, label, m, date, v in body["seen"]}
    labels = {str(kind): [str(value) for value in values] for kind, values in body["labels"].items()}
    return CounterState(seen, totals, labels)


class StateFile:
    """Reads the state once at start and replaces it after every applied poll."""

    def __init__(self, path: Path, proxy: str) -> None:
        self._path = path
        self._proxy = proxy
        self.write_errors = 0
        self._failing = False

    def load(self) -> CounterState | None:
        """The saved state of this proxy, None when there is none; ConfigError when unreadable."""
        try:
            body = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(OPTION, f"cannot read {self._path}: {exc.strerror}") from None
        except ValueError:
            raise ConfigError(OPTION, f"{self._path} is not JSON; move it away to start afresh") from None
        if isinstance(body, dict) and body.get("litellm_url") not in (None, self._proxy):
            log.warning(
                "state file belongs to another proxy; counters start from a baseline",
                extra={"path": str(self._path)},
            )
            return None
        try:
            return _decode(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigError(
                OPTION, f"{self._path} is not a LiteLLM exporter state; move it away to start afresh"
            ) from None

    def save(self, state: CounterState) -> None:
        """Atomically replace the file; a failure is logged and counted, the poll stands."""
        text = json.dumps(_encode(self._proxy, state), separators=(",", ":"))
        partial: str | None = None
        try:
            descriptor, partial = tempfile.mkstemp(prefix=f".{self._path.name}.", dir=self._path.parent)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self._path)
            partial = None
            self._failing = False
        except OSError as exc:
            self.write_errors += 1
            if not self._failing:  # once per run of failures, not once per poll
                log.warning(
                    "cannot write the state file", extra={"path": str(self._path), "err": exc.strerror}
                )
            self._failing = True
        finally:
            if partial is not None:
                Path(partial).unlink(missing_ok=True)
