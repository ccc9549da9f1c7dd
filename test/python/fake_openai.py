"""A fake OpenAI-compatible HTTP server on loopback, for Pipecat's real OpenAI services (test code).

- POST /v1/audio/transcriptions: the next scripted user line, in order ({"text": ...}).
- POST /v1/chat/completions (stream): a scripted answer chosen from the last message (a user line
  or a tool result), streamed as chunks, with tool calls and a usage chunk like OpenAI's.
- POST /v1/audio/speech: raw 24 kHz 16-bit PCM silence, as long as the script says for that text.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """What the fake LLM answers to a message containing `when`."""

    when: str
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Script:
    transcripts: list[str]
    replies: list[Reply]
    speech_seconds: dict[str, float]
    default_speech_seconds: float = 1.0
    ttft: float = 0.05


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: dict | None = None) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-llm-1",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n".encode()


class FakeOpenAI:
    def __init__(self, script: Script) -> None:
        self.script = script
        self._next_transcript = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/audio/speech", self._speech)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _transcribe(self, request: web.Request) -> web.Response:
        await request.read()
        lines = self.script.transcripts
        text = lines[self._next_transcript] if self._next_transcript < len(lines) else ""
        self._next_transcript += 1
        return web.json_response({"text": text})

    def _reply_for(self, messages: list[dict[str, Any]]) -> Reply:
        last = messages[-1] if messages else {}
        content = last.get("content")
        text = content if isinstance(content, str) else json.dumps(content)
        for reply in self.script.replies:
            if reply.when in text:
                return reply
        return Reply(when="", content="Sorry?")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        reply = self._reply_for(body.get("messages", []))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(self.script.ttft)
        await response.write(_chunk({"role": "assistant", "content": ""}))
        for i in range(0, len(reply.content), 8):
            await response.write(_chunk({"content": reply.content[i : i + 8]}))
        for index, call in enumerate(reply.tool_calls):
            delta = {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                ]
            }
            await response.write(_chunk(delta))
        await response.write(_chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        usage = {
            "prompt_tokens": 40,
            "completion_tokens": 10,
            "total_tokens": 50,
            "prompt_tokens_details": {"cached_tokens": 16},
        }
        await response.write(_chunk(None, usage=usage))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        text = body.get("input", "")
        seconds = next((s for t, s in self.script.speech_seconds.items() if t in text), self.script.default_speech_seconds)
        response = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
        await response.prepare(request)
        await asyncio.sleep(self.script.ttft)
        total = int(24000 * seconds) * 2
        chunk = 4800
        for offset in range(0, total, chunk):
            await response.write(b"\x00" * min(chunk, total - offset))
        await response.write_eof()
        return response
