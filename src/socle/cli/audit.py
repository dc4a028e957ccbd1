"""``socle audit``: verify, anchor, export and upgrade the sealed, hash-chained log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from socle.cli.common import Actor, Home, open_node, out
from socle.errors import InputError

if TYPE_CHECKING:  # the audit context (SQLAlchemy) loads only when a command runs
    from socle.audit import Anchor, AuditEvent

app = typer.Typer(no_args_is_help=True)

AnchorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--anchor",
        help='An anchored head, {"seq": N, "hash": "..."} or N:HASH, or @FILE holding one '
        "(repeatable); the log must still contain it",
    ),
]


def _anchors(values: list[str] | None) -> list[Anchor]:
    from socle.audit import Anchor

    anchors = []
    for value in values or []:
        if value.startswith("@"):
            path = Path(value[1:])
            if not path.is_file():
                raise InputError(f"anchor file {path} does not exist")
            value = path.read_text()
        anchors.append(Anchor.parse(value))
    return anchors


@app.command("verify")
def verify(
    home: Home = None,
    head: Annotated[str | None, typer.Option(help="The log must end at this hash")] = None,
    anchor: AnchorOpt = None,
) -> None:
    """Check the chain, every event's seal and the anchor file end to end; names the first bad event."""
    anchors = _anchors(anchor)
    with open_node(home) as node:
        v = node.audit.verify(expected_head=head, anchors=anchors)
    out.print(
        f"audit log verified: {v.events} events, head {v.head_hash}"
        + (f", {len(anchors)} anchor(s) found" if anchors else ""),
        soft_wrap=True,
    )


@app.command("head")
def head(home: Home = None) -> None:
    """Print the head (sequence, hash) to anchor elsewhere, so truncation is detected."""
    with open_node(home) as node:
        seq, digest = node.audit.head()
    typer.echo(orjson.dumps({"seq": seq, "hash": digest}).decode())  # one line, never wrapped


@app.command("export")
def export(path: Path, home: Home = None) -> None:
    """Export every event as JSON Lines for an outside auditor."""
    with open_node(home) as node:
        n = node.audit.export_jsonl(path)
    out.print(f"{n} events written to {path}")


@app.command("verify-export")
def verify_export(
    path: Path,
    anchor: AnchorOpt = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Also check seals with this node's audit key")
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            help="The node's audit public key (hex, `socle audit public-key`): "
            "check the head's signature"
        ),
    ] = None,
) -> None:
    """Verify an exported JSON Lines log without the node (what an outside auditor runs)."""
    from socle.audit import Seal, verify_jsonl
    from socle.config import Settings
    from socle.privacy import key_provider

    seal = None
    if home is not None:
        settings = Settings(home=home)
        keys = key_provider(settings.key_provider, settings.secrets_dir)
        seal = Seal(keys.key("audit"), settings.audit_anchor_path)
    v = verify_jsonl(path, anchors=_anchors(anchor), seal=seal, public_key=public_key)
    sealed = (", seals checked" if seal else "") + (
        ", head signature checked" if public_key else ""
    )
    out.print(f"export verified: {v.events} events, head {v.head_hash}{sealed}", soft_wrap=True)


@app.command("public-key")
def public_key(home: Home = None) -> None:
    """Print the audit public key (Ed25519, hex) that signs the heads of exports and releases."""
    with open_node(home) as node:
        assert node.audit.seal is not None
        typer.echo(node.audit.seal.public_key())


@app.command("upgrade")
def upgrade(home: Home = None, actor: Actor = "administrator") -> None:
    """Seal a log written before sealing and anchor its head (run once, after `verify`)."""
    with open_node(home) as node:
        sealed = node.audit.upgrade(actor=actor)
        anchor_path = node.settings.audit_anchor_path
    out.print(f"{sealed} events sealed; head anchored in {anchor_path}", soft_wrap=True)


@app.command("trace")
def trace_release(
    release_id: Annotated[str, typer.Argument(metavar="RELEASE_OR_MODEL")],
    home: Home = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Trace in an exported log (verified first), not the node's"),
    ] = None,
) -> None:
    """The permit chain of a release (job, extract and code hashes, grant, committee decision)
    or of a model (stages, college decisions, registration with its lineage hashes, grant,
    committee decision)."""
    from socle.ai import trace_model
    from socle.audit import verify_jsonl
    from socle.workspace import trace

    if export is not None:
        verify_jsonl(export)
        events = list(_exported_events(export))
    else:
        with open_node(home) as node:
            events = list(node.audit.events())
    chain = (
        trace_model(release_id, events)
        if release_id.startswith("model-")
        else trace(release_id, events)
    )
    for link in chain:
        e = link.event
        out.print(
            f"[bold]{link.kind:<10}[/] #{e.seq} {e.action} {e.object} by {e.actor} ({e.role}) "
            f"at {e.at[:19]}\n{'':<10} hash {e.hash}\n{'':<10} {_summary(e.details)}",
            soft_wrap=True, highlight=False,
        )  # fmt: skip
    out.print("every link is an event of the hash-chained log; verify it with `socle audit verify`")


def _exported_events(path: Path) -> Iterator[AuditEvent]:
    from socle.audit import AuditEvent

    with path.open("rb") as f:
        for line in f:
            if line.strip():
                fields = orjson.loads(line)
                if isinstance(fields.get("details"), str):
                    fields["details"] = orjson.loads(fields["details"] or "{}")
                yield AuditEvent(**{k: fields[k] for k in AuditEvent.__dataclass_fields__})


def _summary(details: dict[str, Any]) -> str:
    keep = ("grant", "request", "code_sha256", "extract_sha256", "outputs", "sources", "files",
            "reviewers", "recommendation", "params", "state", "sha256", "from", "to", "decision",
            "reason", "definition_id", "definition_sha256", "training_set_sha256",
            "artifact_sha256", "version")  # fmt: skip
    parts = []
    for key in keep:
        if key in details and details[key] not in ({}, [], None, ""):
            value = details[key]
            text = orjson.dumps(value).decode() if not isinstance(value, str) else value
            parts.append(f"{key}={text}")
    return "; ".join(parts)
