/**
 * 7. Cost per 10,000 calls, from the bytes and requests measured in this run, at the list
 * prices in shared/REFERENCE.md (us-east-1): S3 PUT $0.005 / 1,000, S3 Standard $0.023 /
 * GB-month, CloudWatch Logs ingestion $0.50 / GB (PutLogEvents requests are not billed).
 */
import { round } from './common.js';

const PRICE = { s3PutPer1000: 0.005, s3GbMonth: 0.023, cwIngestGb: 0.5 } as const;
const GB = 1e9;

export function cost(input: {
  eventsPerCall: number;
  storedBytesPerEvent: number;
  rawBytesPerEvent: number;
  s3RequestsPer10kCalls: { voicelake: number; seed: number };
  perEventGzipBytesPerEvent: number;
}) {
  const events = input.eventsPerCall * 10_000;
  const cwBytes = events * (input.rawBytesPerEvent + 26);
  const voicelake = {
    s3Puts: round((input.s3RequestsPer10kCalls.voicelake / 1000) * PRICE.s3PutPer1000, 4),
    s3StoragePerMonth: round(((events * input.storedBytesPerEvent) / GB) * PRICE.s3GbMonth, 4),
    cloudWatchIngestion: round((cwBytes / GB) * PRICE.cwIngestGb, 4),
  };
  const seedDesign = {
    s3Puts: round((input.s3RequestsPer10kCalls.seed / 1000) * PRICE.s3PutPer1000, 4),
    s3StoragePerMonth: round(((events * input.perEventGzipBytesPerEvent) / GB) * PRICE.s3GbMonth, 4),
    cloudWatchIngestion: round((cwBytes / GB) * PRICE.cwIngestGb, 4),
  };
  return {
    prices: PRICE,
    eventsPer10kCalls: Math.round(events),
    voicelake: { ...voicelake, s3Total: round(voicelake.s3Puts + voicelake.s3StoragePerMonth, 4) },
    seedDesign: { ...seedDesign, s3Total: round(seedDesign.s3Puts + seedDesign.s3StoragePerMonth, 4) },
    seedClaimS3Per10kCalls: 0.2,
  };
}
