"""A small TCP proxy on a loopback port for the fault tests (issue 17): threads and sockets.

It forwards bytes both ways between its clients and ``target`` and, when told to, misbehaves:

- :meth:`TcpProxy.cut_next_after` — the next connection's answer (server → client) is cut
  after ``n`` bytes: both sockets are closed, the rest is never delivered;
- :meth:`TcpProxy.refuse` / :meth:`TcpProxy.accept` — the listening socket is closed (a
  connection is refused: ECONNREFUSED) and opened again on the same port.

It knows nothing of TLS or HTTP: with mutual TLS end to end it is a cable that can break.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class TcpProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.target = host, (host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._cut: int | None = None
        self.cut_done = threading.Event()
        self.last_answer_bytes = 0  # what the last connection that ended had answered
        self.answer_ended = threading.Event()  # set when a connection's answer ends
        self._conns: list[socket.socket] = []
        self.accept()

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # -- the listener -----------------------------------------------------------------------
    def accept(self) -> None:
        """Listen (again, on the same port once it had one)."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(16)
            self.port = listener.getsockname()[1]
            self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        """Stop listening and break the open connections: a new one is refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            _close(listener)  # shutdown wakes the thread blocked in accept(): no more LISTEN
        for conn in conns:
            _close(conn)

    def close(self) -> None:
        self.refuse()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- faults -----------------------------------------------------------------------------
    def cut_next_after(self, n: int) -> None:
        """The next connection's answer is cut after ``n`` bytes."""
        with self._lock:
            self._cut = n
            self.cut_done.clear()

    # -- the plumbing -----------------------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused or closed
            try:
                upstream = socket.create_connection(self.target, timeout=30)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                cut, self._cut = self._cut, None
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._answer, args=(upstream, client, cut), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        _close(src, dst)

    def _answer(self, src: socket.socket, dst: socket.socket, cut: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if cut is not None and sent + len(data) > cut:
                    dst.sendall(data[: cut - sent])
                    self.cut_done.set()  # before the client can see the close
                    _close(src, dst)
                    return
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        self.last_answer_bytes = sent
        self.answer_ended.set()
        _close(src, dst)


def _close(*socks: socket.socket) -> None:
    for s in socks:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()
