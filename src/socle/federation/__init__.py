"""Federation: many Socle nodes as one network on Flower; no row leaves a site.

A hub (SuperLink) runs a federated study only with its committee's approval;
each site (SuperNode) answers only studies it accepted itself, through its own
node's checkpoint, consent filter and release checks, and audits every answer
with the hub's study id. See docs/federation.md for the trust model.
"""

from socle.federation.compare import ModelComparison, compare_model
from socle.federation.demo import run_federated_demo
from socle.federation.errors import (
    FederationError,
    NetworkError,
    NoHubError,
    QuorumError,
    StudyError,
)
from socle.federation.hub import SUPPRESSED, FederatedModel, Federation, NetworkCounts, combine
from socle.federation.local import LocalNetwork, build_network, committee_grant
from socle.federation.network import Hub, SiteNode, beyond_loopback, free_port, peer_addresses
from socle.federation.pki import HubCertificates, NodeKeys, make_hub_certificates, make_node_keys
from socle.federation.site import Site
from socle.federation.studies import FEDERATION_ACTOR, Acceptance, Acceptances, Studies, Study
from socle.federation.tables import TABLES

__all__ = [
    "FEDERATION_ACTOR",
    "SUPPRESSED",
    "TABLES",
    "Acceptance",
    "Acceptances",
    "FederatedModel",
    "Federation",
    "FederationError",
    "Hub",
    "HubCertificates",
    "LocalNetwork",
    "ModelComparison",
    "NetworkCounts",
    "NetworkError",
    "NoHubError",
    "NodeKeys",
    "QuorumError",
    "Site",
    "SiteNode",
    "Studies",
    "Study",
    "StudyError",
    "beyond_loopback",
    "build_network",
    "combine",
    "committee_grant",
    "compare_model",
    "free_port",
    "make_hub_certificates",
    "make_node_keys",
    "peer_addresses",
    "run_federated_demo",
]
