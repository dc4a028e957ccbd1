"""Errors of the federation context."""

from __future__ import annotations

from socle.errors import SocleError


class FederationError(SocleError):
    """Base of federation errors."""


class NetworkError(FederationError):
    """The Flower network (SuperLink, SuperNodes, a run) could not start or finish."""


class NoHubError(NetworkError):
    """This node runs no hub: ``socle federation hub`` was never run here."""


class StudyError(FederationError):
    """A federated study is unknown, not approved by the hub, or not accepted by a site."""


class QuorumError(FederationError):
    """Fewer sites answered a round than the study's quorum."""
