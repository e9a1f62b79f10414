"""The README's scripting example runs as written (documentation that cannot silently go stale)."""

from __future__ import annotations

import re
from pathlib import Path


def test_readme_scripting_example_runs(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"## Scripting API.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    trainer = namespace["trainer"]
    assert trainer.epoch == 0  # the example ends with reset()
    assert len(namespace["history"]) == 201 and namespace["history"]["test_accuracy"].iloc[-1] >= 0.95
    assert [W.shape for W, _ in namespace["grads"]] == [(2, 8), (8, 8), (8, 1)]
