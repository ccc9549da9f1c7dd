"""One scripted LiveKit Agents call through the real AgentSession, with fake models, exporting its
OpenTelemetry trace over OTLP/HTTP (protobuf) to `voicelake collect`.

The call: a greeting, a tool call (get_weather), a failing tool (book_table raises ToolError), a long
answer the user interrupts, and a goodbye. It runs under livekit.agents.testing.fake_job_context
(no worker, no room connection), so the spans carry a room sid like a real job's.

Usage: python livekit_call.py ENDPOINT JOB_ID [SPEED] [FAILED_LLM_ATTEMPTS]

FAILED_LLM_ATTEMPTS (default 0): the model's first attempts fail with a dropped connection, and
LiveKit retries them (the first retry is immediate).

Prints one JSON line on stdout: what the spans themselves said (read back through an in-memory
exporter on the same TracerProvider), for the test to compare the lake with.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from livekit.agents import Agent, function_tool  # noqa: E402
from livekit.agents.llm import FunctionToolCall, ToolError  # noqa: E402
from livekit.agents.telemetry import set_tracer_provider  # noqa: E402
from livekit.agents.testing import fake_job_context  # noqa: E402
from livekit_fakes.fake_llm import FakeLLM  # noqa: E402
from livekit_fakes.fake_session import FakeActions, create_session, run_session  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

WEATHER = "It is sunny and 22 degrees in Paris."
NO_TABLE = "There are no tables left tonight."


class ScriptedAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a helpful assistant.")

    @function_tool
    async def get_weather(self, location: str) -> str:
        """Called when the user asks about the weather.

        Args:
            location: The location to get the weather for
        """
        return WEATHER

    @function_tool
    async def book_table(self, people: int) -> str:
        """Book a restaurant table.

        Args:
            people: How many people
        """
        raise ToolError(NO_TABLE)


def script() -> FakeActions:
    a = FakeActions()
    a.add_user_speech(0.5, 1.5, "Hello there.")
    a.add_llm("Hi! How can I help?")
    a.add_tts(1.0)
    a.add_user_speech(4.0, 5.0, "What's the weather in Paris?")
    a.add_llm(
        "",
        tool_calls=[FunctionToolCall(name="get_weather", arguments='{"location": "Paris"}', call_id="w1")],
    )
    a.add_llm("It's sunny in Paris.", input=WEATHER)
    a.add_tts(1.0)
    a.add_user_speech(8.5, 9.5, "Book me a table for two tonight.")
    a.add_llm(
        "Let me check.",
        tool_calls=[FunctionToolCall(name="book_table", arguments='{"people": 2}', call_id="b1")],
    )
    a.add_tts(0.5)
    a.add_llm("Sorry, no tables are left.", input=NO_TABLE)
    a.add_tts(1.0)
    a.add_user_speech(13.5, 14.5, "Tell me a long story.")
    a.add_llm("Once upon a time there was a very long story that never ends.")
    a.add_tts(10.0)
    a.add_user_speech(17.0, 18.0, "Stop. Thanks, goodbye.")
    a.add_llm("Goodbye!")
    a.add_tts(0.5)
    return a


async def main(endpoint: str, job_id: str, speed: float, failed_llm_attempts: int) -> None:
    FakeLLM.fail_attempts = failed_llm_attempts
    memory = InMemorySpanExporter()
    tp = TracerProvider(resource=Resource.create({"service.name": "livekit-test-agent"}))
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    tp.add_span_processor(SimpleSpanProcessor(memory))
    set_tracer_provider(tp)

    with fake_job_context(job_id=job_id) as ctx:
        session = create_session(script(), speed_factor=speed)
        await run_session(session, ScriptedAgent(), drain_delay=2.0 / speed)
        room_sid = ctx.job.room.sid
    tp.force_flush()
    tp.shutdown()

    spans = memory.get_finished_spans()
    agent_turns = sorted((s for s in spans if s.name == "agent_turn"), key=lambda s: s.start_time)
    tools = [s for s in spans if s.name == "function_tool"]
    print(
        json.dumps(
            {
                "roomSid": room_sid,
                "traceId": format(spans[0].context.trace_id, "032x"),
                "spans": len(spans),
                "userTurns": sum(1 for s in spans if s.name == "user_turn"),
                "agentTurns": [
                    {
                        "e2e": s.attributes.get("lk.e2e_latency"),
                        "interrupted": s.attributes.get("lk.interrupted"),
                    }
                    for s in agent_turns
                ],
                "failedLlmAttempts": sum(
                    1
                    for s in spans
                    if s.name == "llm_request_run" and s.status.status_code.name == "ERROR"
                ),
                "tools": [
                    {
                        "name": s.attributes.get("lk.function_tool.name"),
                        "isError": s.attributes.get("lk.function_tool.is_error"),
                    }
                    for s in tools
                ],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1],
            sys.argv[2],
            float(sys.argv[3]) if len(sys.argv) > 3 else 1.0,
            int(sys.argv[4]) if len(sys.argv) > 4 else 0,
        )
    )
