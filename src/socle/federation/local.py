"""A whole network on one machine: a hub and sites splitting a FHIR sample (demo, tests,
benchmark). Real nodes, real committees' grants, real Flower processes on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from socle.config import Settings
from socle.federation.hub import Federation
from socle.federation.network import Hub, SiteNode, process_tree
from socle.federation.pki import make_hub_certificates, make_node_keys
from socle.federation.studies import FEDERATION_ACTOR, Acceptances, Studies, Study
from socle.governance import ProjectRequest, RequestedVariable, TeamMember
from socle.node import Node

STEWARD = "steward@{site}"
HUB_RESEARCHER = "investigator@hub"
COMMITTEE = ("chair@{site}", "member@{site}")
VARIABLES = (
    ("person", "year_of_birth", "Age bands for counts and age as a model feature."),
    ("person", "gender_concept_id", "Sex for counts and as a model feature."),
    ("condition_occurrence", "condition_source_value", "The studied conditions and the outcome."),
    ("condition_occurrence", "condition_concept_id", "Feasibility: a concept and its descendants."),
    ("condition_occurrence", "condition_start_date", "Date the outcome to build the label."),
    ("measurement", "measurement_source_value", "Select the baseline measurements."),
    ("measurement", "value_as_number", "Values of the baseline measurements."),
    ("measurement", "measurement_date", "Take only measurements before each landmark."),
    ("observation_period", "observation_period_start_date", "Know when follow-up starts."),
    ("observation_period", "observation_period_end_date", "Censor short follow-up."),
)  # fmt: skip
OUTPUTS: tuple[Literal["aggregates", "federated_training"], ...] = (
    "aggregates",
    "federated_training",
)


def committee_grant(
    node: Node, site: str, lead: str, title: str, *, dp_epsilon: float = 1.0
) -> str:
    """A request with ``lead`` as principal investigator, reviewed and approved by the node's
    own committee (two members), and its grant: how a hub approves a study and a site accepts it
    (``dp_epsilon``: the privacy budget of the site's DP answers to the study)."""
    dataset = node.catalog.register(
        node.warehouse, title=f"{site} warehouse", description=f"The OMOP CDM of {site}.",
        publisher=site, actor=STEWARD.format(site=site),
    )  # fmt: skip
    request_id = node.governance.create(ProjectRequest(
        title=title, sponsor="Socle federation", team=(TeamMember(lead, "principal_investigator"),),
        purpose="research", public_interest="Research across hospitals without moving data.",
        dataset_id=dataset.id, variables=tuple(RequestedVariable(*v) for v in VARIABLES),
        output_types=OUTPUTS,
    ), actor=lead)  # fmt: skip
    node.governance.submit(request_id, actor=lead)
    chair, member = (m.format(site=site) for m in COMMITTEE)
    node.governance.start_review(request_id, actor=chair)
    for name in (chair, member):
        appointed = node.governance.ensure_member(name, expertise="epidemiology", actor=chair)
        node.governance.review(
            request_id, appointed.id, scores=dict.fromkeys(node.governance.criteria.criteria, 4),
            summary="Proportionate; aggregates and federated training only.", actor=name,
        )  # fmt: skip
    node.governance.decide(
        request_id, "approved", reviewers=[chair, member], reasons="Clear public interest.",
        conditions="Only checked aggregates and model updates leave the site.", actor=chair,
    )  # fmt: skip
    today = datetime.now(UTC).date()
    return node.governance.issue_grant(
        request_id, expires=today + timedelta(days=365), actor=chair, dp_epsilon=dp_epsilon
    ).id


def split_sample(sample: Path, sites: int, folder: Path) -> list[Path]:
    """Copy the sample's patient files round-robin into one input folder per site (each site
    also gets the sample's ``support/`` files: organisations and practitioners)."""
    files = sorted(p for p in sample.iterdir() if p.is_file() and ".json" in p.name)
    folders = []
    for i in range(sites):
        target = folder / f"input-{i + 1}"
        target.mkdir(parents=True, exist_ok=True)
        for file in files[i::sites]:
            shutil.copy2(file, target / file.name)
        if (sample / "support").is_dir():
            shutil.copytree(sample / "support", target / "support", dirs_exist_ok=True)
        folders.append(target)
    return folders


@dataclass
class LocalNetwork:
    """Hub + sites in ``folder``; :meth:`start` launches the SuperLink and the SuperNodes."""

    folder: Path
    site_names: tuple[str, ...]
    hub: Hub
    study: Study
    sites: list[SiteNode] = field(default_factory=list)
    site_env: dict[str, str] = field(default_factory=dict)
    keys_dir: Path | None = None  # shared by the sites when simulating one data set split

    def settings(self, name: str) -> Settings:
        return Settings(home=self.folder / name, warehouse_read_only=True, keys_dir=self.keys_dir)

    def site_home(self, name: str) -> Path:
        return self.folder / name

    def open_hub(self) -> Node:
        return Node.open(Settings(home=self.folder / "hub"))

    def open_site(self, name: str) -> Node:
        """A site's node for its steward (read-only warehouse: the SuperNode reads it too)."""
        return Node.open(self.settings(name))

    def start(self) -> LocalNetwork:
        """Start the SuperLink, register every site's key, start the SuperNodes (side by side:
        each is a process start with Flower's and Socle's imports)."""
        self.hub.start()
        self.hub.save(self.folder / "hub")  # the hub node's commands and API find it there
        keys = {name: make_node_keys(self.folder / "keys", name) for name in self.site_names}
        with ThreadPoolExecutor(len(keys)) as pool:
            list(pool.map(lambda name: self.hub.register(name, keys[name]), self.site_names))
        for name in self.site_names:
            self.sites.append(SiteNode(
                name, self.site_home(name), self.folder / "supernodes" / name, keys[name],
                self.hub.address, self.hub.certificates.ca, env=self.site_env,
            ).launch())  # fmt: skip
        for site in self.sites:
            site.wait()
        return self

    def pids(self) -> list[int]:
        """Every process of the network (SuperLink, SuperNodes and what they started)."""
        processes = [self.hub.process, *(s.process for s in self.sites)]
        roots = [p.popen.pid for p in processes if p is not None]
        return [pid for root in roots for pid in process_tree(root)]

    def site(self, name: str) -> SiteNode:
        return next(s for s in self.sites if s.name == name)

    def federation(self, hub_node: Node) -> Federation:
        return Federation(hub_node, self.hub)

    def stop(self) -> None:
        processes = [p for p in (*(s.process for s in self.sites), self.hub.process) if p]
        for process in processes:
            process.terminate()
        for process in processes:
            process.stop()


def build_network(
    folder: Path,
    sample: Path,
    *,
    sites: int = 3,
    quorum: int | None = None,
    accept: Callable[[str], bool] = lambda name: True,
    progress: Callable[[str], None] = lambda msg: None,
    site_env: dict[str, str] | None = None,
    shared_keys: Path | None = None,
    cdm_parts: Sequence[Path] = (),
    vocabulary: Path | None = None,
) -> LocalNetwork:
    """Build the nodes (hub and sites), their committees' grants and the study; not started.

    ``cdm_parts``: one OMOP CDM (DuckDB file or folder of Parquet/CSV) per site, attached
    instead of splitting the FHIR ``sample`` (the benchmark's cloned persons).
    ``vocabulary``: an OMOP vocabulary each site loads first (counts by standard concept).
    ``shared_keys``: one key folder for every site (and a central node the caller opens with
    it), so a person has the same pseudonym and date shift everywhere — only to compare a split
    data set with its pooled self (the benchmark, the demo); real sites keep their own keys.
    """
    # Flower's processes run in their own folders: every path they are given is absolute.
    folder, shared_keys = folder.resolve(), shared_keys.resolve() if shared_keys else None
    names = tuple(f"site-{chr(ord('a') + i)}" for i in range(sites))
    inputs = list(cdm_parts) or split_sample(sample, sites, folder / "inputs")
    hub_node = Node.open(Settings(home=folder / "hub"))
    try:
        grant = committee_grant(hub_node, "hub", HUB_RESEARCHER, "Hypertension across the network")
        study = Studies(hub_node.engine, hub_node.governance, hub_node.audit).open(
            grant, quorum=quorum or sites, actor=COMMITTEE[0].format(site="hub")
        )
    finally:
        hub_node.close()
    for name, data in zip(names, inputs, strict=True):
        node = Node.open(Settings(home=folder / name, keys_dir=shared_keys))
        try:
            if vocabulary is not None:
                node.load_vocabulary(vocabulary, actor=STEWARD.format(site=name))
            if cdm_parts:
                persons = node.attach_cdm(data, actor=STEWARD.format(site=name)).get("person", 0)
            else:
                persons = node.load(data, actor=STEWARD.format(site=name)).persons
            progress(f"{name}: {persons} persons loaded")
            acceptances = Acceptances(node.engine, node.governance, node.audit)
            steward = STEWARD.format(site=name)
            if accept(name):
                local = committee_grant(
                    node, name, FEDERATION_ACTOR, f"Study {study.id} of the hub"
                )
                acceptances.accept(study.id, local, actor=steward)
            else:
                acceptances.refuse(study.id, reason="not within this site's policy", actor=steward)
        finally:
            node.close()
    certificates = make_hub_certificates(folder / "pki")
    env = {**(site_env or {}), **({"SOCLE_KEYS_DIR": str(shared_keys)} if shared_keys else {})}
    return LocalNetwork(folder, names, Hub(folder / "superlink", certificates), study,
                        site_env=env, keys_dir=shared_keys)  # fmt: skip
