"""A small real SMTP server for tests: it stands in for the mail provider (the outside world).

It speaks enough SMTP for ``smtplib`` (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps
every accepted message, and can refuse the next ``fail_next`` messages with a temporary
``451`` error, the way a provider under load does.
"""

from __future__ import annotations

import email
import socketserver
import threading
from email import policy
from typing import Self


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: SMTPServer = self.server.owner
        self.reply("220 test-smtp ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test-smtp")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with server.lock:
                    refuse = server.fail_next > 0
                    if refuse:
                        server.fail_next -= 1
                        server.refused += 1
                    else:
                        server.messages.append(email.message_from_bytes(b"".join(data), policy=policy.default))
                self.reply("451 Try again later" if refuse else "250 Queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Not implemented")


class SMTPServer:
    def __init__(self, fail_next: int = 0):
        self.fail_next = fail_next
        self.refused = 0
        self.messages: list = []
        self.lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
