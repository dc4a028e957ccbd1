"""A study session: one Flower run kept open at the hub so that each count or training is only
its rounds (no ``flwr run``, no ServerApp start-up): feasibility counts in seconds.

The hub submits the app once with ``task = "session"``; the ServerApp then performs every task
file the hub drops in the session's folder and answers with a result file beside it. The
folder is the hub's own (nothing crosses to the sites but Flower's messages); the session ends
when the hub closes it, or by itself after ``idle`` seconds without a task.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socle.federation.errors import NetworkError
from socle.federation.network import APP_DIR, CONNECTION, Hub

STARTUP = 180.0  # seconds a first task may wait for the ServerApp to start


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
