"""Where the process's log lines go: stderr, which journald keeps under systemd.

Two kinds of lines: the operational log (restores, refused scans, sync rounds, closed connections; the
level, the logger's name and the message) and the access log (Common Log Format lines, nothing else on them,
so tools that read web server logs read them as they are).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from .access_log import log as access_log

PACKAGE = "kiosk_tickets"
OPERATIONAL_FORMAT = "%(levelname)s:%(name)s:%(message)s"


def configure(stream: TextIO | None = None, access: bool = False) -> None:
    """Write the package's lines of level INFO and up, and with `access` the access log, to `stream` (stderr).

    Other libraries' lines keep the root logger's threshold (warnings and up). Calling it again adds nothing.
    """
    stream = stream if stream is not None else sys.stderr
    # Neither format shows where a line was logged from, nor the thread or process: logging need not look them up
    # for each record (the calling frame, the thread's name, a getpid), which it does for every access log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # The root handler, as waitress.serve would set it up, carries the operational lines and other libraries'.
    logging.basicConfig(format=OPERATIONAL_FORMAT, stream=stream)
    logging.getLogger(PACKAGE).setLevel(logging.INFO)
    if access and not access_log.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        # Not also through the root handler: the line must stay bare.
        access_log.propagate = False
