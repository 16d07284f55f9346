"""``ims-local jobs | stop | reset | health``: the daily commands, against a running server's admin API.

Standard library only (``urllib``), like the server. Exit status 0 on success, 1 when the server refused or
could not be reached (said on stderr in one line), 2 for bad arguments."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

COMMANDS = ("jobs", "stop", "reset", "health")


class CommandError(Exception):
    """The server said no, or could not be reached."""


def _call(admin_url: str, method: str, path: str) -> Any:
    request = urllib.request.Request(
        f"{admin_url.rstrip('/')}{path}", method=method, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        try:
            said = json.loads(error.read()).get("error", error.reason)
        except ValueError:
            said = error.reason
        raise CommandError(f"{method} {path}: {error.code} {said}") from None
    except OSError as error:
        raise CommandError(
            f"cannot reach the local IMS admin API at {admin_url} ({error}); is the server running? "
            "(set IMS_LOCAL_ADMIN_URL or IMS_LOCAL_ADMIN_PORT if it listens elsewhere)"
        ) from None


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ims-local", description="Commands for a running local IMS.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("jobs", help="list the jobs: status, recording or why not, files")
    stop = sub.add_parser("stop", help="end recordings: open files are closed and kept, the jobs stay paused")
    stop.add_argument("job_ids", nargs="*", metavar="JOB_ID")
    stop.add_argument("--all", action="store_true", help="every job that records or waits for its stream")
    reset = sub.add_parser("reset", help="delete every job, custom template and recording")
    reset.add_argument("--yes", action="store_true", help="really (required)")
    sub.add_parser("health", help="the server's /_health, as JSON")
    return parser


def main(argv: Sequence[str], admin_url: str) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "jobs":
            jobs = _call(admin_url, "GET", "/jobs")["jobs"]
            rows = [["JOB ID", "NAME", "STATUS", "RECORDING", "FILES", "CREATED", "STREAM"]]
            reasons: list[str] = []
            for job in jobs:
                status = f"{job['status']} (gave up)" if job["gave_up"] else job["status"]
                recording = "waiting" if job.get("waiting") else "yes" if job["recording"] else "no"
                if job.get("waiting"):
                    reasons.append(f"{job['job_id']}: {_why_waiting(job['waiting'])}")
                rows.append(
                    [
                        job["job_id"],
                        job["name"],
                        status,
                        recording,
                        str(job["files"]),
                        job["create_time"],
                        job["stream"],
                    ]
                )
            print(_table(rows) if jobs else "no jobs")
            if reasons:
                print("\nnot recording:\n" + "\n".join(f"  {line}" for line in reasons))
        elif args.command == "stop":
            if args.all == bool(args.job_ids):
                parser.error("stop: name job ids or --all (not both)")
            if args.all:
                stopped = _call(admin_url, "POST", "/jobs/stop")["stopped"]
                print(f"stopped {len(stopped)} job(s)" + "".join(f"\n  {job_id}" for job_id in stopped))
            for job_id in args.job_ids:
                answer = _call(admin_url, "POST", f"/jobs/{quote(job_id, safe='')}/stop")
                print(f"stopped {answer['stopped']}: {answer['status']}, recording over")
        elif args.command == "reset":
            if not args.yes:
                parser.error("reset deletes every job, custom template and recording: add --yes")
            deleted = _call(admin_url, "POST", "/reset?confirm=yes")["deleted_jobs"]
            print(f"reset: {deleted} job(s), their recordings and the custom templates deleted")
        else:
            health = _call(admin_url, "GET", "/")
            print(json.dumps(_health(health["endpoint"]), indent=1))
    except CommandError as error:
        print(f"ims-local {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


def _why_waiting(waiting: dict[str, Any]) -> str:
    """One line: the recorder's reason, since when, its next try and when it gives up (UTC, as the API)."""
    retry = f"next try at {waiting['nextRetry']}" if waiting.get("nextRetry") else "trying now"
    return f"{waiting['reason']}; since {waiting['since']}, {retry}, gives up at {waiting['givesUpAt']}"


def _health(endpoint: str) -> Any:
    try:
        with urllib.request.urlopen(f"{endpoint}/_health", timeout=30) as answer:
            return json.loads(answer.read())
    except OSError as error:
        raise CommandError(f"cannot reach {endpoint}/_health ({error})") from None
