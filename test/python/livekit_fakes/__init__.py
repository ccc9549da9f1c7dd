"""Fake models and audio I/O for LiveKit Agents, copied from livekit/agents tests/fake_*.py
(Apache-2.0, (c) LiveKit, Inc.) at the 1.7.0 tag of the repository, unchanged: subclasses of the
framework's own llm.LLM, stt.STT, tts.TTS, vad.VAD and io.AudioInput/AudioOutput/TextOutput that
play a scripted timeline (FakeActions) through a real AgentSession. Test code only."""
