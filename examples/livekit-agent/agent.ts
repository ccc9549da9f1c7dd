/**
 * A LiveKit voice agent with voicelake wired in. Every job (call) gets its own pipeline:
 * session events go to CloudWatch Logs and the S3 lake (or ./voicelake-data without AWS),
 * and the call summary lands as one `call_ended` row.
 *
 * Run: see README.md next to this file.
 */
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, type JobContext, ServerOptions, voice } from '@livekit/agents';
import { createAnalytics } from 'voicelake';
import { instrumentSession } from 'voicelake/livekit';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    // One pipeline per job process, configured from the environment (ANALYTICS_S3_BUCKET, ...).
    const analytics = createAnalytics();
    await ctx.connect();

    // Models through LiveKit Inference; swap in plugin instances if you use your own keys.
    const session = new voice.AgentSession({
      stt: 'deepgram/nova-3',
      llm: 'openai/gpt-4.1-mini',
      tts: 'cartesia/sonic-2',
    });

    // The one line: call_started, turns, metrics, tool calls, errors and call_ended with the summary.
    // With ctx it also registers a bounded flush at job shutdown.
    instrumentSession(session, { analytics, ctx, shutdownTimeoutMs: 5000 });
    // Then release the pipeline; what is not delivered stays in the spool for the next job.
    ctx.addShutdownCallback(async () => {
      await analytics.close({ timeoutMs: 2000 });
    });

    await session.start({
      agent: new voice.Agent({ instructions: 'You are a friendly support agent. Keep answers short.' }),
      room: ctx.room,
    });
    session.generateReply({ instructions: 'Greet the caller and offer your help.' });
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: 'voicelake-example' }));
}
