"""SQLite persistence of the local IMS: ``<data-dir>/ims.sqlite3``.

WAL journal with ``synchronous=FULL``: every committed change (an acknowledged API call, a finished file) is
on disk before the caller hears about it, so ``kill -9`` loses nothing that was acknowledged. One connection
guarded by a lock serves every thread; the workload is small and this keeps the transaction rules obvious."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pulumi_ims_record.local._records import Job, JobEvent, Page, RecordFile, Template, TemplateFormat

DATABASE_FILE_NAME = "ims.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    create_time TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    formats TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    notify_url TEXT,
    create_time TEXT NOT NULL,
    stream_type TEXT NOT NULL,
    stream_url TEXT NOT NULL,
    output_type TEXT NOT NULL,
    bucket TEXT NOT NULL,
    endpoint TEXT,
    template_id TEXT NOT NULL,
    template_name TEXT NOT NULL,
    template_snapshot TEXT NOT NULL,
    status TEXT NOT NULL,
    gave_up INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    job_name TEXT NOT NULL,
    stream_url TEXT NOT NULL,
    format TEXT NOT NULL,
    output_type TEXT NOT NULL,
    bucket TEXT NOT NULL,
    endpoint TEXT,
    object_key TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    duration REAL NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    create_time TEXT NOT NULL,
    UNIQUE (job_id, format, object_key)
);
CREATE INDEX IF NOT EXISTS files_by_job ON files (job_id);
CREATE TABLE IF NOT EXISTS job_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    time TEXT NOT NULL,
    status TEXT NOT NULL,
    gave_up INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events (job_id);
"""


def _formats_to_json(formats: Sequence[TemplateFormat]) -> str:
    return json.dumps(
        [
            {
                "format": f.format,
                "oss_object_prefix": f.oss_object_prefix,
                "slice_oss_object_prefix": f.slice_oss_object_prefix,
                "slice_duration": f.slice_duration,
                "cycle_duration": f.cycle_duration,
            }
            for f in formats
        ]
    )


def _formats_from_json(text: str) -> tuple[TemplateFormat, ...]:
    return tuple(TemplateFormat(**entry) for entry in json.loads(text))


def _template_to_json(template: Template) -> str:
    return json.dumps(
        {
            "template_id": template.template_id,
            "name": template.name,
            "type": template.type,
            "create_time": template.create_time,
            "last_modified": template.last_modified,
            "formats": json.loads(_formats_to_json(template.formats)),
        }
    )


def _template_from_json(text: str) -> Template:
    data = json.loads(text)
    data["formats"] = _formats_from_json(json.dumps(data["formats"]))
    return Template(**data)


def _template_from_row(row: sqlite3.Row) -> Template:
    return Template(
        template_id=row["template_id"],
        name=row["name"],
        type=row["type"],
        create_time=row["create_time"],
        last_modified=row["last_modified"],
        formats=_formats_from_json(row["formats"]),
    )


def _job_from_row(row: sqlite3.Row) -> Job:
    return Job(
        job_id=row["job_id"],
        name=row["name"],
        notify_url=row["notify_url"],
        create_time=row["create_time"],
        stream_type=row["stream_type"],
        stream_url=row["stream_url"],
        output_type=row["output_type"],
        bucket=row["bucket"],
        endpoint=row["endpoint"],
        template_id=row["template_id"],
        template_name=row["template_name"],
        template_snapshot=_template_from_json(row["template_snapshot"]),
        status=row["status"],
        gave_up=bool(row["gave_up"]),
    )


def _file_from_row(row: sqlite3.Row) -> RecordFile:
    return RecordFile(
        record_id=row["record_id"],
        job_id=row["job_id"],
        job_name=row["job_name"],
        stream_url=row["stream_url"],
        format=row["format"],
        output_type=row["output_type"],
        bucket=row["bucket"],
        endpoint=row["endpoint"],
        object_key=row["object_key"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        duration=float(row["duration"]),
        width=int(row["width"]),
        height=int(row["height"]),
        create_time=row["create_time"],
    )


def _keyword_clause(id_column: str, keyword: str | None, where: list[str], args: list[Any]) -> None:
    """Keyword matches the id exactly or the name as a case-insensitive substring (``instr``)."""
    if keyword:
        where.append(f"({id_column} = ? OR instr(lower(name), lower(?)) > 0)")
        args.extend([keyword, keyword])


def _in_clause(column: str, values: Sequence[str], where: list[str], args: list[Any]) -> None:
    where.append(f"{column} IN ({','.join('?' for _ in values)})")
    args.extend(values)


class Database:
    """Thread-safe access to the state file; every write is one durable transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, args).fetchall())

    def _page(
        self,
        table: str,
        where: list[str],
        args: list[Any],
        *,
        descending: bool,
        offset: int,
        limit: int,
        order_column: str = "create_time",
    ) -> tuple[list[sqlite3.Row], int]:
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        order = "DESC" if descending else "ASC"
        with self._lock:
            total = int(self._conn.execute(f"SELECT count(*) FROM {table} {condition}", args).fetchone()[0])
            rows = self._conn.execute(
                f"SELECT * FROM {table} {condition} ORDER BY {order_column} {order}, seq {order}"
                " LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        return list(rows), total

    # --- templates ------------------------------------------------------------------------------------------

    def insert_template(self, template: Template, *, replace_system: bool = False) -> None:
        """Insert a template; ``replace_system`` overwrites a row of that id (seeding presets)."""
        verb = "INSERT OR REPLACE" if replace_system else "INSERT"
        with self._transaction() as conn:
            conn.execute(
                f"{verb} INTO templates (template_id, name, type, create_time, last_modified, formats)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    template.template_id,
                    template.name,
                    template.type,
                    template.create_time,
                    template.last_modified,
                    _formats_to_json(template.formats),
                ),
            )

    def get_template(self, template_id: str) -> Template | None:
        rows = self._query("SELECT * FROM templates WHERE template_id = ?", (template_id,))
        return _template_from_row(rows[0]) if rows else None

    def update_template(
        self, template_id: str, name: str, formats: Sequence[TemplateFormat], last_modified: str
    ) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE templates SET name = ?, formats = ?, last_modified = ? WHERE template_id = ?",
                (name, _formats_to_json(formats), last_modified, template_id),
            )
            return cursor.rowcount > 0

    def delete_template(self, template_id: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM templates WHERE template_id = ?", (template_id,)).rowcount > 0

    def clear(self) -> None:
        """Forget every job, its events and files, and every template but the system ones (admin reset)."""
        with self._transaction() as conn:
            for table in ("job_events", "files", "jobs"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM templates WHERE type != 'system'")

    def job_counts(self) -> dict[str, int]:
        """Jobs by status; those that gave up (paused for good) apart, as ``gave_up``."""
        counts: dict[str, int] = {}
        state = "CASE WHEN gave_up THEN 'gave_up' ELSE status END"
        for row in self._query(f"SELECT {state} AS state, COUNT(*) AS n FROM jobs GROUP BY 1"):
            counts[row["state"]] = int(row["n"])
        return counts

    def every_template(self) -> list[Template]:
        return [_template_from_row(r) for r in self._query("SELECT * FROM templates ORDER BY seq")]

    def every_job(self) -> list[Job]:
        """Newest first (the console's order)."""
        return [_job_from_row(r) for r in self._query("SELECT * FROM jobs ORDER BY seq DESC")]

    def list_templates(
        self,
        *,
        keyword: str | None,
        template_type: str | None,
        template_ids: Sequence[str],
        descending: bool,
        offset: int,
        limit: int,
    ) -> Page[Template]:
        where: list[str] = []
        args: list[Any] = []
        _keyword_clause("template_id", keyword, where, args)
        if template_type:
            where.append("type = ?")
            args.append(template_type)
        if template_ids:
            _in_clause("template_id", template_ids, where, args)
        rows, total = self._page("templates", where, args, descending=descending, offset=offset, limit=limit)
        return Page(tuple(_template_from_row(r) for r in rows), total)

    # --- jobs -----------------------------------------------------------------------------------------------

    def insert_job(self, job: Job) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO jobs (job_id, name, notify_url, create_time, stream_type, stream_url,"
                " output_type, bucket, endpoint, template_id, template_name, template_snapshot, status,"
                " gave_up)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.job_id,
                    job.name,
                    job.notify_url,
                    job.create_time,
                    job.stream_type,
                    job.stream_url,
                    job.output_type,
                    job.bucket,
                    job.endpoint,
                    job.template_id,
                    job.template_name,
                    _template_to_json(job.template_snapshot),
                    job.status,
                    int(job.gave_up),
                ),
            )
            self._add_event(conn, job.job_id, job.create_time, job.status, job.gave_up)

    @staticmethod
    def _add_event(conn: sqlite3.Connection, job_id: str, time: str, status: str, gave_up: bool) -> None:
        conn.execute(
            "INSERT INTO job_events (job_id, time, status, gave_up) VALUES (?, ?, ?, ?)",
            (job_id, time, status, int(gave_up)),
        )

    def job_events(self, job_id: str) -> list[JobEvent]:
        """The job's status changes, oldest first: its submission, then each change the recorder reported."""
        rows = self._query("SELECT * FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,))
        return [JobEvent(row["time"], row["status"], bool(row["gave_up"])) for row in rows]

    def get_job(self, job_id: str) -> Job | None:
        rows = self._query("SELECT * FROM jobs WHERE job_id = ?", (job_id,))
        return _job_from_row(rows[0]) if rows else None

    def set_job_status(
        self, job_id: str, status: str, *, at: str, gave_up: bool = False
    ) -> tuple[Job, bool] | None:
        """Store a status reported ``at`` (API time); returns ``(job, changed)`` or None for an unknown job;
        giving up is final. A change is also kept as an event of the job."""
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            job = _job_from_row(row)
            if job.gave_up:
                return job, False
            changed = job.status != status or gave_up
            if changed:
                conn.execute(
                    "UPDATE jobs SET status = ?, gave_up = ? WHERE job_id = ?", (status, int(gave_up), job_id)
                )
                self._add_event(conn, job_id, at, status, gave_up)
            updated = _job_from_row(conn.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone())
            return updated, changed

    def delete_job(self, job_id: str) -> bool:
        with self._transaction() as conn:
            conn.execute("DELETE FROM job_events WHERE job_id = ?", (job_id,))
            return conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,)).rowcount > 0

    def jobs_to_resume(self) -> list[Job]:
        return [_job_from_row(r) for r in self._query("SELECT * FROM jobs WHERE gave_up = 0 ORDER BY seq")]

    def list_jobs(
        self,
        *,
        keyword: str | None,
        start_time: str | None,
        end_time: str | None,
        status: str | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> Page[Job]:
        where: list[str] = []
        args: list[Any] = []
        _keyword_clause("job_id", keyword, where, args)
        if start_time:
            where.append("create_time >= ?")
            args.append(start_time)
        if end_time:
            where.append("create_time <= ?")
            args.append(end_time)
        if status:
            where.append("status = ?")
            args.append(status)
        rows, total = self._page("jobs", where, args, descending=descending, offset=offset, limit=limit)
        return Page(tuple(_job_from_row(r) for r in rows), total)

    # --- files ----------------------------------------------------------------------------------------------

    def insert_file(self, record: RecordFile) -> bool:
        """Store a finished file; False if (job, format, object) is already recorded (a repeated event)."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO files (record_id, job_id, job_name, stream_url, format, output_type,"
                " bucket, endpoint, object_key, start_time, end_time, duration, width, height, create_time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.record_id,
                    record.job_id,
                    record.job_name,
                    record.stream_url,
                    record.format,
                    record.output_type,
                    record.bucket,
                    record.endpoint,
                    record.object_key,
                    record.start_time,
                    record.end_time,
                    record.duration,
                    record.width,
                    record.height,
                    record.create_time,
                ),
            )
            return cursor.rowcount > 0

    def get_files(self, record_ids: Sequence[str]) -> dict[str, RecordFile]:
        if not record_ids:
            return {}
        where: list[str] = []
        args: list[Any] = []
        _in_clause("record_id", record_ids, where, args)
        rows = self._query(f"SELECT * FROM files WHERE {where[0]}", args)
        return {row["record_id"]: _file_from_row(row) for row in rows}

    def file_counts(self) -> dict[str, int]:
        """Recorded files per job id (jobs without files are absent)."""
        rows = self._query("SELECT job_id, COUNT(*) AS n FROM files GROUP BY job_id")
        return {row["job_id"]: int(row["n"]) for row in rows}

    def every_file(self) -> list[RecordFile]:
        """Every recorded file, oldest (first reported) first."""
        return [_file_from_row(r) for r in self._query("SELECT * FROM files ORDER BY seq")]

    def files_of_job(self, job_id: str) -> list[RecordFile]:
        return [
            _file_from_row(r)
            for r in self._query("SELECT * FROM files WHERE job_id = ? ORDER BY seq", (job_id,))
        ]

    def newest_files_of_job(self, job_id: str, limit: int) -> list[RecordFile]:
        """The job's ``limit`` most recently reported files, newest first."""
        rows = self._query("SELECT * FROM files WHERE job_id = ? ORDER BY seq DESC LIMIT ?", (job_id, limit))
        return [_file_from_row(r) for r in rows]

    def delete_files(self, record_ids: Sequence[str]) -> None:
        if not record_ids:
            return
        where: list[str] = []
        args: list[Any] = []
        _in_clause("record_id", record_ids, where, args)
        with self._transaction() as conn:
            conn.execute(f"DELETE FROM files WHERE {where[0]}", args)

    def list_files(
        self,
        *,
        job_ids: Sequence[str],
        start_time: str | None,
        end_time: str | None,
        record_format: str | None,
        descending: bool,
        offset: int,
        limit: int,
    ) -> Page[RecordFile]:
        where: list[str] = []
        args: list[Any] = []
        if job_ids:
            _in_clause("job_id", job_ids, where, args)
        if start_time:
            where.append("start_time >= ?")
            args.append(start_time)
        if end_time:
            where.append("start_time <= ?")
            args.append(end_time)
        if record_format:
            where.append("format = ?")
            args.append(record_format)
        rows, total = self._page(
            "files", where, args, descending=descending, offset=offset, limit=limit, order_column="start_time"
        )
        return Page(tuple(_file_from_row(r) for r in rows), total)
