"""Make an existing user an admin: `make promote-admin EMAIL=you@example.com`.

The first admin signs up through the API like anyone else, then runs this once.
"""

import asyncio
import sys

from ..config import Settings, settings_or_exit
from ..db import database_lifespan
from ..users.service import promote_to_admin

UNREACHABLE = "Cannot reach the database at DATABASE_URL: is it running, and is the URL right?"
NO_DATABASE_URL = "DATABASE_URL is not set: point it at the service's PostgreSQL database."


async def promote(email: str, settings: Settings) -> int:
    """Promote `email` and say what happened; exit status 1 when there is no such user or database."""
    async with database_lifespan(settings) as database:
        if not await database.is_ready(within_seconds=settings.db_ready_timeout_seconds):
            print(UNREACHABLE, file=sys.stderr)
            return 1
        async with database.open_session() as session:
            user = await promote_to_admin(session=session, email=email)
    if user is None:
        print(f"No user with email {email!r}: sign up first.", file=sys.stderr)
        return 1
    print(f"{user.email} is now an admin.")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1]:
        sys.exit("usage: python -m <package>.auth.promote EMAIL")
    settings = settings_or_exit()
    if settings.database_url is None:
        sys.exit(NO_DATABASE_URL)
    sys.exit(asyncio.run(promote(sys.argv[1], settings)))
