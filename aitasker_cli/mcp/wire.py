"""Between the stdio transport and the server: every line answered, none dropped in silence.

- A line that is not JSON, or not a JSON-RPC message, is answered with a JSON-RPC error whose
  id is null (JSON-RPC 2.0's parse error, or invalid request), and the server reads on; the
  SDK alone would drop it without a word, leaving a client waiting.
- At end of input, the requests already read are still answered before the server ends: a
  change sent to the API is reported, and `printf '…' | aitasker mcp` gets every answer.
- Stdin is read by a daemon thread (StdinLines), never by a worker the event loop must wait
  for: on SIGTERM the server can end while that read still blocks.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream
from mcp.shared.message import SessionMessage

_POLL_SECONDS = 0.01
"""How often the end of input looks again whether every request has been answered."""
LONGEST_LINE = 16 * 1024 * 1024
"""A message longer than this is not read whole: it is answered as a parse error."""
TOO_LONG = "\x00 (a line over 16 MiB, not read)"
"""What stands for such a line: not JSON, so it is answered with a parse error."""
_CHUNK = 64 * 1024


class Wire:
    """The server's side of the transport: `incoming` to read, `outgoing` to write, and the
    tasks that move messages between them and the transport's streams (`tasks`)."""

    def __init__(self, read: Any, write: Any, log: Callable[[str], None]) -> None:
        self._read = read
        self._write = write
        self._log = log
        self._pending: set[str | int] = set()
        self._in_send, self.incoming = anyio.create_memory_object_stream[Any](0)
        self.outgoing, self._out_receive = anyio.create_memory_object_stream[Any](0)

    @property
    def tasks(self) -> tuple[Callable[[], Coroutine[Any, Any, None]], ...]:
        return (self._forward_in, self._forward_out)

    async def _forward_in(self) -> None:
        async with self._in_send:
            async for item in self._read:
                if isinstance(item, Exception):
                    await self._write.send(SessionMessage(self._malformed(item)))
                    continue
                self._note_incoming(item.message)
                await self._in_send.send(item)
            # End of input: the server ends when `incoming` does, so that waits until every
            # request read has had its answer written.
            while self._pending:
                await anyio.sleep(_POLL_SECONDS)

    async def _forward_out(self) -> None:
        receive: MemoryObjectReceiveStream[Any] = self._out_receive
        async with receive:
            async for item in receive:
                await self._write.send(item)
                message = item.message
                if isinstance(message, types.JSONRPCResponse | types.JSONRPCError):
                    self._pending.discard(message.id)
        await self._write.aclose()  # the transport's writer ends once all is written

    async def close(self) -> None:
        """The server has ended: write out what it wrote, then end the transport's output."""
        await self.outgoing.aclose()

    def _note_incoming(self, message: Any) -> None:
        if isinstance(message, types.JSONRPCRequest):
            self._pending.add(message.id)
        elif (
            isinstance(message, types.JSONRPCNotification)
            and message.method == "notifications/cancelled"
            and isinstance(message.params, dict)
        ):
            # A cancelled request may never be answered: nothing waits for it.
            self._pending.discard(message.params.get("requestId"))

    def _malformed(self, exc: Exception) -> types.JSONRPCError:
        from pydantic import ValidationError

        not_json = isinstance(exc, ValidationError) and any(
            error.get("type") == "json_invalid" for error in exc.errors()
        )
        code, what = (
            (types.PARSE_ERROR, "Parse error: not JSON")
            if not_json
            else (types.INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 message")
        )
        self._log(f"{what}; answered with an error (id null), reading on")
        error = types.ErrorData(code=code, message=what)
        return types.JSONRPCError(jsonrpc="2.0", id=None, error=error)


class StdinLines:
    """Stdin's lines, for the SDK's stdio transport: read from descriptor 0 by a daemon thread,
    so a read that still blocks never keeps the process alive once the server is done.

    Raw `os.read` (no buffered reader, whose lock a daemon thread could hold at exit); blank
    lines are skipped, a line past LONGEST_LINE becomes TOO_LONG.
    """

    def __init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[str](0)

    async def __aenter__(self) -> StdinLines:
        token = anyio.lowlevel.current_token()
        threading.Thread(target=self._read, args=(token,), name="mcp-stdin", daemon=True).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop: the transport's reader ends (the thread ends at its next line, or with us)."""
        await self._send.aclose()
        await self._receive.aclose()

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    def _read(self, token: Any) -> None:
        try:
            for line in _lines(0):
                anyio.from_thread.run(self._send.send, line, token=token)
        except Exception:  # the loop is gone or the stream closed: nobody reads any more
            return
        finally:
            with contextlib.suppress(Exception):  # already closed, or the loop is gone
                anyio.from_thread.run(self._send.aclose, token=token)


def _lines(descriptor: int) -> Iterator[str]:
    """The non-blank lines read from `descriptor`, decoded as UTF-8 (bad bytes replaced)."""
    pending = bytearray()
    skipping = False  # the rest of a line too long to keep
    while True:
        try:
            chunk = os.read(descriptor, _CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            if pending.strip() and not skipping:
                yield pending.decode("utf-8", errors="replace")
            return
        searched = len(pending)
        pending += chunk
        while (end := pending.find(b"\n", searched)) >= 0:
            line = bytes(pending[:end])
            del pending[: end + 1]
            searched = 0
            if skipping:
                skipping = False
            elif line.strip():
                yield line.decode("utf-8", errors="replace")
        if len(pending) > LONGEST_LINE:
            if not skipping:
                yield TOO_LONG
            skipping = True
            pending.clear()
