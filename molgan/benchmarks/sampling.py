"""Streaming generation at scale: the real ``molgan sample`` command, next to a plain RDKit loop.

    python -m molgan.benchmarks.sampling [--num 200000] [--jobs 2] [--model qm9] [--seed 0] [--compare-plain]

Runs ``molgan sample --num NUM --jobs JOBS --output big.smi.gz`` in a subprocess (in a temporary
folder) and reports valid molecules per second and the peak resident memory of the whole process
tree (the command plus its decoding workers, summed, polled from ``/proc`` every 50 ms; the
largest single process from ``getrusage(RUSAGE_CHILDREN)`` is shown too). A second run with
``--num 1`` measures the fixed start-up cost (imports, model loading, starting workers), so the
steady rate is shown beside the end-to-end one. On a shared machine the wall-clock rate measures the
cores left free by other jobs, so valid molecules per CPU-second (user + system time of the command
and its workers, start-up excluded) is shown too, with what it means for that many free cores.

In the same run, the graphs of the first ``--plain`` noise blocks of the same model and seed are
decoded by a plain RDKit loop on one core (``RWMol`` from atoms and bonds, ``SanitizeMol``,
``MolToSmiles``; see :func:`molgan.benchmarks.codec.rdkit_loop`), with the generator's own time
excluded, so the ratio "command / plain loop" says what the pipeline adds or saves.

With ``--compare-plain`` the same command runs again with ``--discriminator-keep 1`` (the generator
alone, no discriminator rejection), and the ratio of the two steady rates says what the model's default
rejection sampling costs.

The machine's load average is printed: on a shared machine, throughput scales with the cores
actually free.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from molgan.jobs import available_cores, resolve_jobs

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class CommandRun:
    """One ``molgan sample`` run: wall and CPU seconds, peak tree / largest-process RSS (MB), exit code."""

    seconds: float
    cpu_seconds: float
    peak_tree_mb: float
    peak_process_mb: float
    returncode: int
    stderr: str


def molgan_command() -> list[str]:
    """How to start the ``molgan`` command of this interpreter's environment."""
    script = Path(sys.executable).parent / "molgan"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from molgan.cli.main import run; run()"]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (bytes; 0 once they are gone)."""
    tree = _children()
    todo, total = [pid], 0
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except OSError:
            pass
    return total


def run_command(args: list[str], cwd: Path, poll: float = 0.05) -> CommandRun:
    """Run a command, polling the resident memory of its process tree until it exits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_bytes(proc.pid))
            stop.wait(poll)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its waited-for workers
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    largest = max(after.ru_maxrss, before.ru_maxrss) / 1024  # KB on Linux
    return CommandRun(seconds, cpu, peak / 2**20, largest, proc.returncode, stderr.strip())


def plain_loop(model_name: str, seed: int, blocks: int) -> dict[str, float]:
    """Valid molecules per second of the plain RDKit loop and of molgan's decoder, one core each."""
    import torch

    torch.set_num_threads(1)
    from molgan.benchmarks.codec import rdkit_loop
    from molgan.chem.graphs import decode_graphs, to_smiles
    from molgan.chem.mol import quiet_rdkit
    from molgan.sampling.model import load

    model = load(model_name)
    stream = model.iter_graphs(seed)
    start = time.process_time()
    graphs = [next(stream) for _ in range(blocks)]
    generator_seconds = time.process_time() - start
    n = sum(len(nodes) for nodes, _ in graphs)

    start = time.process_time()
    with quiet_rdkit():  # RDKit's log line per invalid graph is not part of the loop being timed
        plain = [rdkit_loop(nodes, adj, model.vocab) for nodes, adj in graphs]
    plain_seconds = time.process_time() - start
    start = time.process_time()
    ours = [to_smiles(decode_graphs(nodes, adj, model.vocab)) for nodes, adj in graphs]
    ours_seconds = time.process_time() - start
    plain_valid = sum(s is not None for block in plain for s in block)
    ours_valid = sum(s is not None for block in ours for s in block)
    return {
        "graphs": n,
        "generator_graphs_per_s": n / generator_seconds,
        "plain_valid_per_s": plain_valid / plain_seconds,
        "plain_valid_fraction": plain_valid / n,
        "decoder_valid_per_s": ours_valid / ours_seconds,
        "decoder_valid_fraction": ours_valid / n,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m molgan.benchmarks.sampling", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--num", type=int, default=200_000, help="valid molecules to write")
    parser.add_argument("--jobs", type=int, default=2, help="decoding processes (molgan sample --jobs)")
    parser.add_argument("--model", default="qm9", help="shipped model name or checkpoint directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plain", type=int, default=20, help="noise blocks (1024 graphs) for the plain loop")
    parser.add_argument("--keep", type=Path, default=None, help="keep big.smi.gz in this folder")
    parser.add_argument("--compare-plain", action="store_true", help="also time the generator alone (--discriminator-keep 1)")
    args = parser.parse_args(argv)

    command = molgan_command()
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"on {available_cores()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="molgan-bench-") as tmp:
        workdir = Path(tmp)
        base = [*command, "sample", "--model", args.model, "--seed", str(args.seed), "--jobs", str(args.jobs), "-q"]
        startup = run_command([*base, "--num", "1", "--output", "one.smi"], workdir)
        if startup.returncode != 0:
            sys.exit(f"molgan sample failed: {startup.stderr}")
        big = run_command([*base, "--num", str(args.num), "--output", "big.smi.gz"], workdir)
        if big.returncode != 0:
            sys.exit(f"molgan sample failed: {big.stderr}")
        size_mb = (workdir / "big.smi.gz").stat().st_size / 2**20
        if args.keep is not None:
            shutil.copy(workdir / "big.smi.gz", args.keep / "big.smi.gz")
        alone = alone_startup = None
        if args.compare_plain:
            plain_base = [*base, "--discriminator-keep", "1"]
            alone_startup = run_command([*plain_base, "--num", "1", "--output", "plain_one.smi"], workdir)
            alone = run_command([*plain_base, "--num", str(args.num), "--output", "plain.smi.gz"], workdir)
            if alone.returncode != 0 or alone_startup.returncode != 0:
                sys.exit(f"molgan sample failed: {alone.stderr or alone_startup.stderr}")
    load_after = os.getloadavg()
    plain = plain_loop(args.model, args.seed, args.plain)

    rate = args.num / big.seconds
    steady = args.num / max(big.seconds - startup.seconds, 1e-9)
    per_cpu = args.num / max(big.cpu_seconds - startup.cpu_seconds, 1e-9)
    cores = min(resolve_jobs(args.jobs), available_cores())
    print(f"command: molgan sample --num {args.num} --jobs {args.jobs} --model {args.model} --output big.smi.gz")
    print(f"  {big.stderr.splitlines()[-1] if big.stderr else ''}")
    print(f"  wall time                 {big.seconds:8.1f} s   (start-up alone: {startup.seconds:.1f} s)")
    print(f"  valid molecules / s       {rate:8.0f}     (excluding start-up: {steady:.0f})")
    print(f"  CPU time                  {big.cpu_seconds:8.1f} s   ({100 * big.cpu_seconds / big.seconds:.0f}% of one core on average)")
    print(f"  valid molecules / CPU-s   {per_cpu:8.0f}     (start-up excluded; x{cores} cores if they were free: {cores * per_cpu:.0f} / s)")
    print(f"  peak RSS, process tree    {big.peak_tree_mb:8.0f} MB  (largest single process: {big.peak_process_mb:.0f} MB)")
    print(f"  output size               {size_mb:8.1f} MB")
    print(f"plain RDKit loop, one core, {plain['graphs']} graphs of the same model and seed (generator excluded):")
    print(f"  plain loop valid / s      {plain['plain_valid_per_s']:8.0f}     (valid fraction {plain['plain_valid_fraction']:.3f})")
    print(f"  molgan decoder valid / s  {plain['decoder_valid_per_s']:8.0f}     (valid fraction {plain['decoder_valid_fraction']:.3f}, connected only)")
    print(f"  generator graphs / s      {plain['generator_graphs_per_s']:8.0f}")
    print(f"ratio command / plain loop  {per_cpu / plain['plain_valid_per_s']:8.2f}x  per CPU-second; "
          f"{steady / plain['plain_valid_per_s']:.2f}x in wall time ({args.jobs} jobs, start-up excluded)")
    if alone is not None and alone_startup is not None:
        alone_steady = args.num / max(alone.seconds - alone_startup.seconds, 1e-9)
        print(f"the generator alone (--discriminator-keep 1): {alone.seconds:.1f} s (start-up alone: {alone_startup.seconds:.1f} s), "
              f"{alone_steady:.0f} valid molecules / s excluding start-up; the default sampling takes {alone_steady / steady:.2f}x its time")
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")


if __name__ == "__main__":
    main()
