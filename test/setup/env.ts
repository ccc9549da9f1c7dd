// Per-worker setup: the SDK's own variables point at the moto server, as a user would set them.
import { inject } from 'vitest';
import { awsEnv } from '../helpers/aws.js';

Object.assign(process.env, awsEnv(inject('motoEndpoint')));
