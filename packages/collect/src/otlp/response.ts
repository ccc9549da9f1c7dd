/** The ExportTraceServiceResponse, encoded as the request was (protobuf or JSON). */
import { create, toBinary } from '@bufbuild/protobuf';
import { ExportTraceServiceResponseSchema } from '../gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';

export type Encoding = 'protobuf' | 'json';

/** Empty when nothing was refused; else `partial_success` with the count and why. */
export function exportResponse(encoding: Encoding, rejected: number, message: string): Buffer {
  const partial = rejected > 0 || message !== '';
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
