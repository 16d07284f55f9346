"""The benchmarks of issues 6 and 22: ``./run bench`` (full report, about 35 minutes) or ``--quick``.

Writes ``bench/results/REPORT.md``, one PNG per benchmark and ``raw.json`` (every measurement) to ``--out``.
``--quick`` is a smoke run (small counts, few short runs): it exercises every benchmark, its figures are not
worth quoting. ``--only client,coldstart,engine,capacity,parallel`` (the default) runs a subset.

``--only sweep`` is issue 34's kill sweep (``bench/sweep.py``; 100 killed runs per front door, about
25 minutes on 2 cores): resumable (a second run with the same ``--sweep-seed`` goes on where the first
stopped), bounded by ``--sweep-minutes``; ``--sweep-replay kind:seed`` runs one failed point again.
"""

from __future__ import annotations

import argparse
import functools
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``pulumi_ims_record`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import capacity, client_vs_sdk, coldstart, engine, parallel, report, sweep
from bench._common import REPO_ROOT, Spread, machine_facts, temp_dir

BENCHMARKS = ("client", "coldstart", "engine", "capacity", "parallel", "sweep")
DEFAULT = BENCHMARKS[:-1]  # the kill sweep (25 minutes) runs when asked for: --only sweep


def _json_default(value: Any) -> Any:
    if isinstance(value, Spread):
        return value.to_json()
    raise TypeError(f"cannot serialise {type(value).__name__}")


SUMMARIZERS = {
    "client": client_vs_sdk.summarize,
    "coldstart": coldstart.summarize,
    "engine": engine.summarize,
    "capacity": capacity.summarize,
    "parallel": parallel.summarize,
    "sweep": sweep.summarize,
}


def render_only(out: Path) -> int:
    """The report and plots again from ``raw.json`` (after a change to the report's wording or layout)."""
    saved = json.loads((out / "raw.json").read_text())
    summaries = {name: SUMMARIZERS[name](raw) for name, raw in saved["raw"].items()}
    report.plots(summaries, out)
    report.render(summaries, saved["machine"], saved["meta"], out)
    print(f"report: {out / 'REPORT.md'} (from {out / 'raw.json'})")
    return 0


def _carry_over(
    out: Path, selected: list[str], raws: dict[str, Any], summaries: dict[str, Any]
) -> dict[str, str]:
    """A subset run keeps the other benchmarks' measurements from the previous ``raw.json`` (so the report
    stays whole); returns, per benchmark carried over, the commit and command that measured it."""
    previous = out / "raw.json"
    if not previous.exists():
        return {}
    saved = json.loads(previous.read_text())
    earlier_carried = saved.get("meta", {}).get("carried", {})
    origin = f"{saved['machine'].get('repository commit', '?')}, `{saved['meta'].get('command', '?')}`"
    carried: dict[str, str] = {}
    for name in BENCHMARKS:
        if name in selected or name not in saved.get("raw", {}):
            continue
        raws[name] = saved["raw"][name]
        summaries[name] = SUMMARIZERS[name](raws[name])
        carried[name] = earlier_carried.get(name, origin)
    return carried


def sweep_settings(args: argparse.Namespace) -> sweep.Settings:
    return sweep.Settings(
        seed=args.sweep_seed,
        points_per_door=args.sweep_points or (2 if args.quick else sweep.Settings.points_per_door),
        jobs=args.sweep_jobs or (4 if args.quick else sweep.Settings.jobs),
        workers=args.sweep_workers,
        minutes=args.sweep_minutes,
    )


def replay(args: argparse.Namespace) -> int:
    """``--sweep-replay``: the named points again, each printed; exit 1 if any fails."""
    points = sweep.replay_points(args.sweep_replay)
    with temp_dir("ims-sweep-replay-") as work:
        raw = sweep.run(
            sweep_settings(args),
            work,
            functools.partial(print, flush=True),
            work / "points.jsonl",
            only=points,
        )
    failed = sweep.summarize(raw)["failed"]
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds to a minute or two")
    parser.add_argument("--only", default=",".join(DEFAULT), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results", help="report directory")
    parser.add_argument(
        "--render-only", action="store_true", help="rebuild REPORT.md and the plots from --out/raw.json"
    )
    parser.add_argument("--sweep-seed", type=int, default=sweep.Settings.seed, help="the kill sweep's seed")
    parser.add_argument(
        "--sweep-points", type=int, help="killed runs per front door (default 100; 2 with --quick)"
    )
    parser.add_argument(
        "--sweep-jobs", type=int, help="jobs in each stack of the sweep (default 30; 4 with --quick)"
    )
    parser.add_argument(
        "--sweep-workers", type=int, default=sweep.Settings.workers, help="sweep points run side by side"
    )
    parser.add_argument(
        "--sweep-minutes",
        type=float,
        default=sweep.Settings.minutes,
        help="no sweep point starts after this (resume later)",
    )
    parser.add_argument(
        "--sweep-replay",
        action="append",
        metavar="KIND:SEED",
        help="run this point of the sweep again (as a failed point prints it); the report is not touched",
    )
    args = parser.parse_args(argv)
    if args.sweep_replay:
        return replay(args)
    if args.render_only:
        return render_only(args.out)
    selected = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    # SIGTERM unwinds like Ctrl-C, so every server and stack started so far is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    machine = machine_facts()
    raws: dict[str, Any] = {}
    summaries: dict[str, Any] = {}
    with temp_dir("ims-bench-") as work:
        if "client" in selected:
            log("benchmark 1: IceClient vs the official SDK")
            settings = (
                client_vs_sdk.Settings(
                    runs=3, sequential_calls=50, threaded_calls=64, submit_threaded_calls=64, nagle_calls=20
                )
                if args.quick
                else client_vs_sdk.Settings(runs=3, sequential_calls=2000, threaded_calls=2000)
            )
            raws["client"] = client_vs_sdk.run(settings, work / "client", log)
            summaries["client"] = client_vs_sdk.summarize(raws["client"])
        if "coldstart" in selected:
            log("benchmark 3: provider cold start")
            raws["coldstart"] = coldstart.run(3 if args.quick else 7, work / "coldstart", log)
            summaries["coldstart"] = coldstart.summarize(raws["coldstart"])
        if "engine" in selected:
            log("benchmarks 2 and 4: the engine, latency, throttling")
            engine_settings = (
                engine.Settings(
                    counts=(1, 4),
                    runs=3,
                    runs_for_large=3,
                    latency_count=4,
                    latency_ms=100,
                    throttle_count=8,
                    throttle_qps=10,
                )
                if args.quick
                else engine.Settings(
                    counts=(1, 10, 50, 200),
                    runs=3,
                    runs_for_large=3,
                    latency_count=50,
                    latency_ms=100,
                    throttle_count=100,
                    throttle_qps=10,
                )
            )
            raws["engine"] = engine.run(engine_settings, work / "engine", log)
            summaries["engine"] = engine.summarize(raws["engine"])
        if "capacity" in selected:
            log("benchmark 5: local IMS recording capacity")
            capacity_settings = (
                capacity.Settings(levels=(1, 2), runs=3, warmup=5.0, window=6.0)
                if args.quick
                else capacity.Settings(levels=(1, 8, 16, 32, 48, 64), runs=3, warmup=6.0, window=12.0)
            )
            raws["capacity"] = capacity.run(capacity_settings, work / "capacity", log)
            summaries["capacity"] = capacity.summarize(raws["capacity"])
        if "parallel" in selected:
            log("benchmark 6: up with latency, native package at each --parallel vs dynamic resources")
            parallel_settings = parallel.Settings(
                count=10 if args.quick else 200,
                latencies_ms=(100, 1000),
                parallels=(8, 32, 64),
                runs=1 if args.quick else 3,
            )
            raws["parallel"] = parallel.run(parallel_settings, work / "parallel", log)
            summaries["parallel"] = parallel.summarize(raws["parallel"])
        if "sweep" in selected:
            log("issue 34: the kill sweep")
            raws["sweep"] = sweep.run(sweep_settings(args), work / "sweep", log, args.out / sweep.POINTS_FILE)
            summaries["sweep"] = sweep.summarize(raws["sweep"])
    elapsed = time.perf_counter() - started
    carried = _carry_over(args.out, selected, raws, summaries)
    command = (
        "./run bench"
        + (" --quick" if args.quick else "")
        + ("" if selected == list(DEFAULT) else f" --only {args.only}")
    )
    meta = {"command": command, "elapsed": elapsed, "quick": args.quick, "carried": carried}
    (args.out / "raw.json").write_text(
        json.dumps({"machine": machine, "meta": meta, "raw": raws}, indent=1, default=_json_default)
    )
    report.plots(summaries, args.out)
    report.render(summaries, machine, meta, args.out)
    log(f"report: {args.out / 'REPORT.md'} ({elapsed / 60:.1f} min)")
    for goal, figure, verdict in report.goals(summaries):
        print(f"  {verdict.strip('*'):8} {goal}: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
