"""A Pipecat bot whose traces go to `voicelake collect`.

Tracing is two lines (setup_tracing with an OTLP/HTTP exporter pointed at the collector) and two
arguments of PipelineWorker (enable_tracing, conversation_id: the call id in the lake).
"""

import uuid

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.services.openai.stt import OpenAISTTService
from pipecat.services.openai.tts import OpenAITTSService
from pipecat.transports.base_transport import BaseTransport
from pipecat.utils.tracing.setup import setup_tracing
from pipecat.workers.runner import WorkerRunner

# voicelake: the service name becomes the agent id
setup_tracing("support-bot", exporter=OTLPSpanExporter(endpoint="http://127.0.0.1:4318/v1/traces"))


async def run_bot(transport: BaseTransport) -> None:
    stt, llm, tts = OpenAISTTService(), OpenAILLMService(), OpenAITTSService()
    user, assistant = LLMContextAggregatorPair(LLMContext())
    pipeline = Pipeline([transport.input(), stt, user, llm, tts, transport.output(), assistant])
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
        enable_tracing=True,
        conversation_id=str(uuid.uuid4()),
    )
    runner = WorkerRunner()
    await runner.add_workers(worker)
    await runner.run()
