"""A release shows every cell of the requested grid; a zero is suppressed like any small count.

Were absent groups left out, "absent" would mean 0 and "suppressed" 1 to 9: the two must not
be told apart.
"""

from __future__ import annotations

import csv
from itertools import product

import orjson

from socle.node import Node
from socle.privacy import check_aggregate, disclose_count
from tests.helpers import approved_grant

AGE_BANDS = ("0-17", "18-44", "45-64", "65+")
SEXES = ("F", "M", "U")


def test_a_release_holds_every_cell_of_the_grid_and_zeros_are_suppressed(loaded: Node) -> None:
    grant = approved_grant(loaded)
    request = loaded.workspace.condition_counts(
        grant, "SNOMED|73595000", ("age_band", "sex"), actor="researcher"
    )
    for checker in ("checker1", "checker2"):
        loaded.desk.appoint_checker(checker, actor="admin")
        request = loaded.desk.review(request.id, "approved", reasons="ok", actor=checker)
    assert request.state == "released" and request.folder is not None
    [written_file] = sorted(request.folder.glob("*.csv"))
    with written_file.open() as f:
        written = [r for r in csv.DictReader(f) if "All" not in (r["age_band"], r["sex"])]
    cells = {(r["age_band"], r["sex"]): r["persons"] for r in written}
    assert set(cells) == set(product(AGE_BANDS, SEXES)), "a group of the grid is absent"
    assert set(cells.values()) == {"suppressed"}, "three patients give only small cells"
    manifest = orjson.loads((request.folder / "release.json").read_bytes())
    assert manifest["files"] == {written_file.stem: request.items[0].sha256}


def test_a_condition_nobody_has_still_releases_the_whole_grid(loaded: Node) -> None:
    grant = approved_grant(loaded)
    request = loaded.workspace.condition_counts(
        grant, "SNOMED|0000000", ("sex",), actor="researcher"
    )
    rows = [r for r in request.items[0].rows if r[0] != "All"]
    assert [r[0] for r in rows] == list(SEXES)
    assert all(r[1] is None for r in rows)


def test_zero_and_missing_counts_are_suppressed_like_small_ones() -> None:
    table = check_aggregate(["g", "n"], [("a", 0), ("b", None), ("c", 3), ("d", 12)], ["n"])
    assert [r[1] for r in table.rows] == [None, None, None, 10]
    assert table.suppressed_cells == 3
    assert disclose_count(0) is None and disclose_count(10) == 10 and disclose_count(13) == 15
