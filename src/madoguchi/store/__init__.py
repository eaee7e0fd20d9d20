"""Persistence: SQLAlchemy 2 tables, repositories returning domain objects, unit of work,
Alembic migrations. SQLite by default, PostgreSQL for production."""
