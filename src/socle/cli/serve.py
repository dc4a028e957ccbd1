"""``socle serve`` (the REST API) and ``socle user-add`` (accounts of the embedded issuer)."""

from __future__ import annotations

from typing import Annotated

import typer

from socle.api import Role
from socle.cli.common import Actor, Home, open_node, out
from socle.errors import ConfigError


def serve(
    home: Home = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64,
            help="Worker processes; more than one needs the PostgreSQL governance store "
            "(SOCLE_GOVERNANCE_URL) and opens the warehouse read-only",
        ),
    ] = 1,
) -> None:  # fmt: skip
    """Start the REST API (OpenAPI at /openapi.json, browsable docs at /docs).

    Warehouse queries use every core but one (unless SOCLE_WAREHOUSE_THREADS says otherwise),
    so a long workspace query leaves a core to the other requests.
    """
    import os

    import uvicorn

    from socle.api import ApiSettings, create_app, jwt_secret
    from socle.config import Settings

    settings = Settings(home=home) if home else Settings()
    if settings.warehouse_threads is None:  # a long query leaves a core to the other requests
        threads = max(1, (os.cpu_count() or 2) - 1)
        settings = settings.model_copy(update={"warehouse_threads": threads})
        os.environ["SOCLE_WAREHOUSE_THREADS"] = str(threads)  # for the worker processes too
    jwt_secret(ApiSettings(), settings.secrets_dir)  # refuse an unsafe secret before listening
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    if settings.governance_db_url.startswith("sqlite"):
        raise ConfigError(
            f"--workers {workers} needs the PostgreSQL governance store: set "
            "SOCLE_GOVERNANCE_URL=postgresql+psycopg://... (SQLite serves one worker)"
        )
    with open_node(settings.home):  # creates the stores and their tables once, writable
        pass
    # Each worker process builds its own app from the environment.
    os.environ["SOCLE_HOME"] = str(settings.home.resolve())
    os.environ["SOCLE_WAREHOUSE_READ_ONLY"] = "true"
    uvicorn.run(
        "socle.api.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="info",
    )  # fmt: skip


def user_add(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[list[Role], typer.Option("--role", help="Repeat for several roles")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="SOCLE_USER_PASSWORD")
    ],
    care_context: Annotated[list[str] | None, typer.Option(help="For a clinician")] = None,
    patient: Annotated[str | None, typer.Option(help="For a patient: the hospital's id")] = None,
    home: Home = None,
    actor: Actor = "administrator",
) -> None:
    """Create a user of the embedded token issuer (password kept as an argon2 hash)."""
    from socle.api import UserStore

    with open_node(home) as node:
        person_id = node.person_id(patient) if patient else None
        UserStore(node.engine, node.audit).create(
            username, password, frozenset(role), person_id=person_id,
            care_contexts=tuple(care_context or ()), actor=actor,
        )  # fmt: skip
    out.print(f"user '{username}' created with roles {', '.join(sorted(role))}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("user-add")(user_add)
