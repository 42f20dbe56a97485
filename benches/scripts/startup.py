"""Start-up (issue 6, item 4): one InvokeModel as a whole process against
the local Bedrock, run as a separate server, timed from process start to the
request's arrival at the server (time to the first byte sent, read from
`GET /_emulator/arrivals`) and to the process's exit (time to the answer).

In one run, round-robin so drift hits every tool alike:
- `bedrock-host invoke --no-stream` with the compile cache warm (all plugins
  compiled by an earlier run), and streaming (the CLI's default), and
  `--no-stream` with only the routed plugin installed (what loading and
  describing every installed plugin costs);
- the AWS CLI, `aws bedrock-runtime invoke-model` (PyPI awscli);
- a boto3 script making the same call;
- `/bin/true`, the cost of starting a process from this harness.
Then `bedrock-host invoke --no-stream` with a cold cache (a fresh, empty
cache folder per run: every plugin is compiled).

Writes target/bench-results/startup.json.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import benchlib as b


def host_command(endpoint, *extra, plugins=b.PLUGINS):
    return [
        str(b.HOST),
        "--endpoint-url", endpoint,
        "--region", b.REGION,
        "--plugins-dir", str(plugins),
        "invoke", "-m", b.MODEL, "--max-tokens", str(b.MAX_TOKENS),
        *extra,
        b.PROMPT,
    ]


def tools(bedrock, warm_cache, out_file, routed_only):
    body = json.dumps(b.BODY)
    env = bedrock.client_environment()
    host_env = dict(env, BEDROCK_HOST_CACHE_DIR=str(warm_cache))
    return {
        "bedrock-host --no-stream (warm)": (host_command(bedrock.endpoint, "--no-stream"), host_env),
        "bedrock-host streaming (warm)": (host_command(bedrock.endpoint), host_env),
        "bedrock-host --no-stream (warm, routed plugin only)": (
            host_command(bedrock.endpoint, "--no-stream", plugins=routed_only), host_env,
        ),
        "aws bedrock-runtime invoke-model": (
            [
                str(b.VENV / "bin" / "aws"), "bedrock-runtime", "invoke-model",
                "--model-id", b.MODEL, "--body", body,
                "--content-type", "application/json", "--accept", "application/json",
                "--endpoint-url", bedrock.endpoint, str(out_file),
            ],
            env,
        ),
        "boto3 script": (
            [str(b.venv_python()), str(b.SCRIPTS / "boto3_invoke.py"), b.MODEL, body],
            env,
        ),
        "/bin/true (process spawn)": (["/bin/true"], env),
    }


def timed_run(bedrock, command, env, expects_request=True):
    """(ms to the request's arrival or None, ms to exit)."""
    bedrock.clear_arrivals()
    started = b.now_ns()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ended = b.now_ns()
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()}")
    arrivals = bedrock.model_arrivals()
    if expects_request and len(arrivals) != 1:
        raise RuntimeError(f"{command[0]}: expected one model request, saw {len(arrivals)}")
    first_byte = (arrivals[0] - started) / 1e6 if arrivals else None
    return first_byte, (ended - started) / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="warm runs per tool")
    parser.add_argument("--cold-runs", type=int, default=8, help="cold-cache runs")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    warm_cache = scratch / "warm-cache"
    routed_only = scratch / "routed-plugin-only"
    routed_only.mkdir()
    shutil.copy(b.PLUGINS / "anthropic.wasm", routed_only)
    samples = {}
    try:
        with b.LocalBedrock() as bedrock:
            bedrock.set_behaviour({})
            runs = tools(bedrock, warm_cache, scratch / "answer.json", routed_only)
            # One unrecorded run each: fills the compile cache and the OS page cache.
            for name, (command, env) in runs.items():
                timed_run(bedrock, command, env, expects_request=not name.startswith("/bin/true"))
            for _ in range(args.runs):
                for name, (command, env) in runs.items():
                    first_byte, answer = timed_run(
                        bedrock, command, env, expects_request=not name.startswith("/bin/true")
                    )
                    entry = samples.setdefault(name, {"first_byte_ms": [], "answer_ms": []})
                    if first_byte is not None:
                        entry["first_byte_ms"].append(first_byte)
                    entry["answer_ms"].append(answer)
            cold = samples.setdefault(
                "bedrock-host --no-stream (cold cache)", {"first_byte_ms": [], "answer_ms": []}
            )
            for run in range(args.cold_runs):
                cache = scratch / f"cold-cache-{run}"
                command = host_command(bedrock.endpoint, "--no-stream")
                env = dict(bedrock.client_environment(), BEDROCK_HOST_CACHE_DIR=str(cache))
                first_byte, answer = timed_run(bedrock, command, env)
                cold["first_byte_ms"].append(first_byte)
                cold["answer_ms"].append(answer)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    results = {
        "machine": b.machine(),
        "model": b.MODEL,
        "runs": args.runs,
        "cold_runs": args.cold_runs,
        "tools": {
            name: {
                "first_byte_ms": b.summary(entry["first_byte_ms"]) if entry["first_byte_ms"] else None,
                "answer_ms": b.summary(entry["answer_ms"]),
                "samples": entry,
            }
            for name, entry in samples.items()
        },
    }
    b.write_json("startup.json", results)
    for name, entry in results["tools"].items():
        first = b.fmt(entry["first_byte_ms"]) if entry["first_byte_ms"] else "-"
        print(f"{name:40} first byte {first:28} answer {b.fmt(entry['answer_ms'])}")


if __name__ == "__main__":
    main()
