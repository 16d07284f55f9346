"""The program side: Pulumi resources, their typed ``*Args`` inputs and the ``LiveRecording`` component.

Runs in the user's Pulumi program. The resources never call the API (their providers run in the engine's
provider process); the look-ups (``get_*``) do, from the program, as a function does.
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
from .functions import (
    GetLiveRecordFilesResult,
    GetLiveRecordJobResult,
    GetLiveRecordTemplateResult,
    get_live_record_files,
    get_live_record_files_output,
    get_live_record_job,
    get_live_record_job_output,
    get_live_record_template,
    get_live_record_template_output,
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
    "GetLiveRecordFilesResult",
    "GetLiveRecordJobResult",
    "GetLiveRecordTemplateResult",
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
    "get_live_record_files",
    "get_live_record_files_output",
    "get_live_record_job",
    "get_live_record_job_output",
    "get_live_record_template",
    "get_live_record_template_output",
]
