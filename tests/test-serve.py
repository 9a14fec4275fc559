# SPDX-License-Identifier: LGPL-2.1-or-later
"""nnrun serve under attack: path traversal, a 10 MB request header, 1,000
connections at once, clients leaving mid-stream, 10,000 requests; after
each, the server still answers, and its memory stays flat. Also the command
line it refuses.

    python3 test-serve.py NNRUN
"""
import http.client
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

NNRUN = os.path.abspath(sys.argv[1])
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAILED: ") + what, flush=True)
    if not ok:
        failures.append(what)


def start(root, *extra):
    # Under AddressSanitizer, freed memory waits in a quarantine of 256 MB
    # before it is reused: without one, the resident size says what it
    # says in a plain build. (Other programs ignore the variable.)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                 "quarantine_size_mb=0"]))
    proc = subprocess.Popen([NNRUN, "serve", root, "--port", "0", *extra],
                            stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.search(r"http://([^:/]+):(\d+)/", line)
    if not m:
        proc.kill()
        raise SystemExit("no URL printed: %r" % line)
    return proc, m.group(1), int(m.group(2))


def get(port, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def raw(port, data, timeout=20):
    """Sends @data as it is; the response, or b'' if the server closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:  # the status and headers are enough
                break
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def alive(proc, port, what):
    status, body = get(port, "/api/runs")
    check(proc.poll() is None and status == 200 and b'"runs"' in body,
          "after %s, the server still answers" % what)


def traversal(proc, port, root):
    status, body = get(port, "/files/0/iris/config.yaml")
    check(status == 200 and b"name: iris" in body, "a file inside the root is served")
    for path in ["/files/0/../secret.txt", "/files/0/%2e%2e/secret.txt",
                 "/files/0/%2E%2E%2Fsecret.txt", "/files/0/iris/..%2f..%2fsecret.txt",
                 "/files/0/iris/%2e%2e/%2e%2e/secret.txt", "/files/0/out/secret.txt",
                 "/files/0/iris/leak.txt", "/files/1/secret.txt", "/files/-1/secret.txt",
                 "/files/0/iris/config.yaml%00", "/files/0//iris/config.yaml",
                 "/files/%30/../secret.txt",
                 "/files/0%2f..%2fsecret.txt", "/../secret.txt", "/%2e%2e/secret.txt",
                 "/api/history?run=0/..", "/api/history?run=0/out", "/api/history?run=0/%2e%2e",
                 "/files/0/iris", "/files/0"]:
        status, body = get(port, path)
        check(status >= 400 and b"TOP SECRET" not in body,
              "%s is refused (%d)" % (path, status))
    status, _ = get(port, "/api/runs", "POST")
    check(status == 405, "POST is refused with 405")
    for junk in [b"GARBAGE\r\n\r\n", b"GET /\x00 HTTP/1.1\r\n\r\n", b"\xff\xfe\r\n\r\n",
                 b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", b"GET /api/history?run=%zz HTTP/1.1\r\n\r\n"]:
        out = raw(port, junk, timeout=5)
        check(out == b"" or re.match(rb"HTTP/1\.[01] [45]\d\d", out) is not None,
              "%r gets an HTTP error or a closed connection: %r" % (junk, out[:30]))
    alive(proc, port, "the traversals and malformed requests")


def big_header(proc, port):
    request = (b"GET /api/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (10 << 20) +
               b"\r\n\r\n")
    out = raw(port, request, timeout=30)
    check(not out.startswith(b"HTTP/1.1 200"), "a 10 MB header is not answered as a request: %r"
          % out[:40])
    alive(proc, port, "a 10 MB header")


def many_connections(proc, port, n=1000):
    start_time = time.monotonic()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        socks.append(s)
    for s in socks:
        s.sendall(b"GET /api/runs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    ok = 0
    for s in socks:
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        ok += out.startswith(b"HTTP/1.1 200")
        s.close()
    seconds = time.monotonic() - start_time
    # A connection dropped from a short backlog is tried again 1, 3, 7... s later.
    check(ok == n and seconds < 10, "%d connections at once: %d answered 200 in %.1f s"
          % (n, ok, seconds))
    alive(proc, port, "%d connections" % n)


def streams(proc, port, root):
    # Clients that leave mid-stream, one of them while an event is sent.
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
        head = s.recv(4096)
        if i == 0:
            check(head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head,
                  "/api/events opens a stream")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    # An event to a client that stays: it comes within a second of the change.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(4096)
    t = time.monotonic()
    os.mkdir(os.path.join(root, "new-dir"))
    got = b""
    while b"event: change" not in got and time.monotonic() - t < 5:
        got += s.recv(4096)
    check(b"event: change" in got and time.monotonic() - t < 1,
          "a change is an event within a second (%.2f s)" % (time.monotonic() - t))
    s.close()
    os.rmdir(os.path.join(root, "new-dir"))
    time.sleep(0.5)
    alive(proc, port, "clients leaving mid-stream")


def memory(proc, port, n=10000):
    paths = ["/api/runs", "/", "/app.js", "/files/0/iris/history.csv", "/api/history?run=0/iris",
             "/files/0/../secret.txt", "/nothing"]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    before = None
    for i in range(n):
        if i == 1000:
            before = rss_kb(proc.pid)
        c.request("GET", paths[i % len(paths)])
        c.getresponse().read()
        if i % 100 == 99:  # new connections too
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    after = rss_kb(proc.pid)
    # Allocator noise is some hundreds of kB; a leak of a response a
    # request would be megabytes.
    check(after - before < 1024,
          "RSS over %d requests: %d kB after 1,000, %d kB after all" % (n, before, after))
    alive(proc, port, "%d requests" % n)


def command_line(root, port):
    for args, what in [(["--port", str(port)], "a port in use"),
                       (["--port", "70000"], "a port out of range"),
                       (["--port", "x"], "a port that is no number"),
                       (["--address", "nowhere"], "an address that is none"),
                       (["--bogus"], "an unknown option")]:
        r = subprocess.run([NNRUN, "serve", root, *args], capture_output=True, text=True,
                           timeout=10)
        check(r.returncode == 2 and "nnrun" in r.stderr and len(r.stderr) < 4000,
              "%s: exit status 2 (%d): %s" % (what, r.returncode, r.stderr.splitlines()[0]))
    r = subprocess.run([NNRUN, "serve", os.path.join(root, "missing")], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 2 and "missing" in r.stderr, "a missing DIR: exit status 2")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    top = tempfile.mkdtemp(prefix="nn-serve-")
    root = os.path.join(top, "runs")
    try:
        os.mkdir(root)
        subprocess.run([NNRUN, "train", os.path.join(os.environ["NN_SOURCE_ROOT"], "configs", "iris.yaml"),
                        "-q", "--set", "train.epochs=5", "--out", os.path.join(root, "iris")],
                       check=True)
        with open(os.path.join(top, "secret.txt"), "w") as f:
            f.write("TOP SECRET\n")
        os.symlink(top, os.path.join(root, "out"))
        os.symlink(os.path.join(top, "secret.txt"), os.path.join(root, "iris", "leak.txt"))
        proc, host, port = start(root)
        check(host == "127.0.0.1", "listens on 127.0.0.1 by default")
        try:
            traversal(proc, port, root)
            big_header(proc, port)
            many_connections(proc, port)
            streams(proc, port, root)
            memory(proc, port)
            command_line(root, port)
        finally:
            proc.terminate()
            check(proc.wait(timeout=10) == 0, "SIGTERM stops the server, exit status 0")
    finally:
        shutil.rmtree(top)
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)


main()
