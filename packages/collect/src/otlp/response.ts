/** The ExportTraceServiceResponse, encoded as the request was (protobuf or JSON). */
import { create, toBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceResponseSchema } from '../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';

export type Encoding = 'protobuf' | 'json';

/** The answer to nearly every request (nothing refused): encoded once. */
const EMPTY: Record<Encoding, Buffer> = {
  json: Buffer.from('{}'),
  protobuf: Buffer.from(
    toBinary(ExportTraceServiceResponseSchema, create(ExportTraceServiceResponseSchema, {})),
  ),
};

/** Empty when nothing was refused; else `partial_success` with the count and why. */
export function exportResponse(encoding: Encoding, rejected: number, message: string): Buffer {
  const partial = rejected > 0 || message !== '';
  if (!partial) return EMPTY[encoding];
  if (encoding === 'json')
    return Buffer.from(
      JSON.stringify(
        partial ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } } : {},
      ),
    );
  const response = create(
    ExportTraceServiceResponseSchema,
    partial ? { partialSuccess: { rejectedSpans: BigInt(rejected), errorMessage: message } } : {},
  );
  return Buffer.from(toBinary(ExportTraceServiceResponseSchema, response));
}
