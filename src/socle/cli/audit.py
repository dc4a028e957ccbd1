"""``socle audit``: verify, anchor, export and upgrade the sealed, hash-chained log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from socle.cli.common import Actor, Home, open_node, out
from socle.errors import InputError

if TYPE_CHECKING:
    from socle.audit import Anchor

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
