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
    release = loaded.workspace.condition_counts(
        grant, "SNOMED|73595000", ("age_band", "sex"), actor="researcher"
    )
    cells = {(r[0], r[1]): r[2] for r in release.table.rows}
    assert set(cells) == set(product(AGE_BANDS, SEXES)), "a group of the grid is absent"
    assert all(n is None for n in cells.values()), "three patients give only small cells"
    assert release.table.suppressed_cells == len(AGE_BANDS) * len(SEXES)
    with release.csv_path.open() as f:
        written = list(csv.DictReader(f))
    assert len(written) == 12 and {r["persons"] for r in written} == {"suppressed"}
    assert len(orjson.loads(release.json_path.read_bytes())["rows"]) == 12


def test_a_condition_nobody_has_still_releases_the_whole_grid(loaded: Node) -> None:
    grant = approved_grant(loaded)
    release = loaded.workspace.condition_counts(grant, "SNOMED|0000000", ("sex",), actor="r")
    assert [r[0] for r in release.table.rows] == list(SEXES)
    assert release.table.suppressed_cells == 3


def test_zero_and_missing_counts_are_suppressed_like_small_ones() -> None:
    table = check_aggregate(["g", "n"], [("a", 0), ("b", None), ("c", 3), ("d", 12)], ["n"])
    assert [r[1] for r in table.rows] == [None, None, None, 10]
    assert table.suppressed_cells == 3
    assert disclose_count(0) is None and disclose_count(10) == 10 and disclose_count(13) == 15
