"""One scripted Pipecat call through a real PipelineWorker (enable_tracing), exporting its trace over
OTLP/HTTP (protobuf) to `voicelake collect`.

Pipecat's real OpenAISTTService / OpenAILLMService / OpenAITTSService talk to a fake OpenAI server on
loopback (fake_openai.py); fake transports play the user's speech as tone on a timeline and the bot's
audio in real time (pipecat_fakes.py). The call: a greeting, a tool call (get_weather), a failing
tool (book_table raises), a long answer the user interrupts, and a goodbye.

Usage: python pipecat_call.py ENDPOINT CONVERSATION_ID

Prints one JSON line on stdout: what the spans themselves said (an in-memory exporter on the same
TracerProvider), for the test to compare the lake with.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("LOGURU_LEVEL", "WARNING")

from fake_openai import FakeOpenAI, Reply, Script  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from pipecat.adapters.llm.schemas.function_schema import FunctionSchema  # noqa: E402
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema  # noqa: E402
from pipecat.frames.frames import EndFrame  # noqa: E402
from pipecat.pipeline.pipeline import Pipeline  # noqa: E402
from pipecat.pipeline.worker import PipelineParams, PipelineWorker  # noqa: E402
from pipecat.processors.aggregators.llm_context import LLMContext  # noqa: E402
from pipecat.processors.aggregators.llm_response_universal import (  # noqa: E402
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.services.llm_service import FunctionCallParams  # noqa: E402
from pipecat.services.openai.llm import OpenAILLMService  # noqa: E402
from pipecat.services.openai.stt import OpenAISTTService  # noqa: E402
from pipecat.services.openai.tts import OpenAITTSService  # noqa: E402
from pipecat.turns.user_stop.speech_timeout_user_turn_stop_strategy import (  # noqa: E402
    SpeechTimeoutUserTurnStopStrategy,
)
from pipecat.turns.user_turn_strategies import UserTurnStrategies  # noqa: E402
from pipecat.utils.tracing.setup import setup_tracing  # noqa: E402
from pipecat.workers.runner import WorkerRunner  # noqa: E402
from pipecat_fakes import FakeTransport, ToneVAD  # noqa: E402

SPEECH = [(0.5, 1.5), (4.5, 5.5), (9.0, 10.0), (13.5, 14.5), (17.5, 18.5)]
END = 22.0
SCRIPT = Script(
    transcripts=[
        "Hello there.",
        "What's the weather in Paris?",
        "Book me a table for two tonight.",
        "Tell me a long story.",
        "Stop. Thanks, goodbye.",
    ],
    replies=[
        Reply(when="Hello there", content="Hi! How can I help?"),
        Reply(
            when="weather in Paris",
            tool_calls=[{"id": "call_w1", "name": "get_weather", "arguments": '{"location": "Paris"}'}],
        ),
        Reply(when="sunny", content="It's sunny in Paris."),
        Reply(
            when="Book me a table",
            tool_calls=[{"id": "call_b1", "name": "book_table", "arguments": '{"people": 2}'}],
        ),
        Reply(when="failed and returned no result", content="Sorry, no tables are left."),
        Reply(when="long story", content="Once upon a time there was a very long story that never ends."),
        Reply(when="goodbye", content="Goodbye!"),
    ],
    speech_seconds={"Once upon a time": 10.0},
    default_speech_seconds=0.4,
)


async def get_weather(params: FunctionCallParams) -> None:
    await params.result_callback({"conditions": "sunny", "temperature": 22})


async def book_table(params: FunctionCallParams) -> None:
    raise RuntimeError("there are no tables left tonight")


def tools() -> ToolsSchema:
    return ToolsSchema(
        standard_tools=[
            FunctionSchema(
                name="get_weather",
                description="Get the weather.",
                properties={"location": {"type": "string"}},
                required=["location"],
            ),
            FunctionSchema(
                name="book_table",
                description="Book a restaurant table.",
                properties={"people": {"type": "integer"}},
                required=["people"],
            ),
        ]
    )


async def main(endpoint: str, conversation_id: str) -> None:
    setup_tracing("pipecat-test-bot", exporter=OTLPSpanExporter(endpoint=endpoint))
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(memory))  # type: ignore[attr-defined]

    fake = FakeOpenAI(SCRIPT)
    base_url = await fake.start()
    stt = OpenAISTTService(api_key="fake", base_url=base_url)
    llm = OpenAILLMService(
        api_key="fake",
        base_url=base_url,
        settings=OpenAILLMService.Settings(system_instruction="You are a helpful assistant."),
    )
    tts = OpenAITTSService(api_key="fake", base_url=base_url)
    llm.register_function("get_weather", get_weather)
    llm.register_function("book_table", book_table)

    context = LLMContext(tools=tools())
    user, assistant = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=ToneVAD(),
            user_turn_strategies=UserTurnStrategies(
                stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.3)]
            ),
        ),
    )
    transport = FakeTransport(SPEECH, END)
    pipeline = Pipeline([transport.input(), stt, user, llm, tts, transport.output(), assistant])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
        enable_tracing=True,
        conversation_id=conversation_id,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    run = asyncio.create_task(runner.run())
    await transport.input().done.wait()
    await worker.queue_frame(EndFrame())
    await asyncio.wait_for(run, timeout=30)
    await fake.stop()
    provider.force_flush()  # type: ignore[attr-defined]
    provider.shutdown()  # type: ignore[attr-defined]

    spans = memory.get_finished_spans()
    turns = sorted((s for s in spans if s.name == "turn"), key=lambda s: s.start_time)
    print(
        json.dumps(
            {
                "conversationId": conversation_id,
                "traceId": format(spans[0].context.trace_id, "032x"),
                "spans": len(spans),
                "names": sorted({s.name for s in spans}),
                "userTurns": sum(1 for s in spans if s.name == "stt"),
                "agentTurns": [
                    {
                        "e2e": s.attributes.get("turn.user_bot_latency_seconds"),
                        "interrupted": s.attributes.get("turn.was_interrupted"),
                    }
                    for s in turns
                ],
                "llmInputs": [s.attributes.get("input") for s in spans if s.name == "llm"][-1:],
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
