"""Alibaba Cloud IMS (ICE) live-stream recording as Pulumi resources.

```python
from pulumi_ims_record import LiveRecordJob, LiveRecordTemplate, RecordOutputArgs, StreamInputArgs
```

Only the program-side names are re-exported here; the client is ``pulumi_ims_record.ice`` and the local IMS
emulator ``python -m pulumi_ims_record.local``.
"""

from .resources import (
    DEFAULT_RECORD_FORMATS,
    LiveRecording,
    LiveRecordingStreamArgs,
    LiveRecordJob,
    LiveRecordJobArgs,
    LiveRecordJobArgsDict,
    LiveRecordTemplate,
    LiveRecordTemplateArgs,
    LiveRecordTemplateArgsDict,
    RecordFormatArgs,
    RecordFormatArgsDict,
    RecordOutputArgs,
    RecordOutputArgsDict,
    StreamInputArgs,
    StreamInputArgsDict,
)

__all__ = [
    "DEFAULT_RECORD_FORMATS",
    "LiveRecordJob",
    "LiveRecordJobArgs",
    "LiveRecordJobArgsDict",
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
