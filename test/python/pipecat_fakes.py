"""Fake audio I/O for Pipecat (test code): an input transport that plays a scripted timeline of
tone (the user speaking) and silence in real time, an output transport that "plays" the bot's
audio in real time, and a VAD analyzer that calls the tone speech. Subclasses of Pipecat's own
BaseInputTransport / BaseOutputTransport / BaseTransport / VADAnalyzer, modelled on its
LocalAudioTransport."""

from __future__ import annotations

import asyncio
import math
import struct

from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams
from pipecat.frames.frames import InputAudioRawFrame, OutputAudioRawFrame, StartFrame
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

RATE = 16000
FRAME_SECONDS = 0.02


def _tone(samples: int, offset: int) -> bytes:
    return b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * (offset + i) / RATE)))
        for i in range(samples)
    )


class ToneVAD(VADAnalyzer):
    """Speech is any 20 ms frame whose samples are not all near zero."""

    def __init__(self) -> None:
        super().__init__(
            sample_rate=RATE,
            params=VADParams(confidence=0.5, start_secs=0.1, stop_secs=0.2, min_volume=0.0),
        )

    def num_frames_required(self) -> int:
        return int(self.sample_rate * FRAME_SECONDS)

    def voice_confidence(self, buffer: bytes) -> float:
        peak = max((abs(v) for (v,) in struct.iter_unpack("<h", buffer[: len(buffer) // 2 * 2])), default=0)
        return 1.0 if peak > 1000 else 0.0


class TimelineInput(BaseInputTransport):
    """Plays `speech` (a list of (start, end) seconds) as tone, silence elsewhere, until `end`."""

    def __init__(self, params: TransportParams, speech: list[tuple[float, float]], end: float) -> None:
        super().__init__(params)
        self._speech = speech
        self._end = end
        self._task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        if self._task is None:
            self._task = asyncio.create_task(self._play())

    async def _play(self) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        n = int(RATE * FRAME_SECONDS)
        i = 0
        while i * FRAME_SECONDS < self._end:
            at = i * FRAME_SECONDS
            speaking = any(s <= at < e for s, e in self._speech)
            audio = _tone(n, i * n) if speaking else b"\x00\x00" * n
            await self.push_audio_frame(InputAudioRawFrame(audio=audio, sample_rate=RATE, num_channels=1))
            i += 1
            await asyncio.sleep(max(0.0, t0 + i * FRAME_SECONDS - loop.time()))
        self.done.set()

    async def cleanup(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await super().cleanup()


class RealTimeOutput(BaseOutputTransport):
    """Takes the bot's audio as fast as a speaker would play it."""

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        await asyncio.sleep(len(frame.audio) / (frame.sample_rate * 2 * frame.num_channels))
        return True


class FakeTransport(BaseTransport):
    def __init__(self, speech: list[tuple[float, float]], end: float) -> None:
        super().__init__()
        self._params = TransportParams(audio_in_enabled=True, audio_out_enabled=True, audio_in_sample_rate=RATE)
        self._input = TimelineInput(self._params, speech, end)
        self._output = RealTimeOutput(self._params)

    def input(self) -> TimelineInput:
        return self._input

    def output(self) -> FrameProcessor:
        return self._output
