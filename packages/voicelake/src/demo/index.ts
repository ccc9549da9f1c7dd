/**
 * `voicelake/demo`: seeded, LiveKit-shaped simulated calls, fed through the same call
 * recorder as the LiveKit adapter. Used by `voicelake demo` and the benchmarks.
 */
export { type DemoOptions, generateCalls, seededRandom } from './generator.js';
