"""What the benchmarks share: free ports, bounded waits, stopping what they started."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

# The environment of the commands a bench times: bytecode written and kept, as an
# installed feedsvc has it (PYTHONDONTWRITEBYTECODE, where set, is taken out: with it,
# every feedsvc module is compiled again at every start, 0.25 s of each command here).
AS_INSTALLED = {
    name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `check` until true; exit naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.01)


def answers(url: str, statuses: tuple[int, ...] = (200,)) -> Callable[[], bool]:
    """A check for wait_for: `url` answers with one of `statuses`."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=30).status_code in statuses
        except httpx.TransportError:
            return False

    return check


def stop(process: subprocess.Popen, seconds: float = 30, sig: int = signal.SIGINT) -> None:
    """Ask a server to stop; kill it if it has not within `seconds`."""
    process.send_signal(sig)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
