"""Two `migrate` runs at once (two deploys, a Job retried next to the old one) must not both
apply the same migration: each takes this PostgreSQL advisory lock first, so one waits for the
other and then finds nothing left to do.
"""

from sqlalchemy import Connection, text

# Any constant works, as long as every migrate run of this service uses the same one and nothing
# else on the database does. A transaction-level lock: the commit of the migrations releases it.
MIGRATION_LOCK_KEY = 7_301_845_912


def wait_for_migration_lock(connection: Connection) -> None:
    """Block until this transaction holds the migration lock."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
