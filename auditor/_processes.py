"""Whether a process of this machine still runs: what tells a file or folder left by a killed run (its
writer's id in the name) from one in use, and a huge article's piece that died from one still working."""

from __future__ import annotations

import os
from pathlib import Path


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie, ended but not yet reaped by its parent,
    has ended); another user's process runs."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process, or not a process id at all
        return False
    except PermissionError:  # another user's process
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):  # no /proc (not Linux), or the process ended meanwhile
        return True
