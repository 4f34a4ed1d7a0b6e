"""Helpers for tests that start the project in a separate process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Never contacted: the processes under test stop (or finish) before opening a connection.
UNREACHABLE_DATABASE = "postgres://nobody@127.0.0.1:9/nowhere"
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


def secure_production_env() -> dict[str, str]:
    """Environment of a production deployment that should be allowed to start."""
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(45),  # 60 characters
        "BASE_DOMAIN": "complaints.example.com",
        "ALLOWED_HOSTS": ".complaints.example.com",
        "DATABASE_URL": UNREACHABLE_DATABASE,
        "REDIS_URL": UNREACHABLE_REDIS,
    }


def run_project(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the project's Python with only ``env`` (plus PATH and HOME) in its environment."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    clean["DJANGO_SETTINGS_MODULE"] = "project.settings"
    # Should a refusal regress into falling back on the embedded PostgreSQL, it fails here
    # instead of starting a server.
    clean["DATA_DIR"] = "/proc/no-data-dir-for-tests"
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
