// check.mjs - proves the fake Matrix homeserver (tests/fakes/matrix) with the
// official client, matrix-js-sdk: login (device reuse), whoami, createRoom
// (+ M_ROOM_IN_USE), membership, sends (txnId idempotency, HTML notices,
// reactions + M_DUPLICATE_ANNOTATION, edits, threads), redaction, media,
// /messages pagination, relations, the sync loop (startClient) seeing a live
// message, a 429 the SDK retries by itself, and M_UNKNOWN_TOKEN.
//
// Usage: node check.mjs PORT   (the fake must be running on 127.0.0.1:PORT)
// Prints one line per check ("ok ..." or "FAIL ..."), then
// "checks: N passed, M failed"; exits non-zero on any failure.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

const port = process.argv[2];
if (!port) {
	console.error("usage: node check.mjs PORT");
	process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
logger.setLevel("silent");

let passed = 0;
let failed = 0;
function ok(name, cond, detail = "") {
	if (cond) {
		passed++;
		console.log(`ok ${name}`);
	} else {
		failed++;
		console.log(`FAIL ${name}${detail ? ": " + detail : ""}`);
	}
}
async function check(name, fn) {
	try {
		const r = await fn();
		ok(name, r === undefined || r === true, r === false ? "false" : String(r));
	} catch (e) {
		ok(name, false, `${e?.errcode ?? ""} ${e?.message ?? e}`);
	}
}
// expects fn to fail with a MatrixError errcode (and HTTP status)
async function expectError(name, fn, errcode, status) {
	try {
		await fn();
		ok(name, false, "no error");
	} catch (e) {
		ok(
			name,
			e instanceof sdk.MatrixError && e.errcode === errcode && (!status || e.httpStatus === status),
			`${e?.constructor?.name} ${e?.errcode} ${e?.httpStatus} ${e?.message}`,
		);
	}
}
async function control(path, body) {
	const res = await fetch(`${base}/_control/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
	return res.json();
}
function client(opts = {}) {
	return sdk.createClient({ baseUrl: base, ...opts });
}
const tokens = {
	alice: "syt-fake-alice-token",
	bob: "syt-fake-bob-token",
	carol: "syt-fake-carol-token",
};
const userId = (n) => `@${n}:fake.test`;
const authed = (n) => client({ userId: userId(n), accessToken: tokens[n], deviceId: `${n.toUpperCase()}DEV` });
const unique = Date.now().toString(36);

// ---- login and identity ----------------------------------------------------
const anon = client();
await check("loginWithPassword", async () => {
	const r = await anon.loginWithPassword("scribe", "scribe-pass");
	return r.user_id === "@scribe:fake.test" && /^syt_/.test(r.access_token) && r.device_id.length > 0;
});
let first;
await check("login with a device_id", async () => {
	first = await client().login("m.login.password", {
		identifier: { type: "m.id.user", user: "@scribe:fake.test" },
		password: "scribe-pass",
		device_id: "CHECKDEV",
	});
	return first.device_id === "CHECKDEV";
});
await check("the same device_id again: same device, new token", async () => {
	const again = await client().login("m.login.password", {
		identifier: { type: "m.id.user", user: "scribe" },
		password: "scribe-pass",
		device_id: "CHECKDEV",
	});
	return again.device_id === "CHECKDEV" && again.access_token !== first.access_token;
});
await expectError(
	"bad password is M_FORBIDDEN",
	() => client().loginWithPassword("scribe", "nope"),
	"M_FORBIDDEN",
	403,
);
const scribe = client({ userId: "@scribe:fake.test", accessToken: first.access_token, deviceId: "CHECKDEV" });
await check("whoami", async () => {
	const r = await scribe.whoami();
	return r.user_id === "@scribe:fake.test" && r.device_id === "CHECKDEV";
});
await expectError(
	"unknown token is M_UNKNOWN_TOKEN",
	() => client({ accessToken: "syt-nope" }).whoami(),
	"M_UNKNOWN_TOKEN",
	401,
);

// ---- rooms --------------------------------------------------------------------
const alice = authed("alice");
const bob = authed("bob");
const carol = authed("carol");
const alias = `inc-${unique}`;
let roomId;
await check("createRoom with name, topic, invite, power levels, alias", async () => {
	const r = await alice.createRoom({
		preset: "private_chat",
		name: "INC-42 db outage",
		topic: "Sev1 · investigating",
		invite: [userId("bob")],
		room_alias_name: alias,
		power_level_content_override: { users: { [userId("alice")]: 100, [userId("bob")]: 50 } },
	});
	roomId = r.room_id;
	return /^!.+:fake\.test$/.test(roomId);
});
await expectError(
	"createRoom with a taken alias is M_ROOM_IN_USE",
	() => alice.createRoom({ room_alias_name: alias }),
	"M_ROOM_IN_USE",
	400,
);
await expectError(
	"createRoom with an unknown room_version",
	() => alice.createRoom({ room_version: "99" }),
	"M_UNSUPPORTED_ROOM_VERSION",
	400,
);
await check("name, topic and power levels are state", async () => {
	const name = await alice.getStateEvent(roomId, "m.room.name", "");
	const topic = await alice.getStateEvent(roomId, "m.room.topic", "");
	const pl = await alice.getStateEvent(roomId, "m.room.power_levels", "");
	return name.name === "INC-42 db outage" && topic.topic === "Sev1 · investigating" &&
		topic["m.topic"]?.["m.text"]?.[0]?.body === "Sev1 · investigating" && pl.users[userId("bob")] === 50;
});
await expectError("missing state is M_NOT_FOUND", () => alice.getStateEvent(roomId, "m.room.pinned_events", ""), "M_NOT_FOUND", 404);
await expectError("sending before joining is M_FORBIDDEN", () => bob.sendTextMessage(roomId, "too early"), "M_FORBIDDEN", 403);
await check("bob joins by invite", async () => (await bob.joinRoom(roomId)).roomId === roomId);
await expectError("carol without an invite", () => carol.joinRoom(roomId), "M_FORBIDDEN", 403);
await check("alice invites carol, carol joins by alias", async () => {
	await alice.invite(roomId, userId("carol"));
	return (await carol.joinRoom(`#${alias}:fake.test`)).roomId === roomId;
});
await expectError("joining an unknown alias is M_NOT_FOUND", () => carol.joinRoom("#nope-never:fake.test"), "M_NOT_FOUND", 404);
await expectError("inviting a member again is M_FORBIDDEN", () => alice.invite(roomId, userId("carol")), "M_FORBIDDEN", 403);

// ---- sending ----------------------------------------------------------------------
let rootId;
await check("sendEvent", async () => {
	rootId = (await alice.sendEvent(roomId, "m.room.message", { msgtype: "m.text", body: "root" })).event_id;
	return rootId.startsWith("$");
});
await check("sendEvent with the same txnId twice: the same event_id", async () => {
	const a = await alice.sendEvent(roomId, "m.room.message", { msgtype: "m.text", body: "once" }, `txn-${unique}`);
	const b = await alice.sendEvent(roomId, "m.room.message", { msgtype: "m.text", body: "once" }, `txn-${unique}`);
	const ev = await control(`events?room=${encodeURIComponent(roomId)}`);
	const n = ev.events.filter((e) => e.content?.body === "once").length;
	return a.event_id === b.event_id && n === 1;
});
await check("sendMessage and sendTextMessage", async () => {
	const a = await bob.sendMessage(roomId, { msgtype: "m.text", body: "from bob" });
	const b = await bob.sendTextMessage(roomId, "plain text");
	return a.event_id.startsWith("$") && b.event_id.startsWith("$") && a.event_id !== b.event_id;
});
let noticeId;
await check("sendHtmlNotice", async () => {
	noticeId = (await alice.sendHtmlNotice(roomId, "Incident INC-42 opened", "Incident <b>INC-42</b> opened")).event_id;
	const e = await alice.fetchRoomEvent(roomId, noticeId);
	return e.content.msgtype === "m.notice" && e.content.format === "org.matrix.custom.html" &&
		e.content.formatted_body.includes("<b>INC-42</b>");
});
await expectError(
	"m.room.message without body is M_BAD_JSON",
	() => alice.sendEvent(roomId, "m.room.message", { msgtype: "m.text" }),
	"M_BAD_JSON",
	400,
);
let reactionId;
await check("reaction", async () => {
	reactionId = (await bob.sendEvent(roomId, "m.reaction", {
		"m.relates_to": { rel_type: "m.annotation", event_id: rootId, key: "👍" },
	})).event_id;
	return reactionId.startsWith("$");
});
await expectError(
	"the same reaction again is M_DUPLICATE_ANNOTATION",
	() => bob.sendEvent(roomId, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: rootId, key: "👍" } }),
	"M_DUPLICATE_ANNOTATION",
	400,
);
await check("redactEvent", async () => {
	const r = await bob.redactEvent(roomId, reactionId, undefined, { reason: "oops" });
	const e = await bob.fetchRoomEvent(roomId, reactionId);
	return r.event_id.startsWith("$") && Object.keys(e.content).length === 0 &&
		e.unsigned?.redacted_because?.event_id === r.event_id;
});
await check("the reaction again after its redaction", async () => {
	const r = await bob.sendEvent(roomId, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: rootId, key: "👍" } });
	return r.event_id.startsWith("$");
});
let editId;
await check("an edit (m.replace) is bundled on the original", async () => {
	editId = (await alice.sendEvent(roomId, "m.room.message", {
		msgtype: "m.text",
		body: "* root (edited)",
		"m.new_content": { msgtype: "m.text", body: "root (edited)" },
		"m.relates_to": { rel_type: "m.replace", event_id: rootId },
	})).event_id;
	const e = await alice.fetchRoomEvent(roomId, rootId);
	return e.unsigned?.["m.relations"]?.["m.replace"]?.event_id === editId;
});
await expectError(
	"editing someone else's event is refused",
	() => bob.sendEvent(roomId, "m.room.message", {
		msgtype: "m.text",
		body: "* hijack",
		"m.new_content": { msgtype: "m.text", body: "hijack" },
		"m.relates_to": { rel_type: "m.replace", event_id: rootId },
	}),
	"M_INVALID_PARAM",
	400,
);
let threadIds = [];
await check("thread replies are bundled on the root", async () => {
	for (const who of [bob, alice]) {
		threadIds.push((await who.sendEvent(roomId, "m.room.message", {
			msgtype: "m.text",
			body: "in thread",
			"m.relates_to": { rel_type: "m.thread", event_id: rootId, is_falling_back: true, "m.in_reply_to": { event_id: rootId } },
		})).event_id);
	}
	const e = await alice.fetchRoomEvent(roomId, rootId);
	const t = e.unsigned?.["m.relations"]?.["m.thread"];
	return t?.count === 2 && t.latest_event?.event_id === threadIds[1] && t.current_user_participated === true;
});
await check("relations (m.thread)", async () => {
	const r = await alice.relations(roomId, rootId, "m.thread", null, { dir: "b", limit: 1 });
	const r2 = await alice.fetchRelations(roomId, rootId, "m.thread", null, { dir: "b", from: r.nextBatch, limit: 10 });
	return r.originalEvent?.getId() === rootId && r.events.length === 1 && r.events[0].getId() === threadIds[1] &&
		r.nextBatch && r2.chunk.length === 1 && r2.chunk[0].event_id === threadIds[0] && !r2.next_batch;
});
await check("relations (m.annotation, m.reaction)", async () => {
	const r = await alice.fetchRelations(roomId, rootId, "m.annotation", "m.reaction");
	return r.chunk.length === 1 && r.chunk[0].content["m.relates_to"].key === "👍";
});
await check("threads list", async () => {
	const res = await fetch(`${base}/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/threads`, {
		headers: { Authorization: `Bearer ${tokens.alice}` },
	});
	const j = await res.json();
	return j.chunk.length === 1 && j.chunk[0].event_id === rootId;
});

// ---- media ------------------------------------------------------------------------
await check("uploadContent, an m.file message, the download", async () => {
	const bytes = Buffer.from("# Timeline\n\n- 10:00 db down\n");
	const up = await alice.uploadContent(bytes, { name: "timeline.md", type: "text/markdown" });
	if (!/^mxc:\/\/fake\.test\/.+/.test(up.content_uri)) return false;
	const sent = await alice.sendMessage(roomId, {
		msgtype: "m.file",
		body: "timeline.md",
		filename: "timeline.md",
		url: up.content_uri,
		info: { mimetype: "text/markdown", size: bytes.length },
	});
	const url = alice.mxcUrlToHttp(up.content_uri, undefined, undefined, undefined, false, true, true);
	const res = await fetch(url, { headers: { Authorization: `Bearer ${tokens.alice}` } });
	const got = Buffer.from(await res.arrayBuffer());
	return sent.event_id.startsWith("$") && res.status === 200 && got.equals(bytes) &&
		res.headers.get("content-type") === "text/markdown";
});
await expectError(
	"m.file without url is M_BAD_JSON",
	() => alice.sendMessage(roomId, { msgtype: "m.file", body: "nothing.txt" }),
	"M_BAD_JSON",
	400,
);

// ---- /messages ----------------------------------------------------------------------
await check("createMessagesRequest pages back until end is missing", async () => {
	const all = (await control(`events?room=${encodeURIComponent(roomId)}`)).events.map((e) => e.event_id);
	const seen = [];
	let from = null;
	for (let i = 0; i < 100; i++) {
		const r = await alice.createMessagesRequest(roomId, from, 4, sdk.Direction.Backward);
		if (r.chunk.some((e) => e.room_id !== roomId)) return "an event without room_id";
		seen.push(...r.chunk.map((e) => e.event_id));
		if (!r.end) break;
		from = r.end;
	}
	seen.reverse();
	return JSON.stringify(seen) === JSON.stringify(all) || `${seen.length} of ${all.length}`;
});
await check("createMessagesRequest forwards", async () => {
	const r = await alice.createMessagesRequest(roomId, null, 3, sdk.Direction.Forward);
	return r.chunk[0].type === "m.room.create" && r.chunk.length === 3 && !!r.end;
});

// ---- a 429 the SDK retries by itself ---------------------------------------------------------
await check("send after a 429 (retried by the SDK after retry_after_ms)", async () => {
	await control("clear", {});
	await control("ratelimit", { endpoint: "send", count: 1, retry_after_ms: 300, header: false });
	const t0 = Date.now();
	const r = await alice.sendTextMessage(roomId, "after a 429");
	const took = Date.now() - t0;
	const calls = (await control("calls?endpoint=send")).items;
	return r.event_id.startsWith("$") && calls.length === 2 && calls[0].status === 429 &&
		calls[0].response.retry_after_ms === 300 && calls[1].status === 200 && took >= 250 || JSON.stringify(calls.map((c) => c.status));
});
await check("a 429 on a plain request surfaces as M_LIMIT_EXCEEDED with its delay", async () => {
	await control("ratelimit", { endpoint: "whoami", count: 1, retry_after_ms: 2500 });
	try {
		await alice.whoami();
		return "no error";
	} catch (e) {
		return e.errcode === "M_LIMIT_EXCEEDED" && e.httpStatus === 429 && e.getRetryAfterMs() === 3000 &&
			e.data.retry_after_ms === 2500 || `${e.errcode} ${e.getRetryAfterMs?.()}`;
	}
});

// ---- the sync loop --------------------------------------------------------------------------
await check("startClient syncs and sees a live message", async () => {
	const c = authed("carol");
	const body = `live ${unique}`;
	const seen = new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("no live event in 10 s")), 10000);
		c.on(sdk.RoomEvent.Timeline, (event, room, toStart) => {
			if (!toStart && event.getContent().body === body && room.roomId === roomId) {
				clearTimeout(timer);
				resolve(event);
			}
		});
	});
	const prepared = new Promise((resolve) => {
		c.on(sdk.ClientEvent.Sync, (state) => {
			if (state === "PREPARED") resolve();
		});
	});
	await c.startClient({ initialSyncLimit: 5 });
	await prepared;
	const room = c.getRoom(roomId);
	if (!room || room.name !== "INC-42 db outage") return `room ${room?.name}`;
	await bob.sendTextMessage(roomId, body);
	const ev = await seen;
	c.stopClient();
	return ev.getSender() === userId("bob");
});
await check("the sync loop's own send comes back as the remote echo (transaction_id)", async () => {
	const c = authed("alice");
	await new Promise((resolve) => {
		c.on(sdk.ClientEvent.Sync, (state) => state === "PREPARED" && resolve());
		c.startClient({ initialSyncLimit: 1 });
	});
	const txn = `echo-${unique}`;
	// the SDK matches the echo to its local event by transaction_id and
	// marks it sent (status null) with the server's event
	const echoed = new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error("no remote echo in 10 s")), 10000);
		c.on(sdk.RoomEvent.LocalEchoUpdated, (event) => {
			if (event.status === null && event.getUnsigned().transaction_id === txn) {
				clearTimeout(timer);
				resolve(event);
			}
		});
	});
	const r = await c.sendEvent(roomId, "m.room.message", { msgtype: "m.text", body: "echo" }, txn);
	const ev = await echoed;
	const inTimeline = c.getRoom(roomId).getLiveTimeline().getEvents().filter((e) => e.getId() === r.event_id).length;
	c.stopClient();
	return (ev.getId() === r.event_id && inTimeline === 1) || `${ev.getId()} ${r.event_id} ${inTimeline}`;
});

console.log(`checks: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
