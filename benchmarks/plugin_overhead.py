"""What the installed iris-conformance plugin costs a pytest run that is not a run of the suite: the
start-up of an unrelated one-test run with the plugin and with ``-p no:iris_conformance``, interleaved,
and the difference of the medians, in wall time and in CPU time (user + system; less disturbed than
the wall time by whatever else the machine runs). Prints figures, asserts nothing (target: <= 50 ms).

    python benchmarks/plugin_overhead.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WITHOUT = ("-p", "no:iris_conformance")


def one_run(workdir: Path, env: dict[str, str], extra: tuple[str, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "test_one.py"],
                   cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each, interleaved (default 10)")
    args = parser.parse_args()
    # the suite's own settings would not be in an unrelated project's shell; and as in a user's
    # environment, modules are compiled once (else every run would compile whatever the plugin imports)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IRIS_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="iris-overhead-") as tmp:
        workdir = Path(tmp)
        (workdir / "test_one.py").write_text("def test_one():\n    assert True\n", encoding="utf-8")
        one_run(workdir, env, ())  # warm the bytecode caches of both configurations
        one_run(workdir, env, WITHOUT)
        with_plugin, without_plugin = [], []
        for _ in range(args.runs):
            with_plugin.append(one_run(workdir, env, ()))
            without_plugin.append(one_run(workdir, env, WITHOUT))
    print(f"unrelated one-test run, median of {args.runs} (interleaved), wall / CPU:")
    a = [statistics.median(t[i] for t in with_plugin) for i in (0, 1)]
    b = [statistics.median(t[i] for t in without_plugin) for i in (0, 1)]
    print(f"  with the plugin:          {a[0] * 1000:7.1f} ms / {a[1] * 1000:7.1f} ms")
    print(f"  -p no:iris_conformance:   {b[0] * 1000:7.1f} ms / {b[1] * 1000:7.1f} ms")
    print(f"  the plugin costs:         {(a[0] - b[0]) * 1000:7.1f} ms / {(a[1] - b[1]) * 1000:7.1f} ms "
          "(target <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
