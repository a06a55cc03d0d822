"""Searching text in the database: LIKE patterns with their wildcards escaped, and the
dossier search index behind the werkbak's search (dossier number and complainant's name)
and the dossier list's (those, the e-mail address, the member number and the complaint's
words: migration 0017).

A search is a case-insensitive substring match. From three characters on it goes through a
trigram index, so that it costs about as much with 100 000 dossiers as with 10 000: on
SQLite the FTS5 table ``dossier_search`` (tokenizer ``trigram``, external content
``dossiers``, kept in step by triggers on ``dossiers``, migration 0010), on PostgreSQL the
``pg_trgm`` GIN indexes on ``lower(column)`` of each searched column. A shorter term
has no trigram: it is a LIKE over the dossiers, with its wildcards escaped.

An erased or rectified name leaves the index with the row's update (the triggers delete the
old value; PostgreSQL's index follows the row). FTS5 records such a delete as a marker
beside the old segment; :func:`purge_deleted` merges the segments, so that the erased name
is gone from the index's pages too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, column, func, or_, table, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql import ColumnElement, Select, select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from runner.store import Dossier

SEARCH_TABLE = "dossier_search"  # SQLite: the FTS5 table (and its shadow tables dossier_search_*)
# The searched columns: the werkbak's, and the dossier list's.
NAME_COLUMNS = ("number", "complainant_name")
ALL_COLUMNS = (*NAME_COLUMNS, "complainant_email", "member_number", "complaint_text")
TRIGRAM_INDEXES = tuple(f"ix_dossiers_{name}_trgm" for name in ALL_COLUMNS)  # PostgreSQL
TRIGRAM = 3  # characters: a shorter term has no trigram to look up
MAX_TERM = 100

_index = table(SEARCH_TABLE, column("rowid", Integer), column(SEARCH_TABLE))


def escape_like(term: str) -> str:
    """``term`` with LIKE's wildcards and the escape character escaped (use ``escape="\\\\"``)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# A text column, as a model's attribute or as an expression.
TextColumn = ColumnElement[str] | QueryableAttribute[str] | QueryableAttribute[str | None]


def contains(expression: TextColumn, term: str) -> ColumnElement[bool]:
    """``expression`` contains ``term``, case-insensitively, ``%`` and ``_`` taken literally."""
    return func.lower(expression).like(f"%{escape_like(term.lower())}%", escape="\\")


def is_managed(name: str | None, type_: str) -> bool:
    """Whether a database object is the search index, which the migrations create outside
    the models (Alembic's ``include_name`` leaves it out of the comparison)."""
    if not name:
        return False
    if type_ == "table":
        return name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_")
    return type_ == "index" and name in TRIGRAM_INDEXES


def search_term(term: str) -> str:
    return term.strip()[:MAX_TERM]


def indexed(term: str) -> bool:
    """Whether the index can look ``term`` up (a term of at least three characters)."""
    return len(search_term(term)) >= TRIGRAM


def matching_dossiers(term: str, dialect: str,
                      columns: tuple[str, ...] = NAME_COLUMNS) -> Select:
    """The ids of the dossiers one of whose ``columns`` (by default the number and the
    complainant's name) contains ``term``, through the index (for an :func:`indexed` term)."""
    term = search_term(term)
    if dialect == "sqlite":
        # One FTS5 phrase of the term's trigrams, in the columns asked: a substring of one.
        phrase = '"' + term.replace('"', '""') + '"'
        if columns != ALL_COLUMNS:
            phrase = "{" + " ".join(columns) + "} : " + phrase
        return select(_index.c.rowid).where(_index.c[SEARCH_TABLE].op("MATCH")(phrase))
    # PostgreSQL: the trigram indexes serve these LIKEs.
    return select(Dossier.id).where(dossier_contains(term, columns))


def dossier_contains(term: str, columns: tuple[str, ...] = NAME_COLUMNS) -> ColumnElement[bool]:
    """One of the dossier's ``columns`` contains ``term`` (a LIKE on the row)."""
    term = search_term(term)
    return or_(*(contains(getattr(Dossier, name), term) for name in columns))


class unindexed(ColumnElement[Any]):
    """A column that SQLite must not look up by an index (its unary ``+``): where the search
    index gives a few dossiers, their tasks come by dossier id, not by walking a whole lane."""

    inherit_cache = True
    _traverse_internals: list[tuple[str, InternalTraversal]] = [  # noqa: RUF012 - as in SQLAlchemy
        ("wrapped", InternalTraversal.dp_clauseelement)]

    def __init__(self, wrapped: ColumnElement[Any] | QueryableAttribute[Any]):
        self.wrapped = (wrapped.expression if isinstance(wrapped, QueryableAttribute)
                        else wrapped)
        self.type = wrapped.type


@compiles(unindexed)
def _plain(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.wrapped, **kw)


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.wrapped, **kw)


def purge_deleted(session: Session) -> None:
    """Merge the SQLite search index's segments, so that deleted names are gone from it
    (after an erasure; PostgreSQL's index needs nothing beyond its usual vacuum)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('optimize')"))
