"""Alembic environment: runs on the connection emr.db hands over (SQLCipher key already set)."""

from alembic import context

from emr.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through emr.db.upgrade_to_head, which opens the database.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
