"""What every pool process does first."""

import signal


def leave_interrupts_to_the_parent() -> None:
    """Ignore Ctrl-C in a pool process: the terminal sends it to the whole process group,
    and the process that started the pool ends it (an interrupted worker printed a
    traceback, or turned the interrupt into a result and waited for more work)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
