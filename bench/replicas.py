"""Benchmark: replicas on one PostgreSQL state, how soon all serve a change, how soon
another takes over when the builder is killed.

Starts a throwaway PostgreSQL cluster on 127.0.0.1 (Debian's postgresql), a generated
store of --articles stories and --replicas `feedsvc run` processes sharing it, each
with a publish folder of its own (as on machines of their own). Then:
- --posts times, an article is POSTed to the ingest API of a replica that does not
  lead, alternating; timed from just before the POST: its answer (the feeds built and
  published where it was received), and the moment every replica serves the new item.
  The answer is the baseline: the ratio says what serving it everywhere adds.
- --kills times, the leading replica is killed with SIGKILL and an article written
  into the shared store; timed from the kill: another replica logs that it leads, and
  every survivor serves the article. The killed one is started again after each.
  The schedule's --interval is the baseline (the issue's bound: by the next interval).
Every wait is bounded by --timeout seconds.

    .venv/bin/python bench/replicas.py [--replicas 2] [--posts 30] [--kills 3]
"""

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from processes import free_port, stop, wait_for
from push import make_site, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from postgres import cluster

TOKEN = "bench-token"  # push.make_site's


class Replica:
    def __init__(self, number: int, port: int, config: Path, log: Path) -> None:
        self.number, self.config, self.log = number, config, log
        self.url = f"http://127.0.0.1:{port}/"
        self.process: subprocess.Popen | None = None
        self.client = httpx.Client(timeout=5)
        self.etag, self.body = "", b""  # the last main feed it served: polled with If-None-Match

    def start(self, timeout: float) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "feedsvc", "--config", str(self.config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self.serves(b"<rss"), timeout, f"replica {self.number} serving")

    def leads(self) -> bool:
        return f"process {self.process.pid} runs the schedule" in self.log.read_text()

    def serves(self, text: bytes) -> bool:
        try:
            reply = self.client.get(
                self.url + "feeds/main.rss", headers={"If-None-Match": self.etag}
            )
        except httpx.TransportError:
            return False
        if reply.status_code == 200:
            self.etag, self.body = reply.headers.get("etag", ""), reply.content
        return text in self.body


def replicas_of(work: Path, database: str, count: int, interval: float) -> list[Replica]:
    """push.make_site's config once per replica: its own port and publish folder, the
    store and the state shared."""
    shared = (
        (work / "config.toml").read_text().replace("interval = 3600", f"interval = {interval:g}")
    )
    made = []
    for number in range(1, count + 1):
        config, port = work / f"replica{number}.toml", free_port()
        config.write_text(
            shared.replace("port = 0\n", f"port = {port}\nrate_limit = 0\n")
            + f'[state]\nurl = "{database}"\n[[store]]\npath = "{work / "articles"}"\n'
            f'[[publish]]\npath = "{work / f"public{number}"}"\n'
        )
        made.append(Replica(number, port, config, work / f"replica{number}.log"))
    return made


def show(name: str, seconds: list[float], baseline: list[float] | None = None) -> None:
    line = (
        f"  {name:44} median {statistics.median(seconds):6.2f} s   "
        f"max {max(seconds):6.2f} s   p90 {percentile(seconds, 0.9):6.2f} s"
    )
    if baseline:
        line += f"   {statistics.median(seconds) / statistics.median(baseline):.2f}x"
    print(line)


def all_serve(replicas: list[Replica], title: str, timeout: float) -> None:
    marker = f"<title>{title}</title>".encode()
    wait_for(lambda: all(r.serves(marker) for r in replicas), timeout, title)


def one_leads(replicas: list[Replica], timeout: float) -> None:
    wait_for(lambda: any(r.leads() for r in replicas), timeout, "a new leader")


def posts(replicas: list[Replica], count: int, timeout: float) -> None:
    answered, everywhere = [], []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(timeout=timeout) as client:
        for item in range(count):
            others = [r for r in replicas if not r.leads()]
            target = others[item % len(others)]
            title = f"Replica bench post {item}"
            article = {"id": f"post-{item}", "title": title, "body_html": f"<p>{title}.</p>"}
            started = time.monotonic()
            reply = client.post(target.url + "api/articles", json=article, headers=headers)
            answered.append(time.monotonic() - started)
            assert reply.status_code == 201, reply.text
            all_serve(replicas, title, timeout)
            everywhere.append(time.monotonic() - started)
    print(f"{count} posts to the ingest API of a replica that does not lead")
    show("answered (built, published where received)", answered)
    show("every replica serves it (x: of the answer)", everywhere, answered)


def kills(replicas: list[Replica], work: Path, count: int, interval: float, timeout: float):
    takeover, served = [], []
    for round_ in range(count):
        leader = next(r for r in replicas if r.leads())
        survivors = [r for r in replicas if r is not leader]
        title = f"Written after kill {round_}"
        started = time.monotonic()
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait()
        (work / "articles" / f"kill-{round_}.md").write_text(
            f'+++\ntitle = "{title}"\n+++\nThe builder was killed before this story came.\n'
        )
        one_leads(survivors, timeout)
        takeover.append(time.monotonic() - started)
        all_serve(survivors, title, timeout)
        served.append(time.monotonic() - started)
        leader.start(timeout)
    print(f"\nthe builder killed with SIGKILL {count} times, schedule interval {interval:g} s")
    show("another replica leads", takeover, [interval])
    show("every survivor serves a story written then", served, [interval])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-replicas-"))
    make_site(work, 0, args.articles)  # one site: the same base_url on every replica
    replicas: list[Replica] = []
    try:
        with cluster(free_port()) as database:
            for replica in replicas_of(work, database.url, args.replicas, args.interval):
                replicas.append(replica)
                replica.start(args.timeout)
            print(
                f"{args.replicas} replicas, {args.articles} articles, one PostgreSQL on 127.0.0.1\n"
            )
            posts(replicas, args.posts, args.timeout)
            kills(replicas, work, args.kills, args.interval, args.timeout)
            for replica in replicas:
                stop(replica.process)
    finally:
        for replica in replicas:
            if replica.process is not None and replica.process.poll() is None:
                replica.process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
