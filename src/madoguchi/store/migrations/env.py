"""Alembic environment: the URL comes from the Config built by madoguchi.store.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from madoguchi.store import (  # noqa: F401 - registers the tables
    checkpoint_repository,
    counter_models,
    notice_models,
    staff_models,
)
from madoguchi.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
