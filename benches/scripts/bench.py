"""Runs the whole-process and scale benchmarks and draws the plots; the
entry point `cargo xtask bench` calls after building (run it alone with
`python3 benches/scripts/bench.py [startup|streaming|scale|plots ...]`).

Started with any Python 3.9+, it first makes target/bench-venv and installs
requirements.txt there from PyPI (the AWS CLI, boto3, matplotlib), then
re-runs itself inside it. Expects target/release/bedrock-host,
target/release/scale and target/plugins/*.wasm (`cargo xtask bench` builds
them). Raw results go to target/bench-results/, plots to docs/benchmarks/.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE.parents[1] / "target" / "bench-venv"
STEPS = ["startup", "streaming", "scale", "plots"]


def ensure_venv():
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    wanted = (HERE / "requirements.txt").read_text()
    if not python.exists():
        print(f"bench: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not stamp.exists() or stamp.read_text() != wanted:
        print("bench: installing the AWS CLI, boto3 and matplotlib from PyPI", file=sys.stderr)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(HERE / "requirements.txt")],
            check=True,
        )
        stamp.write_text(wanted)
    return python


def main():
    steps = sys.argv[1:] or STEPS
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        sys.exit(f"bench: unknown step(s) {unknown}; choose from {STEPS}")
    if Path(sys.prefix).resolve() != VENV.resolve():
        python = ensure_venv()
        os.execv(str(python), [str(python), __file__, *steps])
    for step in steps:
        print(f"bench: {step}", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / f"{step}.py")], check=True)


if __name__ == "__main__":
    main()
