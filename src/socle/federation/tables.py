"""The federation's tables in a node's governance store (studies at the hub, acceptances at
sites; ``federation_model`` keeps the models a hub trained before federated models entered
the AI context's model registry: read only, for their lineage)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from socle.store import Json, Timestamp

TABLES = MetaData()  # this context's tables; socle.node composes the store

study = Table(
    "federation_study", TABLES,
    Column("id", String, primary_key=True),
    Column("grant_id", String, nullable=False),  # the hub committee's grant for the study
    Column("title", Text, nullable=False),
    Column("quorum", Integer, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
)  # fmt: skip

acceptance = Table(
    "federation_acceptance", TABLES,
    Column("study_id", String, primary_key=True),  # the hub's study id
    Column("grant_id", String, nullable=True),  # the site's own grant, when accepted
    Column("state", String, nullable=False),  # accepted | refused | withdrawn
    Column("reason", Text, nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
)  # fmt: skip

federated_model = Table(
    "federation_model", TABLES,
    Column("id", String, primary_key=True),
    Column("study_id", String, nullable=False),
    Column("lineage", Json, nullable=False),  # study, hub grant, sites and their grants, rounds
    Column("weights", Json, nullable=False),  # coefficients and the preprocessing
    Column("created_at", Timestamp(), nullable=False),
)  # fmt: skip
