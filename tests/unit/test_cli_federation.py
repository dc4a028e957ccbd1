"""``socle federation`` in-process: a site's keys, its decisions on studies, a hub-less run."""

from __future__ import annotations

from pathlib import Path

from socle.config import Settings
from socle.federation import FEDERATION_ACTOR, committee_grant
from socle.node import Node
from tests.cli import socle

STUDY = "study-abcdef0123"


def test_a_site_makes_its_keys_and_keeps_the_private_one_to_itself(tmp_path: Path) -> None:
    home = tmp_path / "site"
    run = socle("federation", "keys", "site-a", home=home)
    assert run.returncode == 0
    private, public = home / "federation/keys/site-a.key", home / "federation/keys/site-a.pub"
    assert public.read_text().startswith("ecdsa-sha2-nistp384 ")
    assert private.stat().st_mode & 0o077 == 0


def test_a_site_accepts_then_withdraws_a_study_and_its_grant_is_revoked(
    tmp_path: Path, small_sample: Path
) -> None:
    home = tmp_path / "site"
    node = Node.open(Settings(home=home))
    try:
        node.load(small_sample, actor="steward")
        grant = committee_grant(node, "site-a", FEDERATION_ACTOR, f"Study {STUDY}")
    finally:
        node.close()
    assert socle("federation", "study", "accept", STUDY, grant, home=home).returncode == 0
    run = socle("federation", "study", "withdraw", STUDY, "the committee withdrew", home=home)
    assert run.returncode == 0 and "withdrawn" in run.stdout
    node = Node.open(Settings(home=home))
    try:
        assert node.governance.grant(grant).revoked
    finally:
        node.close()


def test_a_site_cannot_accept_under_a_grant_the_federation_is_not_on(tmp_path: Path) -> None:
    run = socle("federation", "study", "accept", STUDY, "grant-missing", home=tmp_path / "s")
    assert run.returncode != 0 and "grant-missing" in run.text


def test_a_count_without_a_hub_says_how_to_start_one(tmp_path: Path) -> None:
    run = socle("federation", "count", STUDY, "SNOMED|73595000", home=tmp_path / "hub")
    assert run.returncode != 0 and "socle federation hub" in run.text


def test_unregistering_a_site_is_audited_with_the_administrator_and_takes_a_name_only(
    tmp_path: Path,
) -> None:
    from socle.federation import Hub, make_hub_certificates

    home = tmp_path / "hub"
    hub = Hub(home / "federation/superlink", make_hub_certificates(tmp_path / "pki"))
    hub.save(home)
    hub.sites_folder.mkdir(parents=True)
    (hub.sites_folder / "site-x.pub").write_text("ecdsa-sha2-nistp384 AAAA")
    outside = home / "federation/superlink/kept.pub"
    outside.write_text("not a site's key")

    run = socle("federation", "unregister", "../kept", home=home)
    assert run.returncode != 0 and "a site's name" in run.text and outside.exists()
    run = socle("federation", "unregister", "site-x", "--actor", "alice", home=home)
    assert run.returncode == 0 and "site-x unregistered" in run.stdout
    assert not (hub.sites_folder / "site-x.pub").exists()

    node = Node.open(Settings(home=home))
    try:
        events = list(node.audit.events("federation.site.unregister"))
    finally:
        node.close()
    assert [(e.actor, e.role, e.object) for e in events] == [("alice", "administrator", "site-x")]
