"""The structural half of the checkpoint: what a workspace query may name, decided before it runs.

A query is parsed by DuckDB's own parser (``json_serialize_sql``), so what is
checked is exactly what would run — no second parser to disagree with it. It
is accepted only when it is one read-only ``SELECT`` whose every relation is
a ``scoped_*`` view of the grant (or a vocabulary view, or a CTE the query
itself defines, within that CTE's scope), with no schema or catalogue named,
no table function but ``range``/``generate_series``/``unnest``, and no
function that reads settings, files, the catalogue or runs other SQL.
Anything DuckDB cannot serialise as a SELECT (``COPY``, ``ATTACH``,
``PRAGMA``, ``SET``, ``INSTALL``, ``LOAD``, ``EXPORT``, DDL, DML) is refused
by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import orjson

from socle.warehouse.errors import ScopeError


class QueryRefusedError(ScopeError):
    """A workspace query names something outside the grant's views, or is not a plain SELECT."""


# Table functions that produce values, never read anything.
TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

# Scalar functions refused by name or prefix: catalogue, settings, files, other SQL, side effects.
_REFUSED_PREFIXES = (
    "duckdb_", "pragma_", "read_", "parquet_", "sqlite_", "postgres_", "mysql_", "iceberg_",
    "delta_", "json_execute", "json_deserialize", "json_serialize", "glob", "has_",
)  # fmt: skip
_REFUSED_FUNCTIONS = frozenset(
    {
        "current_setting", "getenv", "getvariable", "query", "query_table", "sql_auto_complete",
        "which_secret", "nextval", "currval", "setseed", "checkpoint", "force_checkpoint",
        "current_database", "current_schema", "current_schemas", "current_catalog",
        "current_user", "session_user", "user", "current_role", "txid_current", "version",
        "pg_typeof", "col_description", "obj_description", "shobj_description",
        "table_info", "error", "from_json_strict",
    }
)  # fmt: skip

# Relation node types a SELECT may use; anything else (SHOW, DESCRIBE, …) is refused.
_TABLE_REFS = frozenset(
    {"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION", "EXPRESSION_LIST", "EMPTY", "PIVOT"}
)


def check_select(
    con: duckdb.DuckDBPyConnection, sql: str, allowed: Iterable[str], taken: frozenset[str]
) -> None:
    """Refuse ``sql`` unless it is one SELECT reading only the relations in ``allowed``.

    ``taken`` holds every relation name of the database (lower case): a CTE may
    not reuse one, so a CTE name referred to outside its scope can never bind
    to a real table. Raises :class:`QueryRefusedError` naming the first thing
    that is not allowed.
    """
    row = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = orjson.loads(row[0]) if row else {"error": True, "error_message": "no parse"}
    if tree.get("error"):
        message = str(tree.get("error_message", ""))
        if tree.get("error_type") == "not implemented":
            raise QueryRefusedError(
                "only a single read-only SELECT may run in the workspace "
                "(no COPY, ATTACH, PRAGMA, SET, INSTALL, LOAD, EXPORT, DDL or DML)"
            )
        raise QueryRefusedError(f"the query does not parse: {message}")
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise QueryRefusedError(
            f"one SELECT per query, this text holds {len(statements)} statements"
        )
    allowed_names = frozenset(a.lower() for a in allowed)
    ctes = frozenset(_cte_names(statements[0]))
    for name in sorted(ctes):
        if not _IDENTIFIER.fullmatch(name) or (name in taken and name not in allowed_names):
            raise QueryRefusedError(
                f"CTE name '{name}' is not allowed: use a plain name (letters, digits, _) "
                "that is not a table of the database"
            )
    _Walker(allowed_names, ctes).walk(statements[0])


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class _Walker:
    """Visits every node of the serialised tree."""

    def __init__(self, allowed: frozenset[str], ctes: frozenset[str]) -> None:
        self.allowed, self.ctes = allowed, ctes

    def walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item)
            return
        if not isinstance(node, dict):
            return
        if "class" in node:
            self._expression(node)
        elif "sample" in node and "type" in node and "modifiers" not in node:
            self._relation(node, self.ctes)
        for value in node.values():
            if isinstance(value, dict | list):
                self.walk(value)

    def _relation(self, node: dict[str, Any], ctes: frozenset[str]) -> None:
        kind = node["type"]
        if kind not in _TABLE_REFS:
            raise QueryRefusedError(f"'{kind.lower()}' is not allowed in a workspace query")
        if kind == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            schema, catalog = node.get("schema_name") or "", node.get("catalog_name") or ""
            if schema or catalog:
                qualified = ".".join(p for p in (catalog, schema, name) if p)
                raise QueryRefusedError(
                    f"'{qualified}' names a schema; a workspace query reads only its views "
                    f"({_listing(self.allowed)})"
                )
            if name.lower() not in self.allowed and name.lower() not in ctes:
                raise QueryRefusedError(
                    f"'{name}' is not a view of this grant; the workspace reads only "
                    f"{_listing(self.allowed)}"
                )
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            name = str(function.get("function_name", "")).lower()
            if name not in TABLE_FUNCTIONS:
                raise QueryRefusedError(
                    f"table function '{name}' is not allowed in a workspace query "
                    f"(allowed: {', '.join(sorted(TABLE_FUNCTIONS))})"
                )

    @staticmethod
    def _expression(node: dict[str, Any]) -> None:
        if node.get("class") not in ("FUNCTION", "WINDOW", "AGGREGATE"):
            return
        name = str(node.get("function_name", "")).lower()
        catalog = node.get("catalog") or ""
        schema = node.get("schema") or ""
        if catalog or schema not in ("", "main"):
            raise QueryRefusedError(f"function '{schema}.{name}' names a schema; not allowed")
        if name in _REFUSED_FUNCTIONS or name.startswith(_REFUSED_PREFIXES):
            raise QueryRefusedError(f"function '{name}' is not allowed in a workspace query")


def _cte_names(node: Any) -> Iterator[str]:
    """Every CTE name defined anywhere in the tree, lower case."""
    if isinstance(node, list):
        for item in node:
            yield from _cte_names(item)
        return
    if not isinstance(node, dict):
        return
    cte_map = node.get("cte_map")
    if isinstance(cte_map, dict):
        yield from (str(entry.get("key", "")).lower() for entry in cte_map.get("map") or [])
    if node.get("type") in ("CTE_NODE", "RECURSIVE_CTE_NODE") and node.get("cte_name"):
        yield str(node["cte_name"]).lower()
    for value in node.values():
        if isinstance(value, dict | list):
            yield from _cte_names(value)


def _listing(allowed: frozenset[str]) -> str:
    return ", ".join(sorted(allowed)) or "no view"
