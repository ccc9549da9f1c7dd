"""A LiveKit Agents (Python) worker whose traces go to `voicelake collect`.

The three lines under "voicelake" are all there is: LiveKit Agents already traces every session
(turns, transcripts, LLM TTFT, TTS TTFB, end-of-turn delays, tools, interruptions); an OTLP/HTTP
exporter pointed at the collector turns them into voicelake events.
"""

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, inference
from livekit.agents.telemetry import set_tracer_provider
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# voicelake: three lines of tracer setup
provider = TracerProvider(resource=Resource.create({"service.name": "support-agent"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://127.0.0.1:4318/v1/traces")))
set_tracer_provider(provider)


async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(
        stt=inference.STT("deepgram/nova-3"),
        llm=inference.LLM("openai/gpt-4.1-mini"),
        tts=inference.TTS("cartesia/sonic-2"),
    )
    # The session's root span ends with the job: send it before the process goes.
    async def flush_traces() -> None:
        provider.force_flush()

    ctx.add_shutdown_callback(flush_traces)
    await session.start(agent=Agent(instructions="You are a helpful voice assistant."), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, agent_name="support-agent"))
