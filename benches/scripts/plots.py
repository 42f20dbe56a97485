"""The benchmark plots, from target/bench-results/*.json into docs/benchmarks/:

- stream-per-chunk.png: time per chunk against stream length, per reader;
- scale-memory.png: peak memory against concurrent streams, with and without plugins;
- scale-ttft.png: p50 and p99 time to first token against concurrent streams.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import benchlib as b  # noqa: E402


def save(figure, name):
    b.PLOTS.mkdir(parents=True, exist_ok=True)
    path = b.PLOTS / name
    figure.tight_layout()
    # No timestamp in the PNG metadata, so an unchanged figure is an unchanged file.
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
    print(f"wrote {path.relative_to(b.ROOT)}")


def stream_plot(streaming):
    lengths = sorted(int(n) for n in streaming["lengths"])
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for reader in ("sdk", "plugin", "bedrock-host", "boto3"):
        medians = [streaming["lengths"][str(n)][reader]["us_per_chunk"]["median"] for n in lengths]
        lows = [streaming["lengths"][str(n)][reader]["us_per_chunk"]["p25"] for n in lengths]
        highs = [streaming["lengths"][str(n)][reader]["us_per_chunk"]["p75"] for n in lengths]
        errors = [[m - lo for m, lo in zip(medians, lows)], [hi - m for m, hi in zip(medians, highs)]]
        axes.errorbar(lengths, medians, yerr=errors, marker="o", capsize=3, label=reader)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("chunks in the stream")
    axes.set_ylabel("µs per chunk (median, IQR bars)")
    axes.set_title("Time per streamed chunk against stream length")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    save(figure, "stream-per-chunk.png")


def scale_plots(scale):
    levels = sorted(int(n) for n in scale["levels"])
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for through, label in (("plugin", "host + plugin (sandbox per stream)"), ("sdk", "SDK only")):
        peaks = [scale["levels"][str(n)][through]["peak_mib"]["median"] for n in levels]
        axes.plot(levels, peaks, marker="o", label=label)
        fit = scale[f"memory_fit_{through}"]
        axes.plot(levels, [fit["intercept_mib"] + fit["kib_per_stream"] / 1024 * n for n in levels],
                  linestyle=":", color=axes.lines[-1].get_color(),
                  label=f"fit: {fit['intercept_mib']:.0f} MiB + {fit['kib_per_stream']:.0f} KiB/stream")
    axes.set_xlabel("concurrent streams in one process")
    axes.set_ylabel("peak resident memory, VmHWM (MiB)")
    axes.set_title("Peak memory against concurrency")
    axes.grid(True, alpha=0.3)
    axes.legend()
    save(figure, "scale-memory.png")

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for through, label in (("plugin", "host + plugin"), ("sdk", "SDK only")):
        for quantile, style in (("p50", "--"), ("p99", "-")):
            values = [scale["levels"][str(n)][through][f"ttft_{quantile}_ms"]["median"] for n in levels]
            axes.plot(levels, values, marker="o", linestyle=style, label=f"{label}, {quantile}")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("concurrent streams in one process")
    axes.set_ylabel("time to first token from launch (ms)")
    axes.set_title("Time to first token against concurrency")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    save(figure, "scale-ttft.png")


def main():
    stream_plot(b.read_json("streaming.json"))
    scale_plots(b.read_json("scale.json"))


if __name__ == "__main__":
    main()
