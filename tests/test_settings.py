from __future__ import annotations

import re
from pathlib import Path

from tests.support.processes import manage, service_env

ROOT = Path(__file__).resolve().parents[1]


def _read_variables() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text() + (
        ROOT / "config" / "gunicorn.py"
    ).read_text()
    return set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", source)) | set(
        re.findall(r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", source)
    )


def test_every_setting_read_from_the_environment_is_documented():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.M))
    # The README, or a page of docs/ (docs/performance.md names the performance knobs).
    readme = "\n".join(
        page.read_text() for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    )
    variables = _read_variables()
    assert len(variables) > 20  # the pattern still finds them
    assert variables - documented == set()
    assert {v for v in variables if f"`{v}`" not in readme} == set()


def test_a_copy_of_env_example_starts_as_the_defaults_do():
    result = manage(
        "check", env=service_env(ENV_FILE=str(ROOT / ".env.example"), DEBUG="on", SECRET_KEY="")
    )
    assert result.returncode == 0, result.stderr


def test_an_empty_database_url_means_the_default():
    result = manage("check", "--database", "default", env=service_env(DATABASE_URL=""))
    assert result.returncode == 0, result.stderr
