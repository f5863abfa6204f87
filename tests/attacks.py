"""Hostile HTTP clients on raw sockets, and a well-behaved one that times its answers.

Every attack is bounded in connections, bytes and seconds, and talks only to
127.0.0.1. Used by tests/test_hostile_http.py and bench/hostile_http.py.
"""

import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Attack = Callable[[int, threading.Event], None]


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def answer_of(sock: socket.socket, limit: int = 65_536) -> bytes:
    """What the server sent before it closed (or went quiet), at most `limit` bytes."""
    got = b""
    try:
        while len(got) < limit and (chunk := sock.recv(limit)):
            got += chunk
    except (TimeoutError, ConnectionError):
        pass
    return got


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def open_sockets(pid: int) -> int:
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if "socket" in _link(fd))


def _link(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return ""


def _send_slowly(port: int, stop: threading.Event, first: bytes, drip: bytes, count: int) -> None:
    """`count` connections that send `first`, then a byte of `drip` every half second."""
    socks = []
    try:
        for _ in range(count):
            if stop.is_set():
                break
            try:
                sock = connect(port)
                sock.sendall(first)
                socks.append(sock)
            except OSError:
                break
        position = 0
        while not stop.wait(0.5):
            for sock in list(socks):
                try:
                    sock.send(drip[position % len(drip) : position % len(drip) + 1])
                except OSError:
                    socks.remove(sock)
            position += 1
    finally:
        for sock in socks:
            sock.close()


def slow_headers(port: int, stop: threading.Event, count: int = 300) -> None:
    """Slowloris: heads that never end, a byte every half second."""
    _send_slowly(port, stop, b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n", b"X-a: b\r\n", count)


def slow_bodies(port: int, stop: threading.Event, count: int = 300) -> None:
    """Bodies promised at 10 KB (within what /websub takes: a larger one is refused at
    once) and sent a byte every half second."""
    head = b"POST /websub HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n"
    _send_slowly(port, stop, head, b"a", count)


def idle_flood(port: int, stop: threading.Event, count: int = 2000) -> None:
    """Connections opened and never used: more than the server keeps."""
    socks = []
    try:
        for _ in range(count):
            if stop.is_set():
                break
            try:
                socks.append(connect(port))
            except OSError:
                time.sleep(0.01)
        stop.wait()
    finally:
        for sock in socks:
            sock.close()


def _repeat(port: int, stop: threading.Event, send: Callable[[socket.socket], None]) -> None:
    while not stop.is_set():
        try:
            with connect(port) as sock:
                send(sock)
                answer_of(sock)
        except OSError:
            time.sleep(0.01)


def huge_headers(port: int, stop: threading.Event, megabytes: int = 8) -> None:
    """Heads of `megabytes` MB of headers, one connection after another."""
    line = b"X-Padding: " + b"a" * 1000 + b"\r\n"

    def send(sock: socket.socket) -> None:
        sock.sendall(b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n")
        for _ in range(megabytes * 1000):
            if stop.is_set():
                return
            sock.sendall(line)

    _repeat(port, stop, send)


def huge_bodies(port: int, stop: threading.Event, megabytes: int = 64) -> None:
    """Chunked bodies of `megabytes` MB posted to /websub and the ingest API in turn."""
    chunk = b"%x\r\n%s\r\n" % (65_536, b"a" * 65_536)
    paths = [b"/websub", b"/api/articles"]

    def send(sock: socket.socket) -> None:
        paths.reverse()
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Authorization: Bearer x\r\n\r\n" % paths[0])  # fmt: skip
        for _ in range(megabytes * 16):
            if stop.is_set():
                return
            sock.sendall(chunk)

    _repeat(port, stop, send)


def agent_flood(port: int, stop: threading.Event) -> None:
    """Conditional polls, each with a User-Agent of 16 KB of its own, on one connection
    after another: what grew a worker by 600 MB and the access log by 2.4 GB."""
    number = 0

    def send(sock: socket.socket) -> None:
        nonlocal number
        number += 1
        agent = b"Flood/%d " % number + b"x" * 16_000
        sock.sendall(b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"If-None-Match: \"x\"\r\nUser-Agent: %s\r\n\r\n" % agent)  # fmt: skip

    _repeat(port, stop, send)


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def p99_ms(self) -> float:
        if len(self.seconds) < 2:
            return float("nan")
        return statistics.quantiles(self.seconds, n=100)[98] * 1000

    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else float("nan")


def poll(port: int, stop: threading.Event, timings: Timings, gap: float = 0.02) -> None:
    """A reader polling /feeds/main.rss on a new connection each time, as a feed reader
    does between polls; every answer timed, every failure kept."""
    request = b"GET /feeds/main.rss HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while not stop.wait(gap):
        begun = time.perf_counter()
        try:
            with connect(port, timeout=10) as sock:
                sock.sendall(request)
                head = answer_of(sock, 1 << 22)
            if not head.startswith(b"HTTP/1.1 200"):
                timings.failures.append(head[:60].decode(errors="replace") or "no answer")
                continue
        except OSError as exc:
            timings.failures.append(repr(exc))
            continue
        timings.seconds.append(time.perf_counter() - begun)


@dataclass
class Under:
    """What a well-behaved reader and the server's memory saw during one attack."""

    timings: Timings
    rss_before_kib: int
    rss_peak_kib: int
    sockets_peak: int


def under_attack(port: int, pid: int, attack: Attack, seconds: float, threads: int = 1) -> Under:
    """Run `attack` (in `threads` threads) for `seconds` while a reader polls."""
    stop = threading.Event()
    timings = Timings()
    before = rss_kib(pid)
    peak, sockets = before, 0
    workers = [threading.Thread(target=attack, args=(port, stop)) for _ in range(threads)]
    workers.append(threading.Thread(target=poll, args=(port, stop, timings)))
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            peak, sockets = max(peak, rss_kib(pid)), max(sockets, open_sockets(pid))
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
    return Under(timings, before, peak, sockets)
