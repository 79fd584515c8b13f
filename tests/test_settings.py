from __future__ import annotations

from pathlib import Path

from tests.support.processes import manage, service_env

ROOT = Path(__file__).resolve().parents[1]


# That every setting config/settings.py reads is documented, in docs/configuration.md and
# .env.example, is checked in tests/test_docs.py with the rest of the documentation.


def test_a_copy_of_env_example_starts_as_the_defaults_do():
    result = manage(
        "check", env=service_env(ENV_FILE=str(ROOT / ".env.example"), DEBUG="on", SECRET_KEY="")
    )
    assert result.returncode == 0, result.stderr


def test_an_empty_database_url_means_the_default():
    result = manage("check", "--database", "default", env=service_env(DATABASE_URL=""))
    assert result.returncode == 0, result.stderr
