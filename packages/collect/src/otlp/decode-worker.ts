/**
 * The decoding thread (see decode-pool.ts): request bodies in, decoded spans out, so the event
 * loop that maps, tracks and answers does not also parse protobuf and JSON.
 */
import { parentPort } from 'node:worker_threads';
import { type DecodeReply, type DecodeRequest, decodeBody, type WorkerMessage } from './decode-body.js';

const port = parentPort;
if (port === null) throw new Error('decode-worker.js runs as a worker thread');
port.on('message', (request: DecodeRequest) => {
  let reply: DecodeReply;
  try {
    reply = { id: request.id, ok: true, decoded: decodeBody(request.encoding, request.body) };
  } catch (error) {
    reply = { id: request.id, ok: false, message: (error as Error).message };
  }
  port.postMessage(reply);
});
// Loaded: the pool's `ready()` resolves.
const ready: WorkerMessage = { ready: true };
port.postMessage(ready);
