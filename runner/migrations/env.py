"""Alembic environment of the klachten schema.

There is no ``alembic.ini``: :mod:`runner.migrations` builds the configuration in code and
usually hands over an open connection in ``config.attributes["connection"]``, so that the
whole upgrade runs in the caller's transaction. Without one, an engine is made from the
``sqlalchemy.url`` option with :func:`runner.bpmn.store.make_engine` (the same SQLite settings as
the application). Offline mode (``--sql``) renders the SQL for the ``sqlalchemy.url`` dialect.
"""

from __future__ import annotations

from alembic import context
from alembic.environment import NameFilterParentNames, NameFilterType
from sqlalchemy.engine import Connection

from runner.bpmn.store import Base, make_engine
from runner.search import is_managed

config = context.config
target_metadata = Base.metadata


def include_name(name: str | None, type_: NameFilterType,
                 _parent_names: NameFilterParentNames) -> bool:
    """Autogenerate compares the models' objects, not the search index that the
    migrations create beside them (:mod:`runner.search`)."""
    return not is_managed(name, type_)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or attributes['connection']")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
