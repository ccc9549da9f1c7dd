"""A plain Python agent loop reporting to voicelake through `analytics_queue.put` (any framework)."""

from __future__ import annotations

import time

import analytics_queue

CALL, AGENT = "call-42", "support-bot"

analytics_queue.put("call_started", CALL, AGENT, {})
analytics_queue.put("user_turn", CALL, AGENT, {"transcript": "Hi, my email is jane@example.com"})
analytics_queue.put("llm_metrics", CALL, AGENT, {"ttftMs": 240, "promptTokens": 812, "completionTokens": 64})
analytics_queue.put("agent_turn", CALL, AGENT, {"text": "Hello Jane!", "e2eLatencyMs": 910, "interrupted": False})
analytics_queue.put("tool_call", CALL, AGENT, {"toolName": "lookup_order", "isError": False, "durationMs": 120})
analytics_queue.put(
    "call_ended", CALL, AGENT, {"callDurationMs": 61_000, "turns": 1, "interruptions": 0, "closeReason": "user_hangup"}
)
time.sleep(1)  # a real agent keeps running; here, give the background thread time to send
