"""`make lint-deploy`: the PrometheusRule's alerts checked offline with promtool (Debian's
`prometheus` package): its syntax (`promtool check rules`) and its behaviour on made-up series
(`promtool test rules` with alerts-test.yaml beside it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

FOLDER = Path(__file__).resolve().parent / "kubernetes" / "components" / "monitoring"


def main() -> int:
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool not found: apt-get install prometheus", file=sys.stderr)
        return 1
    rule = yaml.safe_load((FOLDER / "prometheusrule.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        # promtool reads plain rule files: the PrometheusRule's spec is one.
        rules = Path(tmp) / "rules.yaml"
        rules.write_text(yaml.safe_dump(rule["spec"], sort_keys=False))
        shutil.copy(FOLDER / "alerts-test.yaml", tmp)
        for command in (["check", "rules", "rules.yaml"], ["test", "rules", "alerts-test.yaml"]):
            result = subprocess.run([promtool, *command], cwd=tmp, check=False)  # noqa: S603
            if result.returncode:
                return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
