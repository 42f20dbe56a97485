"""Streaming throughput (issue 6, item 5): one stream of N chunks (200 to
100,000; a natural reply has up to ~130), padded by the emulator's
`long_stream` behaviour, from the local Bedrock, read four ways in one run,
interleaved:

- `sdk`: the host's SDK stream reader alone (`scale --through sdk`), the floor;
- `plugin`: the host's invocation loop, every chunk through the plugin's
  stream decoder in a fresh sandbox (`scale --through plugin`);
- `bedrock-host`: the whole CLI process, `invoke --output json`, timed by its
  own `latency_ms` (request sent to stream end);
- `boto3`: a boto3 loop decoding each chunk's JSON (boto3_stream.py).

Time per chunk is a stream's duration over its chunks; the plugin's added
latency per chunk is `plugin - sdk` at the longest stream. For the two whole
processes (`bedrock-host`, `boto3`) the run also records the process's wall
time from start to exit and its CPU time (user + system, every thread, from
the kernel's rusage): the host's CPU over boto3's is issue 16's first goal.
Writes target/bench-results/streaming.json.
"""

import argparse
import json
import subprocess

import benchlib as b

LENGTHS = [200, 1_000, 10_000, 50_000, 100_000]


def scale_run(bedrock, through):
    command = [
        str(b.SCALE), "--endpoint", bedrock.endpoint, "--plugins-dir", str(b.PLUGINS),
        "--cache-dir", str(b.RESULTS / "compile-cache"), "--model", b.MODEL,
        "--concurrency", "1", "--through", through, "--max-tokens", str(b.MAX_TOKENS),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    return report["chunks_total"], report["wall_seconds"], None


def host_run(bedrock):
    command = [
        str(b.HOST), "--endpoint-url", bedrock.endpoint, "--region", b.REGION,
        "--plugins-dir", str(b.PLUGINS), "invoke", "-m", b.MODEL,
        "--max-tokens", str(b.MAX_TOKENS), "--output", "json", b.PROMPT,
    ]
    env = dict(
        bedrock.client_environment(),
        BEDROCK_HOST_CACHE_DIR=str(b.RESULTS / "compile-cache"),
        BEDROCK_HOST_HISTORY=str(b.RESULTS / "history.db"),
    )
    out, wall, cpu = b.run_measured(command, env)
    report = json.loads(out)
    return report["chunks"], report["latency_ms"] / 1e3, (wall, cpu)


def boto3_run(bedrock):
    command = [str(b.venv_python()), str(b.SCRIPTS / "boto3_stream.py"), b.MODEL, json.dumps(b.BODY)]
    out, wall, cpu = b.run_measured(command, bedrock.client_environment())
    report = json.loads(out)
    return report["chunks"], report["seconds"], (wall, cpu)


READERS = {"sdk": lambda e: scale_run(e, "sdk"), "plugin": lambda e: scale_run(e, "plugin"),
           "bedrock-host": host_run, "boto3": boto3_run}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=LENGTHS)
    parser.add_argument("--runs", type=int, default=5, help="runs per reader and length")
    args = parser.parse_args()

    results = {"machine": b.machine(), "model": b.MODEL, "lengths": {}}
    with b.LocalBedrock() as bedrock:
        for length in args.lengths:
            bedrock.set_behaviour({"long_stream": {"chunks": length}})
            runs = args.runs if length < 100_000 else max(3, args.runs // 2)
            per_chunk = {name: [] for name in READERS}
            seconds = {name: [] for name in READERS}
            process = {name: {"wall": [], "cpu": []} for name in READERS}
            for name, read in READERS.items():
                read(bedrock)  # unrecorded warm-up
            for _ in range(runs):
                for name, read in READERS.items():
                    chunks, took, measured = read(bedrock)
                    if chunks != length:
                        raise RuntimeError(f"{name} read {chunks} chunks of {length}")
                    per_chunk[name].append(took / chunks * 1e6)
                    seconds[name].append(took)
                    if measured is not None:
                        process[name]["wall"].append(measured[0])
                        process[name]["cpu"].append(measured[1])
            entry = {
                name: {"us_per_chunk": b.summary(per_chunk[name]),
                       "seconds": b.summary(seconds[name]),
                       "chunks_per_second": length / b.summary(seconds[name])["median"]}
                for name in READERS
            }
            for name in ("bedrock-host", "boto3"):
                entry[name]["process_wall_seconds"] = b.summary(process[name]["wall"])
                entry[name]["process_cpu_seconds"] = b.summary(process[name]["cpu"])
            entry["cpu_host_over_boto3"] = (
                entry["bedrock-host"]["process_cpu_seconds"]["median"]
                / entry["boto3"]["process_cpu_seconds"]["median"]
            )
            entry["wall_host_over_boto3"] = (
                entry["bedrock-host"]["process_wall_seconds"]["median"]
                / entry["boto3"]["process_wall_seconds"]["median"]
            )
            entry["plugin_added_us_per_chunk"] = (
                entry["plugin"]["us_per_chunk"]["median"] - entry["sdk"]["us_per_chunk"]["median"]
            )
            results["lengths"][str(length)] = entry
            print(f"{length:>7} chunks: " + "  ".join(
                f"{name} {b.fmt(entry[name]['us_per_chunk'], 'µs', 2)}" for name in READERS
            ) + f"  process CPU host/boto3 {entry['cpu_host_over_boto3']:.2f}"
              + f", wall {entry['wall_host_over_boto3']:.2f}")
        bedrock.set_behaviour({})
    b.write_json("streaming.json", results)


if __name__ == "__main__":
    main()
