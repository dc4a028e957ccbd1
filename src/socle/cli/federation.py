"""``socle federation``: run a hub (SuperLink) or a site (SuperNode), decide on studies, and
run federated counts and training from the hub."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from socle.cli.common import Actor, Home, open_node, out
from socle.roles import Role

if TYPE_CHECKING:
    from socle.federation import Hub
    from socle.node import Node

app = typer.Typer(no_args_is_help=True)
study_app = typer.Typer(no_args_is_help=True)
app.add_typer(
    study_app, name="study", help="Open a study (hub) or accept, refuse, withdraw (site)."
)

Sites = Annotated[int, typer.Option(help="How many sites the run waits for")]
Secure = Annotated[
    bool, typer.Option(help="Add the sites' exact counts by SecAgg+: the hub sees only totals")
]


def _folder(node: Node) -> Path:
    return node.settings.home / "federation"


def _hub(node: Node) -> Hub:
    """The hub as ``socle federation hub`` left it (certificates, port)."""
    from socle.federation import Hub

    return Hub.saved(node.settings.home)


def _condition(text: str) -> str | int:
    """A source code (``SNOMED|38341003``), or a standard concept id (digits) counted with its
    descendants."""
    return int(text) if text.isdigit() else text


def _wait(*processes: object) -> None:
    """Block until Ctrl-C or SIGTERM, then let the caller stop the processes."""
    stop = False

    def handler(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, handler)
    try:
        while not stop and all(getattr(p, "running", True) for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass


@app.command()
def hub(
    home: Home = None,
    host: Annotated[
        str, typer.Option(help="Address to serve on (a public one in production)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: a free one)")] = 0,
) -> None:
    """Start this node's SuperLink (TLS, SuperNode authentication, no runtime installs)."""
    from socle.federation import Hub, make_hub_certificates

    with open_node(home) as node:
        folder = _folder(node)
        certs = make_hub_certificates(folder / "pki", (host,))
        running = Hub(folder / "superlink", certs, host, port).start()
        running.save(node.settings.home)
        out.print(f"SuperLink on https://{running.address}; give sites the CA {certs.ca}")
        try:
            _wait(running.process)
        finally:
            running.stop()


@app.command("register")
def register_site(
    name: str, public_key: Path, home: Home = None, actor: Actor = "administrator"
) -> None:
    """At the hub: register a site's public key (only registered SuperNodes may join)."""
    from socle.federation import NodeKeys

    with open_node(home) as node:
        _hub(node).register(name, NodeKeys(public_key.with_suffix(".key"), public_key))
        _audit_register(node, actor, "register", name)
    out.print(f"site {name} registered")


@app.command("unregister")
def unregister_site(name: str, home: Home = None, actor: Actor = "administrator") -> None:
    """At the hub: take a site's key out of the register (refused from the SuperLink's next
    start; ``flwr supernode unregister NODE_ID`` makes the running SuperLink forget it now)."""
    with open_node(home) as node:
        found = _hub(node).unregister(name)
        if found:
            _audit_register(node, actor, "unregister", name)
    out.print(f"site {name} unregistered" if found else f"no site {name} registered here")


def _audit_register(node: Node, actor: str, change: str, site: str) -> None:
    """Who may join the network is a state change of the hub: audited with its administrator."""
    node.audit.record(
        actor=actor, role=Role.ADMINISTRATOR, action=f"federation.site.{change}", object=site
    )


@app.command()
def keys(name: str, home: Home = None) -> None:
    """At a site: make its node key pair; send the ``.pub`` file to the hub's administrator."""
    from socle.federation import make_node_keys

    with open_node(home) as node:
        made = make_node_keys(_folder(node) / "keys", name)
    out.print(f"private key {made.private} (stays here); public key {made.public} (to the hub)")


@app.command()
def site(
    hub: Annotated[str, typer.Option("--hub", help="The hub's SuperLink, host:port")],
    ca: Annotated[Path, typer.Option(help="The network's CA certificate (from the hub)")],
    name: Annotated[str, typer.Option(help="This site's name, as registered at the hub")],
    home: Home = None,
) -> None:
    """Start this site's SuperNode: it answers accepted studies through this node only."""
    from socle.federation import NodeKeys, SiteNode

    with open_node(home) as node:
        folder, settings_home = _folder(node), node.settings.home
    keys_dir = folder / "keys"
    running = SiteNode(name, settings_home.resolve(), folder / "supernode",
                       NodeKeys(keys_dir / f"{name}.key", keys_dir / f"{name}.pub"), hub, ca).start()  # fmt: skip
    out.print(f"SuperNode of {name} connected out to {hub}")
    try:
        _wait(running.process)
    finally:
        running.stop()


@study_app.command("open")
def open_study(grant: str, quorum: int = 3, home: Home = None, actor: Actor = "chair") -> None:
    """At the hub: open a federated study on a grant the hub's committee issued."""
    from socle.federation import Studies

    with open_node(home) as node:
        found = Studies(node.engine, node.governance, node.audit).open(
            grant, quorum=quorum, actor=actor
        )
    out.print(f"study {found.id} on {grant}, quorum {found.quorum}")


@study_app.command("accept")
def accept(study: str, grant: str, home: Home = None, actor: Actor = "steward") -> None:
    """At a site: take part in the hub's study under this site's own grant."""
    from socle.federation import Acceptances

    with open_node(home) as node:
        Acceptances(node.engine, node.governance, node.audit).accept(study, grant, actor=actor)
    out.print(f"study {study} accepted under {grant}")


@study_app.command("refuse")
def refuse(study: str, reason: str, home: Home = None, actor: Actor = "steward") -> None:
    """At a site: refuse the hub's study."""
    from socle.federation import Acceptances

    with open_node(home) as node:
        Acceptances(node.engine, node.governance, node.audit).refuse(
            study, reason=reason, actor=actor
        )
    out.print(f"study {study} refused")


@study_app.command("withdraw")
def withdraw(study: str, reason: str, home: Home = None, actor: Actor = "steward") -> None:
    """At a site: stop contributing from the next message (the local grant is revoked)."""
    from socle.federation import Acceptances

    with open_node(home) as node:
        Acceptances(node.engine, node.governance, node.audit).withdraw(
            study, reason=reason, actor=actor
        )
    out.print(f"study {study} withdrawn")


@app.command()
def count(
    study: str, condition: str, sites: Sites = 3, home: Home = None,
    actor: Actor = "researcher", secure: Secure = False,
) -> None:  # fmt: skip
    """At the hub: persons with a condition by age band and sex across the network."""
    from socle.federation import Federation

    with open_node(home) as node, out.status("asking the sites…"):
        result = Federation(node, _hub(node)).count(
            study, _condition(condition), actor=actor, sites=sites, secure=secure
        )
    for row in result.rows:
        out.print(
            f"{' / '.join(map(str, row[:-1])):14} {'suppressed' if row[-1] is None else row[-1]}"
        )
    answered = "sites added up by SecAgg+" if secure else f"{len(result.sites)} sites answered"
    out.print(f"{answered} in {result.seconds:.1f} s")


@app.command()
def feasibility(
    study: str, condition: str, epsilon: float = 0.0, sites: Sites = 3, home: Home = None,
    actor: Actor = "researcher", secure: Secure = False,
) -> None:  # fmt: skip
    """At the hub: how many persons with a condition across the network (the checked total, or
    with --epsilon the sum of the sites' DP counts, each charged to the site's own budget).
    CONDITION: a source code (SNOMED|38341003) or a standard concept id, counted with its
    descendants."""
    from socle.federation import Federation

    with open_node(home) as node, out.status("asking the sites…"):
        total = Federation(node, _hub(node)).feasibility(
            study, _condition(condition), actor=actor, epsilon=epsilon or None, sites=sites,
            secure=secure,
        )  # fmt: skip
    shown = "suppressed (a site's count is small)" if total is None else f"about {total}"
    out.print(f"{condition}: {shown} persons across the network"
              + (f" (DP, ε={epsilon:g} per site)" if epsilon else ""))  # fmt: skip


@app.command()
def train(
    study: str,
    rounds: Annotated[int | None, typer.Option(help="FedAvg rounds (default 1, then Newton)")] = None,
    mu: float = 0.0,
    newton: Annotated[int, typer.Option(help="At most this many federated Newton rounds (0: "
                                        "FedAvg only)")] = 12,
    sites: Sites = 3, home: Home = None, actor: Actor = "researcher",
) -> None:  # fmt: skip
    """At the hub: the logistic regression across the sites (FedAvg of local Newton solves, then
    federated Newton rounds to the central optimum); registered with lineage."""
    from socle.federation import Federation

    with open_node(home) as node, out.status("training across the sites…"):
        model = Federation(node, _hub(node)).train(
            study, actor=actor, rounds=rounds, mu=mu, newton=newton, sites=sites
        )
    exact = model.lineage.get("newton")
    out.print(f"{model.id}: {len(model.rounds)} rounds, sites {', '.join(model.lineage['sites'])}")
    if exact:
        out.print(f"  federated Newton: {'converged' if exact['converged'] else 'NOT converged'} "
                  f"in {exact['rounds']} rounds, largest gradient component "
                  f"{exact['gradient_norm']:.1e} (the central objective's)")  # fmt: skip
    for name, metrics in model.metrics.items():
        out.print(
            f"  {name}: held-out AUROC {metrics['auroc'] if metrics['auroc'] is not None else 'withheld'}"
        )
