"""The lesson tests again, with OpenBLAS's kernels for other processors: what a student's laptop computes.

OpenBLAS picks its matrix kernels by CPU when it loads (``OPENBLAS_CORETYPE`` overrides the choice), and a
chaotic lesson run lands somewhere else with each. The perturbed copies of ``tests/perturbed.py`` sample
the runs near this machine's; these subprocesses train from other kernels' arithmetic altogether (Sandy
Bridge's has no fused multiply-add), which is how a range that held here was found too narrow once. The
engine-level lesson tests check every claim of every lesson text; the page-level ones
(``test_lesson_screens.py``) run under ``make test-kernels``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LESSON_TESTS = [
    "tests/test_lessons.py",
    "tests/test_deep_lessons.py",
    "tests/test_overfitting_lessons.py",
    "tests/test_lesson_stability.py",
]
# Kernels any x86-64 processor with AVX2 runs: Haswell (AVX2 and FMA, as most laptops since 2013) and Sandy
# Bridge (AVX without FMA, as laptops of 2011-2012). The AVX-512 ones would not load on an AVX2 machine.
KERNELS = ("Haswell", "Sandybridge")
LOADED_KERNELS = (
    "import numpy, threadpoolctl\n"
    "print(*{info['architecture'] for info in threadpoolctl.threadpool_info() if info['internal_api'] == 'openblas'})"
)


def has_avx2() -> bool:
    try:
        return " avx2 " in f" {Path('/proc/cpuinfo').read_text()} ".replace("\n", " ")
    except OSError:
        return False


@pytest.mark.skipif(platform.machine() != "x86_64" or not has_avx2(), reason="OpenBLAS's x86 kernels need AVX2")
@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.timeout(600)  # a minute each here; more beside the browser tests
def test_every_lesson_claim_holds_with_another_processors_kernels(kernels):
    environment = {**os.environ, "OPENBLAS_CORETYPE": kernels}
    # OpenBLAS falls back to this machine's kernels on a name it does not know: check it loaded these.
    loaded = subprocess.run([sys.executable, "-c", LOADED_KERNELS], env=environment, capture_output=True, text=True)
    assert loaded.stdout.split() == [kernels], loaded.stdout + loaded.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *LESSON_TESTS],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, f"with OPENBLAS_CORETYPE={kernels}:\n{output}"
    assert " passed" in result.stdout and " failed" not in result.stdout
