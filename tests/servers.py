"""Real servers for the upload and serving tests, started on 127.0.0.1 by fixtures:
Debian's nginx (WebDAV, and serving a published folder) and SeaweedFS's S3 gateway."""

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def need_nginx() -> None:
    if not Path(NGINX).exists():
        import pytest

        pytest.skip("nginx is not installed here (apt-get install nginx)")


def _answering(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not _answering(port):
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no answer on port {port} after {timeout} s")
        time.sleep(0.05)


@dataclass
class Nginx:
    """nginx in the foreground with a config of ours; `stop` and `start` again at will."""

    root: Path  # its prefix folder: config, logs, temp files
    port: int
    server: str  # the body of the server { } block ("": none, `http` has them)
    http: str = ""  # more of the http { } block
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def access_log(self) -> Path:
        return self.root / "access.log"

    def config(self) -> str:
        user = "user root;\n" if os.geteuid() == 0 else ""  # else workers can't write our tmp
        temp = "".join(
            f"{kind}_temp_path {self.root}/tmp-{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"{user}worker_processes 1;\npid {self.root}/nginx.pid;\n"
            f"error_log {self.root}/error.log;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n include /etc/nginx/mime.types;\n {temp}"
            f" log_format line '$request_method $uri $status';\n"
            f" access_log {self.access_log} line;\n"
            f"{self.http}\n{self._server_block()}}}\n"
        )

    def _server_block(self) -> str:
        if not self.server:
            return ""
        return f" server {{\n  listen 127.0.0.1:{self.port};\n{self.server}\n }}\n"

    def start(self) -> None:
        need_nginx()
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.root / "nginx.conf"
        conf.write_text(self.config())
        log = self.root / "stderr.log"
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [NGINX, "-p", str(self.root), "-c", str(conf), "-g", "daemon off;"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, 10, log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def requests(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []


def htpasswd(path: Path, user: str, password: str) -> None:
    """RFC 2307 {SHA} form, which nginx's auth_basic_user_file reads."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    path.write_text(f"{user}:{{SHA}}{digest}\n")


def weed_binary() -> str | None:
    found = Path(sys.executable).with_name("weed")
    return str(found) if found.exists() else shutil.which("weed")


@dataclass
class SeaweedS3:
    process: subprocess.Popen
    endpoint: str
    access_key: str
    secret_key: str

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}),
        )

    def stored(self, bucket: str, key: str) -> bytes | None:
        """An object's bytes, or None while it is not there (or the server is not)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError):
            return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:  # weed can take its time over SIGTERM
            self.process.kill()
            self.process.wait(10)


def start_seaweed(folder: Path, ports: list[int]) -> SeaweedS3:
    """`weed server` with a master, a volume, a filer and the S3 gateway, all on loopback."""
    folder.mkdir(parents=True, exist_ok=True)
    master, volume, filer, s3 = ports[:4]
    grpc = ports[4:8]
    identities = {
        "identities": [
            {
                "name": "feedsvc",
                "credentials": [{"accessKey": "feedsvc-test", "secretKey": "feedsvc-secret"}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities))
    (folder / "data").mkdir(exist_ok=True)
    log = folder / "weed.log"
    command = [
        weed_binary() or "weed",
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={grpc[0]}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={grpc[1]}",
        "-volume.max=4",
        "-master.volumeSizeLimitMB=64",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={grpc[2]}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={grpc[3]}",
        f"-s3.config={folder / 's3.json'}",
        "-s3.port.iceberg=0",  # off: its fixed port 8181 may be taken
        "-s3.port.lance=0",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(s3, process, 60, log)
    return SeaweedS3(process, f"http://127.0.0.1:{s3}", "feedsvc-test", "feedsvc-secret")
