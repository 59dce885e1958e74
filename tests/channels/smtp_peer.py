"""A real SMTP server for the outbox tests: aiosmtpd on 127.0.0.1, in a thread of the test.

It records every message it accepts (envelope and raw bytes, as they came over the wire) and can
be told to refuse at RCPT or DATA with any answer, to drop the connection after the data, or be
stopped and started again on the same port (the server down, then back).
"""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self):
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def text(self) -> str:
        """The text body as the customer reads it (a 7bit body keeps the wire's CRLF)."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class Recorder:
    received: list[Received] = field(default_factory=list)
    # "" accepts; "451 4.3.0 Try later" / "550 5.1.1 No such user" refuses at that step.
    rcpt_answer: str = ""
    data_answer: str = ""
    drop_after_data: bool = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_answer:
            return self.data_answer
        if self.drop_after_data:
            # The server hangs up before answering: the client cannot know whether it was taken.
            server.transport.close()
            return "250 never heard"
        # aiosmtpd gives back the data with CRLF line ends as the client sent them.
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued as PEER1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpPeer:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def start(self) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, decode_data=False)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
