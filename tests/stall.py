"""A TCP relay that stops an upload halfway: the one fault a real S3 or WebDAV
server can't be made to show on demand, a client gone in the middle of a PUT.

It passes bytes both ways until a request line whose path ends in `path` has been
followed by `after` bytes; then it holds the rest, sets `stalled`, and on `cut()`
closes both sides, so the server sees a body shorter than its Content-Length.
"""

import socket
import threading


class StallingRelay:
    def __init__(self, upstream_port: int, path: bytes, after: int) -> None:
        self.upstream_port = upstream_port
        self.marker = path + b" HTTP/1.1"  # the end of the request line
        self.after = after
        self.stalled = threading.Event()
        self.armed = True  # once off, everything passes
        self._cut = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Close the held connection: the server gets half a body and an end."""
        self._cut.set()

    def close(self) -> None:
        self._cut.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pass, args=(server, client), daemon=True).start()
            threading.Thread(target=self._upload, args=(client, server), daemon=True).start()

    def _pass(self, source: socket.socket, sink: socket.socket) -> None:
        """Server to client: as it comes."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def _upload(self, client: socket.socket, server: socket.socket) -> None:
        """Client to server: counted from the marked request line, held past `after`."""
        counted: int | None = None  # bytes of the marked request passed on so far
        try:
            while data := client.recv(65536):
                if self.armed and counted is None and (at := data.find(self.marker)) >= 0:
                    counted = -at  # counting starts at the request line
                if self.armed and counted is not None and counted + len(data) > self.after:
                    server.sendall(data[: max(self.after - counted, 0)])
                    self.armed = False
                    self.stalled.set()
                    self._cut.wait(60)
                    return
                if counted is not None:
                    counted += len(data)
                server.sendall(data)
        except OSError:
            pass
        finally:
            server.close()
            client.close()
