"""The local IMS with TCP_NODELAY on its API connections: the change this benchmark proposes for
``pulumi_ims_record/local/server.py`` (``_JsonHandler.disable_nagle_algorithm = True``), applied here without
editing that file so the client benchmark measures the clients, not a 40 ms Nagle/delayed-ACK stall.

``send_json`` writes the headers and the body in two ``send`` calls; with Nagle's algorithm on, the second
small segment waits for the ACK of the first, and Linux delays that ACK by up to 40 ms. Every answer of the
stock server therefore takes about 40 ms on loopback (see the report, "Local IMS: Nagle").

Usage: ``python -m bench._ims_nodelay ARGS`` = ``python -m pulumi_ims_record.local ARGS``.
"""

from __future__ import annotations

import sys

from pulumi_ims_record.local import server
from pulumi_ims_record.local.__main__ import main

server._JsonHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(main())
