/**
 * voicelake-collect: an OTLP/HTTP receiver that turns LiveKit Agents (Python) and Pipecat traces
 * into voicelake events. The mappings, the call state and the HTTP handling are internal.
 */

export { main as collectMain } from './bin.js';
export type { CollectorStats } from './collector.js';
export { type CollectOptions, type RunningCollector, startCollector } from './start.js';
