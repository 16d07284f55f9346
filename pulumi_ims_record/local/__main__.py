"""``python -m pulumi_ims_record.local`` / ``ims-local``: run the local IMS until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pulumi_ims_record.local import _commands as commands
from pulumi_ims_record.local._logging import LOG_FORMATS
from pulumi_ims_record.local._logging import configure as configure_logging
from pulumi_ims_record.local.auth import AccessKey
from pulumi_ims_record.local.callbacks import DEFAULT_USER_ID
from pulumi_ims_record.local.faults import ERROR_KINDS, FaultSettings, FaultSettingsError, parse_action_value
from pulumi_ims_record.local.limits import (
    DEFAULT_CHECK_INTERVAL,
    DEFAULT_MAX_DATA_SIZE,
    DEFAULT_MAX_RECORDING_AGE,
    Limits,
    parse_age,
    parse_size,
)
from pulumi_ims_record.local.server import DEFAULT_ACCESS_KEY, LocalIms, ServerConfig

ENV_PREFIX = "IMS_LOCAL_"

_EPILOG = f"""\
Every option can also be set with an environment variable named IMS_LOCAL_<OPTION>, e.g. IMS_LOCAL_PORT=8787,
IMS_LOCAL_DATA_DIR=/tmp/ims. Repeatable options take several values separated by commas in the variable, e.g.
IMS_LOCAL_ACCESS_KEY=id1:secret1,id2:secret2. A command-line option wins over its variable.

Without --access-key or --sts the server accepts the key pair {DEFAULT_ACCESS_KEY.access_key_id} /
{DEFAULT_ACCESS_KEY.secret}. The admin API (stats, faults, jobs, reset) listens on 127.0.0.1 only.

Commands for a running server (through its admin API; IMS_LOCAL_ADMIN_URL or IMS_LOCAL_ADMIN_PORT say where
when it is not next to IMS_LOCAL_PORT or 8787):
  ims-local jobs                 the jobs: status, recording or why not, files
  ims-local stop JOB_ID ...      end these jobs' recordings (open files are closed and kept)
  ims-local stop --all           end every recording
  ims-local reset --yes          delete every job, custom template and recording
  ims-local health               the server's /_health
"""


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def _env_list(name: str) -> list[str]:
    value = _env(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ims-local",
        description="A local Alibaba Cloud IMS (ICE 2020-11-09) live-recording API that records RTMP streams "
        "with ffmpeg into local bucket directories.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--host",
        default=_env("HOST") or "127.0.0.1",
        help="address to listen on [IMS_LOCAL_HOST] (default 127.0.0.1)",
    )
    add(
        "--port",
        type=int,
        default=int(_env("PORT") or 8787),
        help="API port; 0 picks a free one [IMS_LOCAL_PORT] (default 8787)",
    )
    add(
        "--data-dir",
        type=Path,
        default=Path(_env("DATA_DIR") or ".ims-local"),
        help="state (ims.sqlite3), buckets/ and work/; locked, one server per directory [IMS_LOCAL_DATA_DIR] "
        "(default ./.ims-local)",
    )
    add(
        "--access-key",
        action="append",
        metavar="ID:SECRET",
        help="accepted access key, repeatable [IMS_LOCAL_ACCESS_KEY] "
        f"(default {DEFAULT_ACCESS_KEY.access_key_id}:{DEFAULT_ACCESS_KEY.secret} when no key is given)",
    )
    add(
        "--sts",
        action="append",
        metavar="ID:SECRET:TOKEN",
        help="accepted STS key; requests must carry TOKEN as security token, repeatable [IMS_LOCAL_STS]",
    )
    add(
        "--pull-timeout",
        type=float,
        default=float(_env("PULL_TIMEOUT") or 180),
        metavar="SECONDS",
        help="a job gives up when nothing was pulled for this long [IMS_LOCAL_PULL_TIMEOUT] (default 180)",
    )
    add(
        "--admin-port",
        type=int,
        default=int(admin) if (admin := _env("ADMIN_PORT")) else None,
        help="admin API port on 127.0.0.1; 0 picks a free one [IMS_LOCAL_ADMIN_PORT] (default: the API port "
        "+ 1, e.g. 8788; a free one when --port is 0)",
    )
    add(
        "--ready-file",
        type=Path,
        default=Path(rf) if (rf := _env("READY_FILE")) else None,
        metavar="PATH",
        help="write {endpoint, admin, buckets, pid} as JSON here once serving [IMS_LOCAL_READY_FILE]",
    )
    add(
        "--user-id",
        type=int,
        default=int(_env("USER_ID") or DEFAULT_USER_ID),
        help=f"UserId in callback envelopes [IMS_LOCAL_USER_ID] (default {DEFAULT_USER_ID})",
    )
    faults = parser.add_argument_group("fault injection (off by default; change at runtime with PUT /faults)")
    faults.add_argument(
        "--latency-ms",
        type=int,
        default=int(_env("LATENCY_MS") or 0),
        help="delay added to every API request [IMS_LOCAL_LATENCY_MS]",
    )
    faults.add_argument(
        "--error-rate",
        action="append",
        metavar="[ACTION=]RATE",
        help="share of requests (0..1) answered with an error, for one action or all, repeatable "
        "[IMS_LOCAL_ERROR_RATE]",
    )
    faults.add_argument(
        "--error-kind",
        choices=ERROR_KINDS,
        default=_env("ERROR_KIND") or "5xx",
        help="5xx: 503 ServiceUnavailable; throttling: 400 Throttling.User with x-acs-retry-after (ms); "
        "mixed: either; 5xx_after_apply: apply the operation, then answer 500 [IMS_LOCAL_ERROR_KIND]",
    )
    faults.add_argument(
        "--qps",
        action="append",
        metavar="ACTION=N",
        help="requests per second allowed for an action ('*' = each action), repeatable [IMS_LOCAL_QPS]",
    )
    faults.add_argument(
        "--drop-rate",
        action="append",
        metavar="[ACTION=]RATE",
        help="share of requests whose connection is closed unanswered, repeatable [IMS_LOCAL_DROP_RATE]",
    )
    faults.add_argument(
        "--fault-seed",
        type=int,
        default=int(seed) if (seed := _env("FAULT_SEED")) else None,
        help="seed of the fault dice, for reproducible runs [IMS_LOCAL_FAULT_SEED]",
    )
    add(
        "--max-data-size",
        default=_env("MAX_DATA_SIZE") or DEFAULT_MAX_DATA_SIZE,
        metavar="SIZE",
        help="while the data directory is larger, its oldest finished recordings are deleted (20G, 500M; 0: "
        f"no limit) [IMS_LOCAL_MAX_DATA_SIZE] (default {DEFAULT_MAX_DATA_SIZE})",
    )
    add(
        "--max-recording-age",
        default=_env("MAX_RECORDING_AGE") or DEFAULT_MAX_RECORDING_AGE,
        metavar="AGE",
        help="finished recordings older than this are deleted (7d, 12h, 30m; 0: no limit) "
        f"[IMS_LOCAL_MAX_RECORDING_AGE] (default {DEFAULT_MAX_RECORDING_AGE})",
    )
    add(
        "--limit-check-interval",
        type=float,
        default=float(_env("LIMIT_CHECK_INTERVAL") or DEFAULT_CHECK_INTERVAL),
        metavar="SECONDS",
        help="how often the limits are applied [IMS_LOCAL_LIMIT_CHECK_INTERVAL] "
        f"(default {DEFAULT_CHECK_INTERVAL:g})",
    )
    add(
        "--log-level",
        default=_env("LOG_LEVEL") or "INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="INFO logs one line per API request (action, access key id, status, code, time, RequestId) "
        "[IMS_LOCAL_LOG_LEVEL] (default INFO)",
    )
    add(
        "--log-format",
        default=_env("LOG_FORMAT") or "text",
        choices=LOG_FORMATS,
        help="text, or json: one object per line, a request's fields at the top level [IMS_LOCAL_LOG_FORMAT] "
        "(default text)",
    )
    return parser


def _access_keys(
    pairs: Sequence[str], sts: Sequence[str], parser: argparse.ArgumentParser
) -> list[AccessKey]:
    keys: list[AccessKey] = []
    for pair in pairs:
        key_id, sep, secret = pair.partition(":")
        if not sep or not key_id or not secret:
            parser.error("--access-key takes ID:SECRET")
        keys.append(AccessKey(key_id, secret))
    for triple in sts:
        key_id, _, rest = triple.partition(":")
        secret, sep, token = rest.partition(":")
        if not sep or not key_id or not secret or not token:
            parser.error("--sts takes ID:SECRET:TOKEN")
        keys.append(AccessKey(key_id, secret, token))
    return keys or [DEFAULT_ACCESS_KEY]


def _fault_settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> FaultSettings:
    try:
        error_rate = dict(parse_action_value(v) for v in (args.error_rate or _env_list("ERROR_RATE")))
        drop_rate = dict(parse_action_value(v) for v in (args.drop_rate or _env_list("DROP_RATE")))
        qps = dict(parse_action_value(v, default_action=None) for v in (args.qps or _env_list("QPS")))
        return FaultSettings.from_json(
            {
                "latency_ms": args.latency_ms,
                "error_rate": error_rate,
                "error_kind": args.error_kind,
                "qps": qps,
                "drop_rate": drop_rate,
                "seed": args.fault_seed,
            }
        )
    except FaultSettingsError as error:
        parser.error(str(error))


def config_from_args(argv: Sequence[str] | None = None) -> tuple[ServerConfig, Path | None, str, str]:
    parser = build_parser()
    args = parser.parse_args(argv)
    keys = _access_keys(args.access_key or _env_list("ACCESS_KEY"), args.sts or _env_list("STS"), parser)
    if args.pull_timeout <= 0:
        parser.error("--pull-timeout must be positive")
    config = ServerConfig(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        admin_port=args.admin_port if args.admin_port is not None else default_admin_port(args.port),
        access_keys=keys,
        pull_timeout=args.pull_timeout,
        user_id=args.user_id,
        faults=_fault_settings(args, parser),
        limits=_limits(args, parser),
    )
    return config, args.ready_file, args.log_level, args.log_format


def _limits(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Limits:
    try:
        size, age = parse_size(args.max_data_size), parse_age(args.max_recording_age)
    except ValueError as error:
        parser.error(str(error))
    if args.limit_check_interval <= 0:
        parser.error("--limit-check-interval must be positive")
    return Limits(max_data_size=size, max_recording_age=age, check_interval=args.limit_check_interval)


def default_admin_port(api_port: int) -> int:
    """The admin API's port when none is given: next to the API's, so commands can find it (0: any)."""
    return api_port + 1 if api_port else 0


def _write_ready_file(path: Path, info: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(info) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in commands.COMMANDS:  # a command for a running server
        default_admin = f"http://127.0.0.1:{default_admin_port(int(_env('PORT') or 8787))}"
        admin_url = _env("ADMIN_URL") or (
            f"http://127.0.0.1:{admin}" if (admin := _env("ADMIN_PORT")) else default_admin
        )
        return commands.main(arguments, admin_url)
    config, ready_file, log_level, log_format = config_from_args(arguments)
    configure_logging(log_level, log_format)
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    ims = LocalIms(config)
    try:
        ims.start()
    except OSError as error:
        print(f"ims-local: cannot start: {error}", file=sys.stderr)
        ims.stop()
        return 1
    try:
        print(f"Local IMS ready: {ims.endpoint}", flush=True)
        print(f"Admin API: {ims.admin_url}", flush=True)
        print(f"Buckets: {ims.buckets_url} (files in {config.data_dir / 'buckets'})", flush=True)
        if ready_file is not None:
            _write_ready_file(ready_file, ims.ready_info())
        while not stop_requested.wait(0.5):
            pass
        logging.getLogger(__name__).info("stopping: closing open recordings")
    finally:
        ims.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
