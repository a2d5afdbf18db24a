// check.mjs - fidelity check of fake_slack with Slack's official Node clients.
//
// Usage: node check.mjs PORT   (fake_slack already listening on 127.0.0.1:PORT)
// Runs @slack/web-api and @slack/socket-mode against the fake, checks what
// they got and what the fake recorded (through its /_control/ API), prints
// one "ok <name>" or "FAIL <name>: why" line per check and a final
// "checks: N passed, M failed" line; exits 1 when any check failed.
import { LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';

const port = Number(process.argv[2]);
if (!port) {
  console.error('usage: node check.mjs PORT');
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
const BOT = process.env.FAKE_SLACK_BOT_TOKEN || 'xoxb-fake-bot-token';
const APP = process.env.FAKE_SLACK_APP_TOKEN || 'xapp-fake-app-token';

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}

async function control(path, body) {
  const res = await fetch(`${base}/_control/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function expectError(name, promise, code) {
  try {
    await promise;
    check(name, false, 'no error');
  } catch (e) {
    check(name, e.data && e.data.error === code, `got ${e.code} ${e.data && e.data.error}`);
  }
}

async function webApi() {
  const web = new WebClient(BOT, {
    slackApiUrl: `${base}/api/`,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 2, minTimeout: 50, maxTimeout: 200 },
  });
  const auth = await web.auth.test();
  check('auth.test ok', auth.ok && auth.user_id === 'U0FAKEBOT' && auth.bot_id === 'B0FAKEBOT');

  await expectError('invalid_auth', new WebClient('xoxb-wrong', {
    slackApiUrl: `${base}/api/`, logLevel: LogLevel.ERROR,
  }).auth.test(), 'invalid_auth');
  await expectError('xapp token refused for Web API', new WebClient(APP, {
    slackApiUrl: `${base}/api/`, logLevel: LogLevel.ERROR,
  }).auth.test(), 'not_allowed_token_type');

  const name = `inc-${Date.now()}`;
  const created = await web.conversations.create({ name });
  const channel = created.channel.id;
  check('conversations.create', created.ok && created.channel.name === name && /^C/.test(channel));
  await expectError('name_taken', web.conversations.create({ name }), 'name_taken');
  await expectError('invalid_name_specials', web.conversations.create({ name: 'Bad Name' }),
    'invalid_name_specials');

  const inv = await web.conversations.invite({ channel, users: 'U0FAKEALICE,U0FAKEBOB' });
  check('conversations.invite', inv.ok);
  const topic = await web.conversations.setTopic({ channel, topic: 'SEV1: db down' });
  check('conversations.setTopic', topic.ok && topic.channel.topic.value === 'SEV1: db down');

  const posted = await web.chat.postMessage({
    channel,
    text: 'Incident declared',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Incident declared*' } }],
  });
  check('chat.postMessage', posted.ok && /^\d+\.\d{6}$/.test(posted.ts) && posted.channel === channel);
  const reply = await web.chat.postMessage({ channel, text: 'step 1', thread_ts: posted.ts });
  check('chat.postMessage thread', reply.ok && reply.message.thread_ts === posted.ts);
  check('ts unique per channel', reply.ts !== posted.ts && Number(reply.ts) > Number(posted.ts));
  await expectError('no_text', web.chat.postMessage({ channel }), 'no_text');
  await expectError('channel_not_found', web.chat.postMessage({ channel: 'CNOPE', text: 'x' }),
    'channel_not_found');

  const upd = await web.chat.update({ channel, ts: posted.ts, text: 'Incident declared (edited)' });
  check('chat.update', upd.ok && upd.ts === posted.ts);
  const pin = await web.pins.add({ channel, timestamp: posted.ts });
  check('pins.add', pin.ok);
  const user = await web.users.info({ user: 'U0FAKEALICE' });
  check('users.info', user.ok && user.user.name === 'alice');

  const hist = await web.conversations.history({ channel, limit: 2 });
  check('conversations.history newest first', hist.ok && hist.messages.length === 2 &&
    Number(hist.messages[0].ts) > Number(hist.messages[1].ts) && hist.has_more === true,
    JSON.stringify(hist).slice(0, 300));
  // the SDK's paginate() follows response_metadata.next_cursor
  let all = 0;
  for await (const page of web.paginate('conversations.history', { channel, limit: 2 })) {
    all += page.messages.length;
  }
  check('conversations.history pagination', all >= 4, `saw ${all}`);
  const rep = await web.conversations.replies({ channel, ts: posted.ts });
  check('conversations.replies', rep.ok && rep.messages.length === 2 &&
    rep.messages[0].ts === posted.ts && rep.messages[1].ts === reply.ts);

  // 429: the SDK waits Retry-After and retries by itself
  await control('ratelimit', { method: 'chat.postMessage', count: 1, retry_after: 1 });
  let rateLimited = 0;
  web.on(WebClientEvent.RATE_LIMITED, () => rateLimited++);
  const t0 = Date.now();
  const after429 = await web.chat.postMessage({ channel, text: 'after a 429' });
  const waited = Date.now() - t0;
  check('429 retried by the SDK', after429.ok && rateLimited === 1 && waited >= 900,
    `rate_limited events ${rateLimited}, waited ${waited} ms`);

  // files: uploadV2 = getUploadURLExternal, POST upload_url, completeUploadExternal
  const content = '# Postmortem\n\nEverything is fine now.\n';
  const up = await web.filesUploadV2({
    channel_id: channel,
    content,
    filename: 'postmortem.md',
    title: 'Postmortem',
    initial_comment: 'The postmortem',
  });
  const f = up.files && up.files[0] && up.files[0].files && up.files[0].files[0];
  check('filesUploadV2', up.ok && f && /^F/.test(f.id) && f.title === 'Postmortem',
    JSON.stringify(up).slice(0, 300));
  const uploads = await control('uploads');
  check('upload bytes recorded', uploads.items.some((u) => u.bytes === Buffer.byteLength(content) &&
    u.status === 200), JSON.stringify(uploads.items));

  const calls = await control('calls');
  const methods = new Set(calls.items.map((c) => c.method));
  for (const m of ['auth.test', 'conversations.create', 'chat.postMessage', 'files.getUploadURLExternal',
    'files.completeUploadExternal']) {
    check(`recorded ${m}`, methods.has(m));
  }
  check('recorded 429', calls.items.some((c) => c.status === 429 && c.error === 'ratelimited'));
  check('recorded token kinds', calls.items.some((c) => c.token_kind === 'bot') &&
    calls.items.some((c) => c.token_kind === 'invalid'));
  return channel;
}

async function socketMode(channel) {
  const before = (await control('calls?method=apps.connections.open')).items.length;
  const sm = new SocketModeClient({
    appToken: APP,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: `${base}/api/` },
    clientPingTimeout: 1000,
  });
  const got = { message: [], slash: [], interactive: [] };
  sm.on('message', async ({ event, ack, retry_num }) => {
    got.message.push({ event, retry_num });
    await ack();
  });
  sm.on('slash_commands', async ({ body, ack }) => {
    got.slash.push(body);
    await ack({ response_type: 'ephemeral', text: 'Incident declared' });
  });
  sm.on('interactive', async ({ body, ack }) => {
    got.interactive.push(body);
    await ack();
  });
  let connects = 0;
  sm.on('connected', () => connects++);
  // app_mention: the first delivery is left unacked (then acked too large),
  // so the fake must redeliver it with retry_attempt 1, reason "timeout"
  const mentions = [];
  sm.on('app_mention', async ({ event, ack, body, envelope_id, retry_num, retry_reason }) => {
    mentions.push({ event_id: body.event_id, envelope_id, retry_num, retry_reason });
    if (mentions.length === 1) return; // no ack
    if (mentions.length === 2) {
      await sm.send(envelope_id, { text: 'x'.repeat(21000) }); // >= 20 KiB: dropped
      return;
    }
    await ack();
  });
  await sm.start();
  check('socket mode connected (hello)', connects === 1);

  // an events_api message
  const pushed = await control('event', { type: 'message', channel, user: 'U0FAKEALICE',
    text: 'db is down' });
  await waitFor('message event', () => got.message.length >= 1);
  const ev = got.message[0].event;
  check('events_api message received', ev.text === 'db is down' && ev.channel === channel &&
    got.message[0].retry_num === 0);
  const acks1 = await waitFor('ack', async () => {
    const a = await control('acks');
    return a.items.some((x) => x.event_id === pushed.event_id && x.status === 'ok') ? a : null;
  });
  check('events_api ack recorded', !!acks1);

  // a slash command, acked with a response payload
  await control('slash', { command: '/incident', text: 'declare db down sev1', channel_id: channel,
    user_id: 'U0FAKEALICE' });
  await waitFor('slash command', () => got.slash.length >= 1);
  check('slash command received', got.slash[0].command === '/incident' &&
    got.slash[0].text === 'declare db down sev1');
  const acks2 = await waitFor('slash ack', async () => {
    const a = await control('acks');
    return a.items.find((x) => x.type === 'slash_commands');
  });
  check('slash ack with payload recorded', acks2.payload && acks2.payload.text === 'Incident declared');

  // block_actions
  const hist = await new WebClient(BOT, { slackApiUrl: `${base}/api/`, logLevel: LogLevel.ERROR })
    .conversations.history({ channel, limit: 1 });
  await control('block_actions', { channel, message_ts: hist.messages[0].ts, action_id: 'step_done',
    value: 'step-1' });
  await waitFor('block_actions', () => got.interactive.length >= 1);
  check('block_actions received', got.interactive[0].type === 'block_actions' &&
    got.interactive[0].actions[0].action_id === 'step_done');

  // redelivery of unacked events_api envelopes
  await control('config', { redelivery_ms: 300 });
  const m = await control('event', { type: 'app_mention', channel, user: 'U0FAKEALICE',
    text: '<@U0FAKEBOT> status' });
  await waitFor('3 deliveries', () => mentions.length >= 3);
  check('redelivered with retry_attempt', mentions.every((x) => x.event_id === m.event_id) &&
    mentions.map((x) => x.retry_num).join() === '0,1,2' && mentions[1].retry_reason === 'timeout' &&
    new Set(mentions.map((x) => x.envelope_id)).size === 3, JSON.stringify(mentions));
  const acks3 = await waitFor('mention ack', async () => {
    const a = await control('acks');
    return a.items.some((x) => x.event_id === m.event_id && x.status === 'ok') ? a : null;
  });
  check('ack >= 20480 bytes dropped', acks3.items.some((x) => x.status === 'dropped_too_large'));
  await control('config', { redelivery_ms: 3000 });

  // refresh_requested: the SDK reconnects through a new apps.connections.open
  await control('disconnect', { reason: 'refresh_requested' });
  await waitFor('reconnect', () => connects >= 2, 15000);
  const after = (await control('calls?method=apps.connections.open')).items.length;
  check('reconnected after refresh_requested', connects === 2 && after - before === 2,
    `connects ${connects}, apps.connections.open ${after - before}`);
  const n = got.message.length;
  await control('event', { type: 'message', channel, user: 'U0FAKEBOB', text: 'after refresh' });
  await waitFor('message after refresh', () => got.message.length > n);
  check('events after reconnect', got.message[n].event.text === 'after refresh');

  // server pings: the SDK logs each ping it receives (pingPongLoggingEnabled)
  // and reconnects when they stop for serverPingTimeout
  await control('config', { ping_ms: 300 });
  const lines = [];
  const logger = {
    debug: (...m) => lines.push(m.join(' ')), info: () => {}, warn: (...m) => lines.push(m.join(' ')),
    error: () => {}, setLevel: () => {}, getLevel: () => LogLevel.DEBUG, setName: () => {},
  };
  const pinged = new SocketModeClient({
    appToken: APP,
    logger,
    clientOptions: { slackApiUrl: `${base}/api/`, logger },
    serverPingTimeout: 1500,
    pingPongLoggingEnabled: true,
  });
  let pingedConnects = 0;
  pinged.on('connected', () => pingedConnects++);
  await pinged.start();
  await sleep(2000);
  const pings = lines.filter((l) => l.includes('received ping from Slack server')).length;
  check('server pings every ping_ms', pings >= 4 && pingedConnects === 1,
    `pings ${pings}, connects ${pingedConnects}`);
  await pinged.disconnect();
  await control('config', { ping_ms: 5000 });

  // a dropped socket: the SDK notices and reconnects
  await control('drop', {});
  await waitFor('reconnect after drop', () => connects >= 3, 20000);
  check('reconnected after drop', connects >= 3);

  await sm.disconnect();
}

try {
  const channel = await webApi();
  await socketMode(channel);
} catch (e) {
  failed++;
  console.log(`FAIL exception: ${e.stack || e}`);
}
console.log(`checks: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
