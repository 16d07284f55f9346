"""Alibaba Cloud IMS (ICE) live-stream recording as Pulumi resources.

```python
from pulumi_ims_record import LiveRecordJob, LiveRecordTemplate, RecordOutputArgs, StreamInputArgs
```

Only the program-side names are re-exported here; the client is ``pulumi_ims_record.ice`` and the local IMS
emulator ``python -m pulumi_ims_record.local``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .resources import (
        DEFAULT_RECORD_FORMATS,
        GetLiveRecordFilesResult,
        GetLiveRecordJobResult,
        GetLiveRecordTemplateResult,
        LiveRecording,
        LiveRecordingStreamArgs,
        LiveRecordJob,
        LiveRecordJobArgs,
        LiveRecordJobArgsDict,
        LiveRecordJobSet,
        LiveRecordJobSetArgs,
        LiveRecordJobSetEntryArgs,
        LiveRecordJobSetEntryArgsDict,
        LiveRecordTemplate,
        LiveRecordTemplateArgs,
        LiveRecordTemplateArgsDict,
        RecordFormatArgs,
        RecordFormatArgsDict,
        RecordOutputArgs,
        RecordOutputArgsDict,
        StreamInputArgs,
        StreamInputArgsDict,
        get_live_record_files,
        get_live_record_files_output,
        get_live_record_job,
        get_live_record_job_output,
        get_live_record_template,
        get_live_record_template_output,
    )

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


def __getattr__(name: str) -> Any:
    # PEP 562: `pulumi` is imported only when a resource name is used, so the client (`.ice`),
    # the provider process and the local IMS do not pay for it.
    if name in __all__:
        from . import resources

        return getattr(resources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
