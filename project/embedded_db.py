"""An embedded PostgreSQL server for machines where DATABASE_URL is not set."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or reuse) the embedded server in ``data_dir`` and return Django DATABASES['default']."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None keeps the server running between commands, so `make run` and
        # `make test` reuse it instead of paying for a start each time.
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    return {
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(server.pgdata),
        "PORT": "",
    }
