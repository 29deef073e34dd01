#!/usr/bin/env python3
"""lifecycle.py - socket life-cycle checks run through netcon (tests/suites/transfer.sh).

  lifecycle.py timewait HOST PORT
      A client bound to HOST:PORT+1 connects to a listener on PORT and closes
      first (its side enters TIME_WAIT); 40 more connections follow, so that
      the first one has left lwIP's own TIME_WAIT list for the service's table
      (src/service/timewait.c). A new socket bound to PORT+1 must then get
      EADDRNOTAVAIL from connect(), as Linux answers within the same second,
      and must connect once more than a second has passed (reuse as Linux's
      tcp_tw_reuse does).

  lifecycle.py timewait-held HOST PORT
      A client shuts down first; the server sends 9 MiB and closes. The client
      reads nothing yet, so the end-of-file cannot be delivered and the
      service still holds the connection while lwIP has it in TIME_WAIT.
      After 40 more connections and 2.5 s the service has dropped that
      TIME_WAIT connection from lwIP; the client must then read all 9 MiB
      and end-of-file, and the service must go on serving (run under ASan by
      the sanitizers suite, which would report a use of the freed PCB).

  lifecycle.py fd-limit HOST PORT
      With every descriptor of the process in use, socket() and accept()
      fail with EMFILE, as the kernel's do (netcon's socket may come from a
      spare, and accept's descriptor rides on a message), and the connection
      waiting to be accepted stays queued: with descriptors free again,
      accept() returns it and it carries data.

  lifecycle.py spare-fork HOST PORT
      After a connect() the process holds a spare socket for its next
      socket() call. Parent and child of a fork() each create and connect a
      socket: both must be distinct, working connections (a child reusing the
      parent's spare would name the parent's socket).

Prints what it checked; exits 1 with the reason on the first mismatch.
"""
import errno
import os
import socket
import sys
import time


def die(msg):
    print("lifecycle: " + msg)
    sys.exit(1)


def listener(host, port):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((host, port))
    lst.listen(64)
    lst.settimeout(5)
    return lst


def client(host, bind_port):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.settimeout(5)
    c.bind((host, bind_port))
    return c


def first_connection(lst, host, port):
    """The process's first connection (its reply brings a spare socket along): both ends."""
    c = socket.create_connection((host, port), timeout=5)
    s, _ = lst.accept()
    return c, s


def carries(c, s, word, why):
    """c sends a word that s must receive; both are closed after."""
    c.sendall(word)
    s.settimeout(5)
    if s.recv(16) != word:
        die(why)
    c.close()
    s.close()


def closed_by_client_first(lst, host, port, bind_port):
    """One connection whose client closes first, then its server side."""
    c = client(host, bind_port)
    c.connect((host, port))
    s, _ = lst.accept()
    c.close()
    s.settimeout(5)
    if s.recv(1) != b"":
        die("expected end-of-file on the server side")
    s.close()


def timewait(host, port):
    lst = listener(host, port)
    start = time.monotonic()
    closed_by_client_first(lst, host, port, port + 1)
    for _ in range(40):
        closed_by_client_first(lst, host, port, 0)
    time.sleep(0.1)  # the last FIN/ACKs settle: every client is in TIME_WAIT
    c = client(host, port + 1)
    try:
        c.connect((host, port))
        die("connect() reused a 4-tuple in TIME_WAIT after %.2f s" % (time.monotonic() - start))
    except OSError as e:
        if e.errno != errno.EADDRNOTAVAIL:
            die("connect() in TIME_WAIT: %s, expected EADDRNOTAVAIL" % errno.errorcode.get(e.errno))
    c.close()
    elapsed = time.monotonic() - start
    if elapsed > 0.9:
        die("too slow to tell (%.2f s): the 4-tuple may be reusable already" % elapsed)
    time.sleep(1.2)
    c = client(host, port + 1)
    c.connect((host, port))
    s, peer = lst.accept()
    if peer[1] != port + 1:
        die("accepted peer port %d, expected %d" % (peer[1], port + 1))
    carries(c, s, b"again", "no data over the reused 4-tuple")
    lst.close()
    print("lifecycle: OK EADDRNOTAVAIL inside TIME_WAIT (41 closed before), reused after 1 s")


def timewait_held(host, port):
    lst = listener(host, port)
    held = client(host, 0)
    held.connect((host, port))
    s, _ = lst.accept()
    held.shutdown(socket.SHUT_WR)  # our FIN first: ours becomes the TIME_WAIT side
    s.settimeout(5)
    if s.recv(1) != b"":
        die("the server did not see our FIN")
    size = 9 << 20  # fits the socketpair and lwIP's window, so the FIN arrives
    s.sendall(bytes(range(256)) * (size // 256))
    s.close()
    name = held.getsockname()
    time.sleep(0.5)
    for _ in range(40):
        closed_by_client_first(lst, host, port, 0)
    time.sleep(2.5)
    if held.getsockname() != name:
        die("getsockname() changed on the held socket")
    held.settimeout(5)
    got = 0
    while True:
        chunk = held.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    if got != size:
        die("the held socket read %d bytes, expected %d" % (got, size))
    held.close()
    c = socket.create_connection((host, port), timeout=5)
    s, _ = lst.accept()
    carries(c, s, b"still", "the service stopped carrying data")
    lst.close()
    print("lifecycle: OK a socket held through TIME_WAIT outlives its PCB")


def fd_limit(host, port):
    import resource
    lst = listener(host, port)
    first, a = first_connection(lst, host, port)
    pending = socket.create_connection((host, port), timeout=5)  # waits in the queue
    time.sleep(0.2)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256), hard))
    fillers = []
    try:
        while True:
            fillers.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        if e.errno != errno.EMFILE:
            die("filling the descriptor table: %s" % e)
    for what, call in (("socket()", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
                       ("accept()", lst.accept)):
        try:
            call()
            die("%s succeeded with no descriptor free" % what)
        except OSError as e:
            if e.errno != errno.EMFILE:
                die("%s with no descriptor free: %s, expected EMFILE" % (what, errno.errorcode.get(e.errno)))
    for fd in fillers:
        os.close(fd)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    s, peer = lst.accept()
    if peer != pending.getsockname():
        die("accept() at the limit lost the waiting connection (got %r)" % (peer,))
    carries(pending, s, b"room", "no data on the connection that waited")
    for x in (first, a, lst):
        x.close()
    print("lifecycle: OK EMFILE from socket() and accept() at the descriptor limit, nothing lost")


def spare_fork(host, port):
    lst = listener(host, port)
    first, a = first_connection(lst, host, port)
    pid = os.fork()
    if pid == 0:
        try:
            c = socket.create_connection((host, port), timeout=5)
            c.sendall(b"child")
            c.close()
            os._exit(0)
        except OSError as e:
            print("lifecycle: child: %s" % e)
            os._exit(1)
    p = socket.create_connection((host, port), timeout=5)
    p.sendall(b"parent")
    got = set()
    for _ in range(2):
        s, _ = lst.accept()
        s.settimeout(5)
        data = b""
        while True:
            chunk = s.recv(16)
            if not chunk:
                break
            data += chunk
            if data in (b"child", b"parent"):
                break
        got.add(data)
        s.close()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        die("the child could not connect")
    if got != {b"child", b"parent"}:
        die("accepted %r, expected one connection from each process" % sorted(got))
    first.sendall(b"x")
    a.settimeout(5)
    if a.recv(1) != b"x":
        die("the first connection stopped working")
    for s in (p, first, a, lst):
        s.close()
    print("lifecycle: OK parent and child after fork each connected their own socket")


if __name__ == "__main__":
    checks = {"timewait": timewait, "timewait-held": timewait_held, "fd-limit": fd_limit,
              "spare-fork": spare_fork}
    if len(sys.argv) != 4 or sys.argv[1] not in checks:
        print(__doc__)
        sys.exit(2)
    checks[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
