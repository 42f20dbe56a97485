"""Scale (issue 6, item 6): 10, 100 and 1,000 concurrent streams in one
process (`scale`, the host's invocation API), one process per level and
repetition so each peak (VmHWM) is clean, against the local Bedrock as a
separate process. Each stream is padded to the same number of chunks by the
emulator. Also run `--through sdk` (no plugin, no sandbox) at each level, to
separate what the sandboxes cost from what the SDK and sockets cost.

Memory is checked for linear growth: a least-squares line of peak memory
against concurrency, its slope (KiB per stream) and R².
Writes target/bench-results/scale.json.
"""

import argparse
import json
import subprocess

import benchlib as b

LEVELS = [10, 100, 1000]


def run_level(bedrock, concurrency, through):
    command = [
        str(b.SCALE), "--endpoint", bedrock.endpoint, "--plugins-dir", str(b.PLUGINS),
        "--cache-dir", str(b.RESULTS / "compile-cache"), "--model", b.MODEL,
        "--concurrency", str(concurrency), "--through", through,
        "--max-tokens", str(b.MAX_TOKENS),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"scale {concurrency} {through} failed: {result.stdout}{result.stderr}")
    return json.loads(result.stdout)


def linear_fit(xs, ys):
    """(intercept, slope, r²) of the least-squares line through (xs, ys)."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
    return intercept, slope, 1 - ss_res / ss_tot if ss_tot else 1.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=LEVELS)
    parser.add_argument("--runs", type=int, default=3, help="processes per level and mode")
    parser.add_argument("--chunks", type=int, default=200, help="chunks per stream")
    args = parser.parse_args()

    results = {"machine": b.machine(), "model": b.MODEL, "chunks_per_stream": args.chunks,
               "levels": {}}
    with b.LocalBedrock() as bedrock:
        bedrock.set_behaviour({"long_stream": {"chunks": args.chunks}})
        run_level(bedrock, 1, "plugin")  # warm-up: fills the compile cache
        for concurrency in args.levels:
            level = {}
            for through in ("plugin", "sdk"):
                reports = [run_level(bedrock, concurrency, through) for _ in range(args.runs)]
                level[through] = {
                    "chunks_per_second": b.summary([r["chunks_per_second"] for r in reports]),
                    "ttft_p50_ms": b.summary([r["ttft_ms"]["p50"] for r in reports]),
                    "ttft_p99_ms": b.summary([r["ttft_ms"]["p99"] for r in reports]),
                    "peak_mib": b.summary([r["peak_hwm_kib"] / 1024 for r in reports]),
                    "baseline_mib": b.summary([r["baseline_rss_kib"] / 1024 for r in reports]),
                    "most_open_at_once": min(r["most_open_at_once"] for r in reports),
                    "reports": reports,
                }
                print(
                    f"{concurrency:>5} {through:6} "
                    f"{level[through]['chunks_per_second']['median']:>10.0f} chunks/s  "
                    f"TTFT p50 {b.fmt(level[through]['ttft_p50_ms'])}  "
                    f"p99 {b.fmt(level[through]['ttft_p99_ms'])}  "
                    f"peak {b.fmt(level[through]['peak_mib'], 'MiB')}  "
                    f"open at once >= {level[through]['most_open_at_once']}"
                )
            results["levels"][str(concurrency)] = level
        bedrock.set_behaviour({})
    for through in ("plugin", "sdk"):
        xs = [int(c) for c in results["levels"]]
        ys = [results["levels"][c][through]["peak_mib"]["median"] for c in results["levels"]]
        intercept, slope, r2 = linear_fit(xs, ys)
        results[f"memory_fit_{through}"] = {
            "intercept_mib": intercept, "kib_per_stream": slope * 1024, "r2": r2,
        }
        print(f"{through}: peak ≈ {intercept:.1f} MiB + {slope * 1024:.1f} KiB × streams (R² {r2:.4f})")
    b.write_json("scale.json", results)


if __name__ == "__main__":
    main()
