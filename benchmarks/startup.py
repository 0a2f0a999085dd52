"""Start-up time of Snakemake on the bundled data: a dry run and a no-op rerun.

    .venv/bin/python benchmarks/startup.py [--snakemake PATH] [--runs 5] [--no-controller]

A benchmark, not a test: it prints figures, it checks nothing. It times
(wall clock, the whole process) N dry runs in an empty working directory and,
after one real run (not timed), N reruns with nothing to do, and prints every
time and the median.

--no-controller gives Slurm's client tools a configuration whose controller
does not answer (a slurm.conf naming localhost on a port where nothing
listens, through SLURM_CONF, in a temporary folder: /etc/slurm is not
touched), as on a workstation, container or CI machine where slurm-client is
installed but no slurmctld runs. `scontrol show config` then waits ~9 s
before it fails. The Slurm executor plugin (requirements-slurm.txt) runs that
command whenever Snakemake starts, whatever the executor, so with the plugin
installed every command waits; without it (requirements.txt alone, what
`make run` installs) nothing does. The first lines say which case is
measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_controller_conf(folder: Path) -> Path:
    conf = folder / "slurm.conf"
    conf.write_text(
        "# benchmarks/startup.py: a cluster whose controller never answers\n"
        "ClusterName=nocontroller\n"
        "SlurmctldHost=localhost\n"
        f"SlurmctldPort={free_port()}\n"
        "NodeName=localhost CPUs=1 State=UNKNOWN\n"
        "PartitionName=debug Nodes=localhost Default=YES\n"
    )
    return conf


def timed(cmd: list[str], env: dict) -> float:
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return wall


def show(label: str, times: list[float]) -> None:
    each = " ".join(f"{t:.2f}" for t in times)
    print(f"{label:<8} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f}; runs: {each})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snakemake", default=str(REPO / ".venv" / "bin" / "snakemake"), help="the snakemake to time")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument(
        "--no-controller",
        action="store_true",
        help="Slurm client configured, controller not answering (needs scontrol on PATH)",
    )
    args = parser.parse_args()

    snakemake = str(Path(args.snakemake).resolve())
    python = str(Path(snakemake).with_name("python"))
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("SLURM_CONF", None)
    with tempfile.TemporaryDirectory(prefix="gene-records-startup-") as tmp:
        tmp = Path(tmp)
        if args.no_controller:
            if not shutil.which("scontrol"):
                sys.exit("--no-controller: no scontrol on PATH (install Slurm's client tools, e.g. apt-get install slurm-client)")
            env["SLURM_CONF"] = str(no_controller_conf(tmp))
        plugin = subprocess.run(
            [python, "-c", "import snakemake_executor_plugin_slurm"], capture_output=True, env=env
        ).returncode == 0
        print(f"snakemake: {snakemake}")
        print(f"Slurm executor plugin installed: {'yes' if plugin else 'no'}")
        if shutil.which("scontrol"):
            start = time.monotonic()
            subprocess.run(["scontrol", "show", "config"], capture_output=True, env=env)
            print(f"scontrol show config: fails after {time.monotonic() - start:.2f} s"
                  + (" (SLURM_CONF: no controller answers)" if args.no_controller else ""))
        else:
            print("scontrol: not on PATH")

        workdir = tmp / "work"
        workdir.mkdir()
        (workdir / "resources").symlink_to(REPO / "resources", target_is_directory=True)
        base = [snakemake, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--configfile", str(REPO / "config" / "config.yaml"), "--cores", "2"]
        dry = [timed([*base, "--dry-run"], env) for _ in range(args.runs)]
        timed(base, env)  # the real run, not timed
        noop = [timed(base, env) for _ in range(args.runs)]
        print(f"bundled data ({sum(1 for p in (REPO / 'resources' / 'records').rglob('*') if p.is_file())} records), "
              f"{args.runs} runs each, wall seconds of the whole snakemake process:")
        show("dry run", dry)
        show("no-op", noop)


if __name__ == "__main__":
    main()
