"""Fake models and audio I/O for LiveKit Agents, copied unchanged from livekit/agents
tests/fake_{io,llm,stt,tts,vad,session}.py (Apache-2.0, (c) LiveKit, Inc.; repository commit
da6af86ac): subclasses of the framework's own llm.LLM, stt.STT, tts.TTS, vad.VAD and
io.AudioInput/AudioOutput/TextOutput that play a scripted timeline (FakeActions) through a real
AgentSession. Test code only; they run unchanged against livekit-agents 1.8.9."""
