"""The program side: Pulumi resources, their typed ``*Args`` inputs and the ``LiveRecording`` component.

Runs in the user's Pulumi program. Never calls the API: the providers named here run in the engine's
provider process.
"""

from ._inputs import (
    LiveRecordJobArgs,
    LiveRecordJobArgsDict,
    LiveRecordTemplateArgs,
    LiveRecordTemplateArgsDict,
    RecordFormatArgs,
    RecordFormatArgsDict,
    RecordOutputArgs,
    RecordOutputArgsDict,
    StreamInputArgs,
    StreamInputArgsDict,
)
from .live_record_job import LiveRecordJob
from .live_record_job_set import (
    LiveRecordJobSet,
    LiveRecordJobSetArgs,
    LiveRecordJobSetEntryArgs,
    LiveRecordJobSetEntryArgsDict,
)
from .live_record_template import LiveRecordTemplate
from .live_recording import DEFAULT_RECORD_FORMATS, LiveRecording, LiveRecordingStreamArgs

__all__ = [
    "DEFAULT_RECORD_FORMATS",
    "LiveRecordJob",
    "LiveRecordJobArgs",
    "LiveRecordJobArgsDict",
    "LiveRecordJobSet",
    "LiveRecordJobSetArgs",
    "LiveRecordJobSetEntryArgs",
    "LiveRecordJobSetEntryArgsDict",
    "LiveRecordTemplate",
    "LiveRecordTemplateArgs",
    "LiveRecordTemplateArgsDict",
    "LiveRecording",
    "LiveRecordingStreamArgs",
    "RecordFormatArgs",
    "RecordFormatArgsDict",
    "RecordOutputArgs",
    "RecordOutputArgsDict",
    "StreamInputArgs",
    "StreamInputArgsDict",
]
