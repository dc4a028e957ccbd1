"""Whether one person falls in a grant's population: a yes or no, never a row.

Patient transparency needs it (a project whose population excluded a patient
never read their data); the population rule is the one the scoped views apply.
"""

from __future__ import annotations

from socle.warehouse.portable import population_condition
from socle.warehouse.scope import GrantScope
from socle.warehouse.warehouse import Warehouse


def population_includes(wh: Warehouse, scope: GrantScope, person_id: int) -> bool:
    """Whether ``person_id`` is a person of the warehouse inside ``scope``'s population."""
    condition = population_condition(scope) or "TRUE"
    rows = wh.aggregate(
        f"SELECT count(*) FROM main.person WHERE person_id = ? AND {condition}", [person_id]
    )
    return bool(rows and rows[0][0])
