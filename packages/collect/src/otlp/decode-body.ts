/** One request body to spans, by its encoding: the same on the decoding thread and inline. */
import { decodeJson } from './decode-json.js';
import { decodeProtobuf } from './decode-protobuf.js';
import type { Decoded } from './model.js';
import type { Encoding } from './response.js';

export interface DecodeRequest {
  readonly id: number;
  readonly encoding: Encoding;
  readonly body: Uint8Array;
}

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly decoded: Decoded }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** What the decoding thread posts: a reply, or once, when its code has loaded, `{ ready: true }`. */
export type WorkerMessage = DecodeReply | { readonly ready: true };

/** Throws (a malformed body: 400) on anything not well-formed, invalid UTF-8 included. */
export function decodeBody(encoding: Encoding, body: Uint8Array): Decoded {
  return encoding === 'json' ? decodeJson(utf8(body)) : decodeProtobuf(body);
}

/** The body as text; throws when it is not valid UTF-8. */
export function utf8(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new Error('the body is not valid UTF-8');
  }
}
