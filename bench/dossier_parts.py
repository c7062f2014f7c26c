"""The machinery of bench/dossier_tracking.py: API processes on their own ports (or the bare servers of
bench/dossier_bare_server.py), the load processes (bench/dossier_load.py) started together and their figures
merged, percentiles."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from feedback_load import cpu_seconds, free_port, start_server, wait_ready

from core.settings import PROJECT_ROOT, Settings

LOAD = PROJECT_ROOT / "bench" / "dossier_load.py"
BARE = PROJECT_ROOT / "bench" / "dossier_bare_server.py"


def run_load(specs: list[dict[str, Any]], workdir: Path, script: Path = LOAD) -> dict[str, Any]:
    """Start one load process per spec (`script`, bench/dossier_load.py unless told), start them all at once
    when all are ready, and merge what each measured."""
    processes: list[subprocess.Popen[str]] = []
    outs: list[Path] = []
    try:
        for k, spec in enumerate(specs):
            spec_path, out = workdir / f"{spec['mode']}-{k}.json", workdir / f"{spec['mode']}-{k}.out.json"
            spec_path.write_text(json.dumps(spec))
            out.unlink(missing_ok=True)
            outs.append(out)
            command = [sys.executable, str(script), "--spec", str(spec_path), "--out", str(out)]
            processes.append(
                subprocess.Popen(
                    command, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
            )
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a load process did not start")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            process.wait(timeout=float(specs[0]["seconds"]) + 300)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    merged: dict[str, Any] = {
        "seconds": 0.0,
        "latencies_ms": [],
        "statuses": {},
        "samples": [],
        "outcomes": {},
    }
    merged.update(transport_errors=0, items=0, exhausted=0)
    for out in outs:
        part = json.loads(out.read_text())
        merged["seconds"] = max(merged["seconds"], part["seconds"])
        merged["latencies_ms"] += part["latencies_ms"]
        merged["samples"] += part["samples"]
        for name in ("transport_errors", "items", "exhausted"):
            merged[name] += part[name]
        for name in ("statuses", "outcomes"):
            for key, count in part[name].items():
                merged[name][key] = merged[name].get(key, 0) + count
    return merged


def split(count: int, parts: int) -> list[int]:
    return [
        count // parts + (1 if k < count % parts else 0) for k in range(parts) if count // parts or k < count
    ]


class Servers:
    """`count` API processes, each a server on its own port, as containers behind a balancer are."""

    def __init__(self, settings: Settings, count: int, redis_url: str, media: Path) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.processes = [start_server(settings, port, media, redis_url) for port in self.ports]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]

    async def ready(self) -> None:
        # Generous: on a busy machine an API process takes tens of seconds to import and start.
        for url in self.urls:
            await wait_ready(url, seconds=180)

    def cpu(self) -> float:
        return sum(cpu_seconds(process.pid) for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class BareServers(Servers):
    """`count` bare lookup servers (bench/dossier_bare_server.py), each on its own port, configured as the
    API processes are."""

    def __init__(self, settings: Settings, count: int, redis_url: str, *, limits: bool) -> None:
        self.ports = [free_port() for _ in range(count)]
        env = {
            **os.environ,
            "SMARTCITY_DATABASE_URL": settings.database_dsn,
            "SMARTCITY_REDIS_URL": redis_url,
            "SMARTCITY_SECRET_KEY": settings.secret_key.get_secret_value(),
            "SMARTCITY_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, str(BARE), *([] if limits else ["--no-limits"])]
        self.processes = [
            subprocess.Popen([*command, "--port", str(port)], cwd=PROJECT_ROOT, env=env)
            for port in self.ports
        ]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def latency(values: list[float]) -> str:
    p50 = statistics.median(values) if values else float("nan")
    return f"p50 {p50:.1f} ms, p99 {percentile(values, 0.99):.1f} ms"


def failures(result: dict[str, Any]) -> int:
    """Answers other than 200, and requests that got none."""
    statuses: dict[str, int] = result["statuses"]
    return sum(statuses.values()) - statuses.get("200", 0) + int(result["transport_errors"])


def show_samples(result: dict[str, Any]) -> None:
    for sample in result["samples"]:
        print(f"  e.g. {sample}")
