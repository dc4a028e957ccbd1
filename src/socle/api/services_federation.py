"""What the hub's network routes do (see :mod:`socle.api.services` for the pattern).

The catalogue's network feasibility: each site counts through its own checkpoint and release
checks (small counts suppressed), the hub combines and checks the total; the API process keeps
one study session open per study, so an answer costs Flower's rounds, not a ``flwr run``.
"""

from __future__ import annotations

import time

from socle.api import schemas as s
from socle.api.auth import Principal
from socle.api.errors import NetworkUnavailableError, NotAHubError
from socle.node import Node


def network_feasibility(
    node: Node, who: Principal, body: s.NetworkFeasibilityAsk
) -> s.NetworkFeasibilityPublic:
    from socle.federation import Federation, Hub, NetworkError, NoHubError, QuorumError

    started = time.monotonic()
    condition: str | int = body.concept if body.concept is not None else str(body.condition)
    try:
        fed = Federation(node, Hub.saved(node.settings.home), role=",".join(sorted(who.roles)))
        fed.keep_session(body.study, actor=who.subject)
        try:
            persons = fed.feasibility(
                body.study, condition, actor=who.subject, secure=body.secure, sites=body.sites
            )
        except NetworkError:
            fed.drop_session()
            raise
    except NoHubError as exc:
        raise NotAHubError(exc.message) from exc
    except (NetworkError, QuorumError) as exc:
        raise NetworkUnavailableError(exc.message) from exc
    return s.NetworkFeasibilityPublic(
        study=body.study, concept=body.concept, condition=body.condition, persons=persons,
        secure=body.secure, seconds=round(time.monotonic() - started, 2),
    )  # fmt: skip
