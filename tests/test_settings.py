from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.processes import manage, service_env

ROOT = Path(__file__).resolve().parents[1]


def _settings_read() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text() + (
        ROOT / "config" / "gunicorn.py"
    ).read_text()
    return set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", source)) | set(
        re.findall(r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", source)
    )


@pytest.mark.parametrize("where", ["docs/configuration.md", ".env.example"])
def test_every_setting_read_is_documented(where):
    settings = _settings_read()
    assert len(settings) > 60  # the patterns still find them
    text = (ROOT / where).read_text()
    if where.endswith(".md"):
        documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", text))
    else:
        documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))
    assert settings - documented == set()


def test_a_copy_of_env_example_starts_as_the_defaults_do():
    result = manage(
        "check", env=service_env(ENV_FILE=str(ROOT / ".env.example"), DEBUG="on", SECRET_KEY="")
    )
    assert result.returncode == 0, result.stderr


def test_an_empty_database_url_means_the_default():
    result = manage("check", "--database", "default", env=service_env(DATABASE_URL=""))
    assert result.returncode == 0, result.stderr
