"""What every benchmark script shares: the repository's paths, the local
Bedrock as a separate server process, the client environment that points the
AWS CLI, boto3 and bedrock-host at it with the emulator's documented test
keys, and the statistics the results are reported with.

Invariant: every client runs with an environment built here from scratch
(no profile files, no instance metadata, no real credentials), so each tool
makes the same signed call to the same server and nothing else.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "target"
RESULTS = TARGET / "bench-results"
PLOTS = ROOT / "docs" / "benchmarks"
VENV = TARGET / "bench-venv"
HOST = TARGET / "release" / "bedrock-host"
SCALE = TARGET / "release" / "scale"
PLUGINS = TARGET / "plugins"
SCRIPTS = Path(__file__).resolve().parent

# The emulator's documented test pair (emulator/src/config.rs), and its region.
TEST_KEYS = {
    "AWS_ACCESS_KEY_ID": "AKIDLOCALBEDROCK",
    "AWS_SECRET_ACCESS_KEY": "local-bedrock-secret-key",
}
REGION = "us-east-1"
# The model every benchmark calls, and the request body the anthropic plugin
# builds for `invoke --max-tokens 200 PROMPT` (the AWS CLI and boto3 send it as is).
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "Write a haiku about rivers"
MAX_TOKENS = 200
BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": MAX_TOKENS,
    "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}],
}


def venv_python():
    return VENV / "bin" / "python"


def base_environment():
    """PATH, HOME and locale only: no AWS settings from the caller."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


class LocalBedrock:
    """`bedrock-host serve-local` in its own process, for the length of a `with`."""

    def __enter__(self):
        env = base_environment()
        self.process = subprocess.Popen(
            [str(HOST), "serve-local", "--port", "0", "--test-controls"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        for line in self.process.stdout:
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.endpoint = found.group(1)
                break
        else:
            raise RuntimeError("the local Bedrock did not start")
        return self

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=10)

    def client_environment(self):
        env = base_environment()
        env.update(TEST_KEYS)
        env.update(
            {
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.endpoint,
                "AWS_ENDPOINT_URL": self.endpoint,
            }
        )
        return env

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.endpoint + path, data=data, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def set_behaviour(self, behaviour):
        """POST /_emulator/behaviour (see emulator/src/control.rs)."""
        return self._request("POST", "/_emulator/behaviour", behaviour)

    def clear_arrivals(self):
        self._request("DELETE", "/_emulator/arrivals")

    def model_arrivals(self):
        """Wall-clock nanoseconds at which each model invocation arrived."""
        log = self._request("GET", "/_emulator/arrivals")
        return [a["unix_nanos"] for a in log["arrivals"] if a["path"].startswith("/model/")]


def summary(values):
    """Median with spread: quartiles, extremes and the number of runs."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
        p25, p75 = quartiles[0], quartiles[2]
    else:
        p25 = p75 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "p25": p25,
        "p75": p75,
        "min": ordered[0],
        "max": ordered[-1],
        "runs": len(ordered),
    }


def fmt(stats, unit="ms", digits=1):
    """`median (p25–p75)` for a table."""
    return (
        f"{stats['median']:.{digits}f} {unit} "
        f"({stats['p25']:.{digits}f}–{stats['p75']:.{digits}f})"
    )


def write_json(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return path


def read_json(name):
    return json.loads((RESULTS / name).read_text())


def run_measured(command, env):
    """Runs `command` to its end and returns its stdout, its wall time and its
    whole-process CPU time (user + system, all its threads, from the kernel's
    rusage of the child), both in seconds. A failed run raises."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command, out)
    return out, wall, usage.ru_utime + usage.ru_stime


def now_ns():
    return time.time_ns()


def machine():
    """nproc, CPU model and memory, for the record."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
    }
