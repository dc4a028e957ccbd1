"""A study session: one Flower run kept open at the hub so that each count or training is only
its rounds (no ``flwr run``, no ServerApp start-up): feasibility counts in seconds.

The hub submits the app once with ``task = "session"``; the ServerApp then performs every task
file the hub drops in the session's folder and answers with a result file beside it. The
folder is the hub's own (nothing crosses to the sites but Flower's messages); the session ends
when the hub closes it, or by itself after ``idle`` seconds without a task.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socle.federation.errors import NetworkError
from socle.federation.network import APP_DIR, CONNECTION, Hub

STARTUP = 180.0  # seconds a first task may wait for the ServerApp to start
IDLE_MARGIN = 30.0  # seconds: a kept session this close to idling out is replaced


@dataclass
class StudySession:
    hub: Hub
    study_id: str
    folder: Path
    run_id: str

    @classmethod
    def open(cls, hub: Hub, study_id: str, config: dict[str, Any], idle: float) -> StudySession:
        folder = hub.folder / "sessions" / f"{study_id}-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        settings = {**config, "task": "session", "study": study_id,
                    "session-dir": str(folder), "session-idle": idle}  # fmt: skip
        config_file = folder / "run.toml"
        config_file.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in settings.items()))
        done = hub.flwr("run", str(APP_DIR), CONNECTION, "--run-config", str(config_file))
        return cls(hub, study_id, folder, done.stdout.strip().splitlines()[-1][-80:])

    def perform(self, task: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Hand one task to the session's ServerApp and wait for its result."""
        name = f"{task['task']}-{uuid.uuid4().hex[:8]}"
        result_path = self.folder / f"{name}.result.json"
        staged = self.folder / f"{name}.tmp"
        staged.write_text(json.dumps({**task, "result-path": str(result_path)}))
        staged.replace(self.folder / f"{name}.task.json")
        deadline = time.monotonic() + timeout + STARTUP
        while not result_path.exists():
            if time.monotonic() > deadline:
                raise NetworkError(
                    f"the study session gave no result for '{name}' within {timeout + STARTUP:.0f}"
                    f" s (its run: {self.run_id}); see the logs in {self.hub.folder}"
                )
            time.sleep(0.1)
        result: dict[str, Any] = json.loads(result_path.read_text())
        return result

    def close(self) -> None:
        (self.folder / "stop").touch()


# The study sessions this process keeps open (a hub's API), by SuperLink folder and study, with
# when each was last used.
_KEPT: dict[tuple[str, str], tuple[StudySession, float]] = {}
_KEPT_LOCK = threading.Lock()


def _key(session: StudySession) -> tuple[str, str]:
    return str(session.hub.folder), session.study_id


def kept(hub: Hub, study_id: str, idle: float, open_: Callable[[], StudySession]) -> StudySession:
    """The session this process keeps for the study, or a new one from ``open_`` when there is
    none or it is about to idle out (the old one is closed)."""
    key = (str(hub.folder), study_id)
    with _KEPT_LOCK:
        found = _KEPT.get(key)
        now = time.monotonic()
        if found is not None and now - found[1] <= idle - IDLE_MARGIN:
            session = found[0]
        else:
            if found is not None:
                found[0].close()
            session = open_()
        _KEPT[key] = (session, now)
    return session


def keep(session: StudySession) -> None:
    """Make ``session`` this process's kept session for its study (used from now)."""
    with _KEPT_LOCK:
        _KEPT[_key(session)] = (session, time.monotonic())


def touch(session: StudySession) -> None:
    """Note a use of ``session`` if it is the kept one (it idles out only without tasks)."""
    with _KEPT_LOCK:
        if _KEPT.get(_key(session), (None,))[0] is session:
            _KEPT[_key(session)] = (session, time.monotonic())


def forget(session: StudySession) -> None:
    """``session`` is no longer kept (closed, or failed: the next caller opens a new one)."""
    with _KEPT_LOCK:
        if _KEPT.get(_key(session), (None,))[0] is session:
            del _KEPT[_key(session)]
