// test/flows/harness/agent-child.ts
import { createInterface } from "node:readline";

// agent/log.ts
var PRIORITY = { debug: 7, info: 6, warn: 4, error: 3 };
var ORDER = { debug: 0, info: 1, warn: 2, error: 3 };
var SECRET_KEY = /pass(word)?|secret|token|authorization|credential/i;
var settings = {
  level: process.env.GLASE_LOG_LEVEL ?? "info",
  journald: process.env.JOURNAL_STREAM !== void 0,
  sink: { write: (line) => process.stdout.write(line) }
};
function configureLogging(patch) {
  Object.assign(settings, patch);
}
function redact(value, depth = 0) {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    const code = value.code;
    return { error: value.message, ...code !== void 0 ? { code } : {} };
  }
  const out2 = {};
  for (const [k, v] of Object.entries(value)) {
    out2[k] = SECRET_KEY.test(k) ? "***" : redact(v, depth + 1);
  }
  return out2;
}
function formatValue(v) {
  if (typeof v === "string") return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === void 0) return String(v);
  return JSON.stringify(v);
}
function formatLine(level, component, event, fields = {}) {
  const safe = redact(fields);
  const parts = [`${level.toUpperCase()}`, component, event];
  for (const [k, v] of Object.entries(safe)) parts.push(`${k}=${formatValue(v)}`);
  const line = parts.join(" ");
  return settings.journald ? `<${PRIORITY[level]}>${line}
` : `${(/* @__PURE__ */ new Date()).toISOString()} ${line}
`;
}
function createLogger(component) {
  const emit = (level) => (event, fields) => {
    if (ORDER[level] < ORDER[settings.level]) return;
    settings.sink.write(formatLine(level, component, event, fields));
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (sub) => createLogger(`${component}.${sub}`)
  };
}

// agent/errors.ts
var AgentError = class extends Error {
  code;
  context;
  constructor(code, message, context = {}, options) {
    super(message, options);
    this.name = "AgentError";
    this.code = code;
    this.context = context;
  }
  toJSON() {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
};

// drivers/dispenser/protocol-fields.ts
var ABSENT = "-";
var POINT = /^[1-9]\d{0,2}$/;
var UINT = /^(0|[1-9]\d{0,14})$/;
var TXID = /^[A-Za-z0-9._:-]{1,64}$/;
var GRADE = /^[A-Za-z0-9_]{1,16}$/;
var CURRENCY = /^[A-Z]{3}$/;
var CODE = /^[A-Z][A-Z0-9_]{0,15}$/;
var VERSION = /^(\d{1,3})\.(\d{1,3})$/;
var FIRMWARE = /^[A-Za-z0-9._:+-]{1,32}$/;
var REASONS = ["nozzle-down", "limit", "stopped", "stall", "fault"];
var STATES = ["idle", "calling", "authorized", "delivering", "finished", "fault", "offline"];
var UNITS = ["L", "kWh"];
var readPoint = (t) => t !== void 0 && POINT.test(t) ? Number(t) : void 0;
var readUint = (t) => t !== void 0 && UINT.test(t) ? Number(t) : void 0;
var readTxid = (t) => t !== void 0 && t !== ABSENT && TXID.test(t) ? t : void 0;
var readGrade = (t) => t !== void 0 && GRADE.test(t) ? t : void 0;
var readCurrency = (t) => t !== void 0 && CURRENCY.test(t) ? t : void 0;
var readCode = (t) => t !== void 0 && CODE.test(t) ? t : void 0;
var readFirmware = (t) => t !== void 0 && FIRMWARE.test(t) ? t : void 0;
var readReason = (t) => REASONS.find((r) => r === t);
var readState = (t) => STATES.find((s) => s === t);
var readUnit = (t) => UNITS.find((u) => u === t);
function readVersion(t) {
  const m = t === void 0 ? null : VERSION.exec(t);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : void 0;
}
function readOptional(t, read) {
  if (t === void 0 || t === ABSENT) return void 0;
  const v = read(t);
  return v === void 0 ? null : v;
}
var LITERAL = /^[!-~]$/;
var MUST_ESCAPE = /* @__PURE__ */ new Set(["%", "*", ","]);
function escapeText(text2) {
  if (text2 === "") return ABSENT;
  if (text2 === ABSENT) return "%2D";
  let out2 = "";
  for (const ch of text2) {
    if (LITERAL.test(ch) && !MUST_ESCAPE.has(ch)) out2 += ch;
    else for (const b of Buffer.from(ch, "utf8")) out2 += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out2;
}
function unescapeText(token) {
  if (token === void 0) return void 0;
  if (token === ABSENT) return "";
  const bytes = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token[i];
    if (ch === "%") {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return void 0;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (LITERAL.test(ch) && !MUST_ESCAPE.has(ch)) bytes.push(ch.charCodeAt(0));
    else return void 0;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return void 0;
  }
}

// drivers/dispenser/protocol-replies.ts
var bad = (message) => ({ ok: false, error: { kind: "syntax", message } });
var good = (value) => ({ ok: true, value });
function decodeReply(verb, f) {
  switch (verb) {
    case "HELLO": {
      const version = readVersion(f[0]);
      const firmware = readFirmware(f[1]);
      const points = readUint(f[2]);
      if (f.length !== 3 || !version || firmware === void 0 || points === void 0) return bad("HELLO reply needs <version> <firmware> <points>");
      return good({ verb, info: { protocolVersion: f[0], firmware, points } });
    }
    case "STATUS": {
      const points = [];
      for (const item of f) {
        const p = decodeStatusItem(item);
        if (!p) return bad(`STATUS item ${JSON.stringify(item.slice(0, 40))} is not <point>,<state>,<U|D>,<txid|->,<milli|->,<amount|->`);
        points.push(p);
      }
      return good({ verb, points });
    }
    case "PRICES": {
      const grades = [];
      for (const item of f) {
        const g = decodeGrade(item);
        if (!g) return bad(`PRICES item ${JSON.stringify(item.slice(0, 40))} is not <grade>,<L|kWh>,<unit price>,<vat %>,<name>`);
        grades.push(g);
      }
      return good({ verb, grades });
    }
    case "AUTH":
    case "STOP":
    case "DISPLAY":
      return f.length === 0 ? good({ verb }) : bad(`${verb} reply takes no fields`);
    case "SALE": {
      const record = decodeSale(f);
      return record ? good({ verb, record }) : bad("SALE reply needs <txid> <point> <state> <grade|-> <milli> <amount> <price|-> <limit> <reason|->");
    }
  }
}
function decodeStatusItem(item) {
  const p = item.split(",");
  if (p.length !== 6) return void 0;
  const point = readPoint(p[0]);
  const state = readState(p[1]);
  const tx = readOptional(p[3], readTxid);
  const milli = readOptional(p[4], readUint);
  const amountMinor = readOptional(p[5], readUint);
  if (point === void 0 || state === void 0 || p[2] !== "U" && p[2] !== "D" || tx === null || milli === null || amountMinor === null) {
    return void 0;
  }
  return {
    point,
    state,
    nozzleUp: p[2] === "U",
    ...tx !== void 0 ? { transactionId: tx } : {},
    ...milli !== void 0 ? { milli } : {},
    ...amountMinor !== void 0 ? { amountMinor } : {}
  };
}
function decodeGrade(item) {
  const p = item.split(",");
  if (p.length !== 5) return void 0;
  const id = readGrade(p[0]);
  const unit = readUnit(p[1]);
  const unitPriceMinor = readUint(p[2]);
  const vatRatePercent = readUint(p[3]);
  const name = unescapeText(p[4]);
  if (id === void 0 || unit === void 0 || unitPriceMinor === void 0 || vatRatePercent === void 0 || name === void 0) return void 0;
  return { id, name, unit, unitPriceMinor, vatRatePercent };
}
function decodeSale(f) {
  if (f.length !== 9) return void 0;
  const transactionId = readTxid(f[0]);
  const point = readPoint(f[1]);
  const state = f[2] === "authorized" || f[2] === "delivering" || f[2] === "finished" ? f[2] : void 0;
  const gradeId = readOptional(f[3], readGrade);
  const milli = readUint(f[4]);
  const amountMinor = readUint(f[5]);
  const unitPriceMinor = readOptional(f[6], readUint);
  const limitMinor = readUint(f[7]);
  const reason = readOptional(f[8], readReason);
  if (transactionId === void 0 || point === void 0 || state === void 0 || gradeId === null || milli === void 0 || amountMinor === void 0 || unitPriceMinor === null || limitMinor === void 0 || reason === null) {
    return void 0;
  }
  return {
    transactionId,
    point,
    state,
    ...gradeId !== void 0 ? { gradeId } : {},
    milli,
    amountMinor,
    ...unitPriceMinor !== void 0 ? { unitPriceMinor } : {},
    limitMinor,
    ...reason !== void 0 ? { reason } : {}
  };
}

// drivers/dispenser/checksum.ts
function xorChecksum(body) {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 255;
  return x;
}
function checksumHex(body) {
  return xorChecksum(body).toString(16).toUpperCase().padStart(2, "0");
}

// drivers/dispenser/protocol.ts
var PROTOCOL_VERSION = "1.0";
var PROTOCOL_MAJOR = 1;
var MAX_LINE = 512;
var MAX_TAG = 999999;
var ok = (value) => ({ ok: true, value });
var fail = (kind, message, tag) => ({
  ok: false,
  error: { kind, message, ...tag !== void 0 ? { tag } : {} }
});
function frameLine(body) {
  return `${body}*${checksumHex(body)}\r
`;
}
var tagToken = (tag) => `T${tag}`;
function encodeRequest(tag, r) {
  const t = tagToken(tag);
  switch (r.verb) {
    case "HELLO":
      return frameLine(`${t} HELLO ${r.version}`);
    case "STATUS":
    case "PRICES":
      return frameLine(`${t} ${r.verb}`);
    case "AUTH":
      return frameLine(`${t} AUTH ${r.point} ${r.limitMinor} ${r.currency} ${r.transactionId}${r.gradeId !== void 0 ? ` ${r.gradeId}` : ""}`);
    case "STOP":
      return frameLine(`${t} STOP ${r.point}`);
    case "DISPLAY":
      return frameLine(`${t} DISPLAY ${r.point} ${escapeText(r.text)}`);
    case "SALE":
      return frameLine(`${t} SALE ${r.transactionId}`);
  }
}
function parseLine(raw) {
  const line = raw.endsWith("\r\n") ? raw.slice(0, -2) : raw.endsWith("\n") || raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line.length === 0) return fail("framing", "empty line");
  if (line.length > MAX_LINE) return fail("framing", `line longer than ${MAX_LINE} characters (${line.length})`);
  if (!/^[ -~]*$/.test(line)) return fail("framing", "line contains a byte outside printable ASCII");
  const star = line.lastIndexOf("*");
  if (star <= 0 || star !== line.length - 3) return fail("framing", "line does not end with *XX checksum");
  const body = line.slice(0, star);
  const given = line.slice(star + 1);
  if (!/^[0-9A-F]{2}$/.test(given)) return fail("framing", `checksum ${JSON.stringify(given)} is not two upper-case hex digits`);
  const expected = checksumHex(body);
  if (given !== expected) return fail("checksum", `checksum ${given} does not match body (expected ${expected})`);
  if (body.includes("  ") || body.endsWith(" ") || body.startsWith(" ")) return fail("syntax", "fields must be separated by single spaces");
  const tokens = body.split(" ");
  if (body.startsWith("*")) return parseNotification(body.slice(1).split(" "));
  const head = tokens[0];
  const tagMatch = /^T(0|[1-9]\d{0,5})$/.exec(head);
  if (!tagMatch) return fail("syntax", `line starts with ${JSON.stringify(head.slice(0, 12))}, expected a tag T<n> or * (notification)`);
  const tag = Number(tagMatch[1]);
  const kw = tokens[1];
  if (kw === "OK") return ok({ kind: "reply", tag, reply: { ok: true, fields: tokens.slice(2) } });
  if (kw === "ERR") {
    const code = readCode(tokens[2]);
    const text2 = tokens.length === 4 ? unescapeText(tokens[3]) : tokens.length === 3 ? "" : void 0;
    if (code === void 0 || text2 === void 0) return fail("syntax", "ERR reply needs a code and an optional escaped text", tag);
    return ok({ kind: "reply", tag, reply: { ok: false, code, text: text2 } });
  }
  const request = parseRequest(kw, tokens.slice(2));
  if (!request.ok) return fail("syntax", request.error.message, tag);
  return ok({ kind: "request", tag, request: request.value });
}
function arity(name, args, min, max, build) {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : `${min}..${max}`;
    return fail("syntax", `${name} takes ${want} fields, got ${args.length}`);
  }
  return build();
}
function parseRequest(verb, a) {
  switch (verb) {
    case "HELLO":
      return arity(verb, a, 1, 1, () => readVersion(a[0]) ? ok({ verb, version: a[0] }) : fail("syntax", "HELLO version must be <major>.<minor>"));
    case "STATUS":
    case "PRICES":
      return arity(verb, a, 0, 0, () => ok({ verb }));
    case "AUTH":
      return arity(verb, a, 4, 5, () => {
        const point = readPoint(a[0]);
        const limitMinor = readUint(a[1]);
        const currency = readCurrency(a[2]);
        const transactionId = readTxid(a[3]);
        const gradeId = a[4] === void 0 ? void 0 : readGrade(a[4]);
        if (point === void 0) return fail("syntax", "AUTH point must be 1..999");
        if (limitMinor === void 0) return fail("syntax", "AUTH limit must be an unsigned integer of minor units");
        if (currency === void 0) return fail("syntax", "AUTH currency must be three upper-case letters");
        if (transactionId === void 0) return fail("syntax", "AUTH transaction id must be 1..64 of [A-Za-z0-9._:-]");
        if (a[4] !== void 0 && gradeId === void 0) return fail("syntax", "AUTH grade must be 1..16 of [A-Za-z0-9_]");
        return ok({ verb, point, limitMinor, currency, transactionId, ...gradeId !== void 0 ? { gradeId } : {} });
      });
    case "STOP":
      return arity(verb, a, 1, 1, () => {
        const point = readPoint(a[0]);
        return point === void 0 ? fail("syntax", "STOP point must be 1..999") : ok({ verb, point });
      });
    case "DISPLAY":
      return arity(verb, a, 2, 2, () => {
        const point = readPoint(a[0]);
        const text2 = unescapeText(a[1]);
        if (point === void 0) return fail("syntax", "DISPLAY point must be 1..999");
        if (text2 === void 0) return fail("syntax", "DISPLAY text is not a valid escaped text");
        return ok({ verb, point, text: text2 });
      });
    case "SALE":
      return arity(verb, a, 1, 1, () => {
        const transactionId = readTxid(a[0]);
        return transactionId === void 0 ? fail("syntax", "SALE transaction id must be 1..64 of [A-Za-z0-9._:-]") : ok({ verb, transactionId });
      });
    default:
      return fail("syntax", `unknown command ${JSON.stringify((verb ?? "").slice(0, 16))}`);
  }
}
function parseNotification(t) {
  const [name, ...a] = t;
  const note = (event) => ok({ kind: "notification", event });
  switch (name) {
    case "CALL":
      return arity(name, a, 3, 3, () => {
        const point = readPoint(a[0]);
        const presetMinor = readOptional(a[1], readUint);
        const gradeId = readOptional(a[2], readGrade);
        if (point === void 0 || presetMinor === null || gradeId === null) return fail("syntax", "CALL needs <point> <preset|-> <grade|->");
        return note({ type: "call", point, ...presetMinor !== void 0 ? { presetMinor } : {}, ...gradeId !== void 0 ? { gradeId } : {} });
      });
    case "NOZZLE":
      return arity(name, a, 3, 3, () => {
        const point = readPoint(a[0]);
        const gradeId = readOptional(a[2], readGrade);
        if (point === void 0 || a[1] !== "U" && a[1] !== "D" || gradeId === null) return fail("syntax", "NOZZLE needs <point> <U|D> <grade|->");
        return note({ type: "nozzle", point, up: a[1] === "U", ...gradeId !== void 0 ? { gradeId } : {} });
      });
    case "PROGRESS":
      return arity(name, a, 4, 4, () => {
        const point = readPoint(a[0]);
        const transactionId = readTxid(a[1]);
        const milli = readUint(a[2]);
        const amountMinor = readUint(a[3]);
        if (point === void 0 || transactionId === void 0 || milli === void 0 || amountMinor === void 0) {
          return fail("syntax", "PROGRESS needs <point> <txid> <milli> <amount>");
        }
        return note({ type: "progress", point, transactionId, milli, amountMinor });
      });
    case "END":
      return arity(name, a, 7, 7, () => {
        const point = readPoint(a[0]);
        const transactionId = readTxid(a[1]);
        const gradeId = readGrade(a[2]);
        const milli = readUint(a[3]);
        const amountMinor = readUint(a[4]);
        const unitPriceMinor = readUint(a[5]);
        const reason = readReason(a[6]);
        if (point === void 0 || transactionId === void 0 || gradeId === void 0 || milli === void 0 || amountMinor === void 0 || unitPriceMinor === void 0 || reason === void 0) {
          return fail("syntax", "END needs <point> <txid> <grade> <milli> <amount> <unit price> <reason>");
        }
        return note({ type: "end", point, transactionId, gradeId, milli, amountMinor, unitPriceMinor, reason });
      });
    case "FAULT":
      return arity(name, a, 4, 4, () => {
        const point = readOptional(a[0], readPoint);
        const code = readCode(a[1]);
        const transactionId = readOptional(a[2], readTxid);
        const message = unescapeText(a[3]);
        if (point === null || code === void 0 || transactionId === null || message === void 0) {
          return fail("syntax", "FAULT needs <point|-> <code> <txid|-> <text>");
        }
        return note({ type: "fault", point: point ?? null, code, message, ...transactionId !== void 0 ? { transactionId } : {} });
      });
    default:
      return fail("syntax", `unknown notification ${JSON.stringify((name ?? "").slice(0, 16))}`);
  }
}

// drivers/dispenser/line-driver.ts
var RETRYABLE = {
  HELLO: true,
  // read-only
  STATUS: true,
  // read-only
  PRICES: true,
  // read-only
  SALE: true,
  // read-only
  DISPLAY: true,
  // sets the same text again
  STOP: true,
  // stopping a stopped point is OK
  AUTH: true
  // same transaction id ⇒ the board answers OK without a second authorization
};
var systemScheduler = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  }
};
var LineDispenserDriver = class {
  constructor(connector, options = {}) {
    this.connector = connector;
    this.options = options;
    this.log = createLogger(options.name ?? "dispenser");
    this.scheduler = options.scheduler ?? systemScheduler;
    this.backoffMs = options.reconnectInitialMs ?? 100;
  }
  log;
  scheduler;
  listeners = /* @__PURE__ */ new Set();
  pending = /* @__PURE__ */ new Map();
  conn;
  generation = 0;
  linkUp = false;
  closed = false;
  started = false;
  nextTag = 1;
  backoffMs;
  cancelReconnect;
  linkWaiters = /* @__PURE__ */ new Set();
  counters = { badLines: 0, strayReplies: 0, timeouts: 0, retries: 0, reconnects: 0 };
  badLinesLogged = { at: -Infinity, suppressed: 0 };
  /** Starts connecting; resolves after the first attempt (link up or not — it keeps trying). */
  async start() {
    if (this.started) return;
    this.started = true;
    await this.connectOnce();
  }
  /** Resolves when the link is up; rejects with DEVICE_DISCONNECTED after timeoutMs. */
  waitForLink(timeoutMs) {
    if (this.linkUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        cancel3();
        this.linkWaiters.delete(done);
        resolve();
      };
      const cancel3 = this.scheduler.setTimer(timeoutMs, () => {
        this.linkWaiters.delete(done);
        reject(new AgentError("DEVICE_DISCONNECTED", `dispenser controller link not up within ${timeoutMs} ms`, { timeoutMs }));
      });
      this.linkWaiters.add(done);
    });
  }
  stats() {
    return { ...this.counters, linkUp: this.linkUp };
  }
  // ---- DispenserController ---------------------------------------------------------------------
  onEvent(listener) {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
  async hello() {
    const reply = await this.command({ verb: "HELLO", version: PROTOCOL_VERSION });
    return this.checkVersion(reply);
  }
  async status() {
    const reply = await this.command({ verb: "STATUS" });
    return reply?.verb === "STATUS" ? reply.points : [];
  }
  async prices() {
    const reply = await this.command({ verb: "PRICES" });
    return reply?.verb === "PRICES" ? reply.grades : [];
  }
  async authorize(cmd) {
    await this.command({ verb: "AUTH", ...cmd });
  }
  async stop(point) {
    await this.command({ verb: "STOP", point });
  }
  async display(point, text2) {
    await this.command({ verb: "DISPLAY", point, text: text2 });
  }
  async saleRecord(transactionId) {
    const reply = await this.command({ verb: "SALE", transactionId });
    return reply?.verb === "SALE" ? reply.record : void 0;
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.cancelReconnect?.();
    const conn = this.conn;
    this.conn = void 0;
    this.generation++;
    this.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser driver closed"));
    this.setLink(false);
    await conn?.close();
    this.listeners.clear();
  }
  // ---- commands --------------------------------------------------------------------------------
  command(request, duringHandshake = false) {
    const conn = this.conn;
    if (this.closed) return Promise.reject(new AgentError("DEVICE_DISCONNECTED", "dispenser driver closed", { verb: request.verb }));
    if (!conn || !this.linkUp && !duringHandshake) {
      return Promise.reject(new AgentError("DEVICE_DISCONNECTED", "dispenser controller link is down", { verb: request.verb }));
    }
    return new Promise((resolve, reject) => {
      const p = { request, tags: [], attempts: 0, cancelTimer: () => {
      }, resolve, reject };
      this.send(p, conn);
    });
  }
  send(p, conn) {
    const tag = this.allocateTag();
    p.attempts++;
    p.tags.push(tag);
    this.pending.set(tag, p);
    const timeout = this.options.timeouts?.[p.request.verb] ?? this.options.commandTimeoutMs ?? 1500;
    p.cancelTimer = this.scheduler.setTimer(timeout, () => this.onTimeout(p, conn, timeout));
    conn.write(encodeRequest(tag, p.request)).catch((err) => {
      this.log.warn("write_failed", { verb: p.request.verb, err });
    });
  }
  onTimeout(p, conn, timeoutMs) {
    this.counters.timeouts++;
    const retries = this.options.retries ?? 2;
    if (RETRYABLE[p.request.verb] && p.attempts <= retries && this.conn === conn) {
      this.counters.retries++;
      this.log.info("command_retry", { verb: p.request.verb, attempt: p.attempts + 1 });
      this.send(p, conn);
      return;
    }
    this.settle(p);
    p.reject(new AgentError("DEVICE_TIMEOUT", `no answer to ${p.request.verb} within ${timeoutMs} ms (${p.attempts} attempts)`, { verb: p.request.verb, attempts: p.attempts }));
  }
  allocateTag() {
    for (; ; ) {
      const tag = this.nextTag;
      this.nextTag = this.nextTag >= MAX_TAG ? 1 : this.nextTag + 1;
      if (!this.pending.has(tag)) return tag;
    }
  }
  settle(p) {
    p.cancelTimer();
    for (const t of p.tags) if (this.pending.get(t) === p) this.pending.delete(t);
  }
  onReply(tag, raw) {
    const p = this.pending.get(tag);
    if (!p) {
      this.counters.strayReplies++;
      this.log.debug("stray_reply", { tag });
      return;
    }
    this.settle(p);
    const verb = p.request.verb;
    if (!raw.ok) {
      if (verb === "SALE" && raw.code === "NOSALE") return p.resolve(void 0);
      const code = raw.code === "SYNTAX" || raw.code === "UNKNOWN" || raw.code === "VERSION" ? "DEVICE_PROTOCOL" : "DEVICE_REJECTED";
      return p.reject(new AgentError(code, `controller refused ${verb}: ${raw.code} ${raw.text}`, { verb, reason: raw.code, text: raw.text }));
    }
    const decoded = decodeReply(verb, raw.fields);
    if (!decoded.ok) {
      this.countBadLine(decoded.error, `reply to ${verb}`);
      return p.reject(new AgentError("DEVICE_PROTOCOL", `unreadable reply to ${verb}: ${decoded.error.message}`, { verb }));
    }
    p.resolve(decoded.value);
  }
  rejectAll(err) {
    const all2 = new Set(this.pending.values());
    this.pending.clear();
    for (const p of all2) {
      p.cancelTimer();
      p.reject(new AgentError(err.code, err.message, { ...err.context, verb: p.request.verb }));
    }
  }
  // ---- link --------------------------------------------------------------------------------------
  async connectOnce() {
    if (this.closed) return;
    const generation = ++this.generation;
    let conn;
    try {
      conn = await this.connector({
        onLine: (line) => {
          if (generation === this.generation) this.onLine(line);
        },
        onClose: (error) => {
          if (generation === this.generation) this.onConnectionLost(error);
        }
      });
    } catch (err) {
      this.log.debug("connect_failed", { err });
      this.scheduleReconnect();
      return;
    }
    if (this.closed || generation !== this.generation) {
      await conn.close();
      return;
    }
    this.conn = conn;
    try {
      const info = this.checkVersion(await this.command({ verb: "HELLO", version: PROTOCOL_VERSION }, true));
      if (generation !== this.generation) return;
      this.backoffMs = this.options.reconnectInitialMs ?? 100;
      this.log.info("link_up", { via: conn.description, firmware: info.firmware, protocol: info.protocolVersion, points: info.points });
      this.setLink(true);
    } catch (err) {
      if (generation !== this.generation) return;
      this.log.warn("handshake_failed", { via: conn.description, err });
      this.conn = void 0;
      this.generation++;
      this.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser controller handshake failed"));
      await conn.close();
      this.scheduleReconnect();
    }
  }
  onConnectionLost(error) {
    this.log.warn("link_lost", { via: this.conn?.description, err: error });
    this.conn = void 0;
    this.generation++;
    this.rejectAll(new AgentError("DEVICE_DISCONNECTED", "dispenser controller link lost", { cause: error?.message }));
    this.setLink(false);
    this.scheduleReconnect();
  }
  scheduleReconnect() {
    if (this.closed) return;
    this.cancelReconnect?.();
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? 5e3);
    this.cancelReconnect = this.scheduler.setTimer(delay, () => {
      this.cancelReconnect = void 0;
      this.counters.reconnects++;
      void this.connectOnce();
    });
  }
  setLink(up) {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.emit({ type: "link", up });
    if (up) for (const w of [...this.linkWaiters]) w();
  }
  checkVersion(reply) {
    if (reply?.verb !== "HELLO") throw new AgentError("DEVICE_PROTOCOL", "HELLO got no controller info");
    const v = readVersion(reply.info.protocolVersion);
    if (!v || v.major !== PROTOCOL_MAJOR) {
      throw new AgentError("DEVICE_PROTOCOL", `controller speaks protocol ${reply.info.protocolVersion}, we speak ${PROTOCOL_VERSION}`, {
        theirs: reply.info.protocolVersion,
        ours: PROTOCOL_VERSION
      });
    }
    return reply.info;
  }
  // ---- incoming lines ----------------------------------------------------------------------------
  onLine(line) {
    const parsed = parseLine(line);
    if (!parsed.ok) return this.countBadLine(parsed.error, line);
    const frame = parsed.value;
    switch (frame.kind) {
      case "reply":
        return this.onReply(frame.tag, frame.reply);
      case "notification":
        return this.emit(frame.event);
      case "request":
        return this.countBadLine({ kind: "syntax", message: "the controller sent a request" }, line);
    }
  }
  countBadLine(error, line) {
    this.counters.badLines++;
    const now = this.scheduler.now();
    if (now - this.badLinesLogged.at < 1e3) {
      this.badLinesLogged.suppressed++;
      return;
    }
    this.log.warn("bad_line", {
      kind: error.kind,
      problem: error.message,
      line: line.slice(0, 80),
      total: this.counters.badLines,
      suppressed: this.badLinesLogged.suppressed
    });
    this.badLinesLogged = { at: now, suppressed: 0 };
  }
  emit(e) {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log.error("listener_failed", { event: e.type, err });
      }
    }
  }
};

// drivers/dispenser/transport-serial.ts
import { realpath } from "node:fs/promises";
import { SerialPort } from "serialport";

// drivers/dispenser/transport.ts
import { ReadlineParser } from "@serialport/parser-readline";
var MAX_BUFFERED = 8192;
function splitLines(source, onLine) {
  const parser = new ReadlineParser({ delimiter: "\n", encoding: "latin1" });
  source.pipe(parser);
  parser.on("data", (line) => onLine(line.endsWith("\r") ? line.slice(0, -1) : line));
  source.on("data", () => {
    if (parser.buffer.length > MAX_BUFFERED) {
      const head = parser.buffer.subarray(0, 1024).toString("latin1");
      parser.buffer = Buffer.alloc(0);
      onLine(head);
    }
  });
}

// drivers/dispenser/transport-serial.ts
function serialConnector(options) {
  return (handlers) => new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: options.path,
      baudRate: options.baudRate ?? 115200,
      dataBits: options.dataBits ?? 8,
      parity: options.parity ?? "none",
      stopBits: options.stopBits ?? 1,
      autoOpen: false
    });
    port.open((err) => {
      if (err) {
        reject(new AgentError("DEVICE_DISCONNECTED", `cannot open ${options.path}: ${err.message}`, { path: options.path }, { cause: err }));
        return;
      }
      let closing = false;
      let closed = false;
      let lastError;
      const watch = watchPresence(options.path, options.presenceCheckMs ?? 250, (why) => {
        if (!closed && port.isOpen) {
          const gone = Object.assign(new Error(`${options.path} ${why}`), { disconnected: true });
          port.close(void 0, gone);
        }
      });
      splitLines(port, (line) => {
        if (!closed) handlers.onLine(line);
      });
      port.on("error", (e) => {
        lastError = e;
      });
      port.on("close", (e) => {
        watch.stop();
        if (closed) return;
        closed = true;
        if (!closing) handlers.onClose(e ?? lastError ?? new Error(`${options.path} closed`));
      });
      resolve({
        description: options.path,
        write: (data) => new Promise((res, rej) => {
          if (closed) return rej(new AgentError("DEVICE_DISCONNECTED", `${options.path} is closed`));
          port.write(Buffer.from(data, "latin1"), (e) => e ? rej(new AgentError("DEVICE_DISCONNECTED", `write to ${options.path} failed: ${e.message}`, {}, { cause: e })) : res());
        }),
        close: () => new Promise((res) => {
          closing = true;
          watch.stop();
          if (closed || !port.isOpen) {
            closed = true;
            return res();
          }
          port.close(() => {
            closed = true;
            res();
          });
        })
      });
    });
  });
}
function watchPresence(path, everyMs, gone) {
  let device;
  let stopped = false;
  void realpath(path).then(
    (p) => device = p,
    () => void 0
  );
  const timer2 = setInterval(() => {
    realpath(path).then(
      (p) => {
        if (device !== void 0 && p !== device && !stopped) {
          stopped = true;
          gone(`now points to ${p}`);
        }
      },
      () => {
        if (!stopped) {
          stopped = true;
          gone("vanished");
        }
      }
    );
  }, everyMs);
  timer2.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer2);
    }
  };
}

// drivers/dispenser/transport-tcp.ts
import { createConnection } from "node:net";
function tcpConnector(options) {
  return (handlers) => new Promise((resolve, reject) => {
    const socket = createConnection({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const timer2 = setTimeout(() => socket.destroy(new Error("connect timeout")), options.connectTimeoutMs ?? 3e3);
    socket.once("connect", () => {
      clearTimeout(timer2);
      socket.removeAllListeners("error");
      resolve(wrapSocket(socket, `${options.host}:${options.port}`, handlers));
    });
    socket.once("error", (err) => {
      clearTimeout(timer2);
      reject(new AgentError("DEVICE_DISCONNECTED", `cannot connect to ${options.host}:${options.port}: ${err.message}`, { host: options.host, port: options.port }, { cause: err }));
    });
  });
}
function wrapSocket(socket, description, handlers) {
  let closing = false;
  let closed = false;
  splitLines(socket, (line) => {
    if (!closed) handlers.onLine(line);
  });
  let lastError;
  socket.on("error", (err) => {
    lastError = err;
  });
  socket.on("close", () => {
    if (closed) return;
    closed = true;
    if (!closing) handlers.onClose(lastError ?? new Error("peer closed the connection"));
  });
  return {
    description,
    write: (data) => new Promise((resolve, reject) => {
      if (closed) return reject(new AgentError("DEVICE_DISCONNECTED", `${description} is closed`));
      socket.write(data, "latin1", (err) => err ? reject(new AgentError("DEVICE_DISCONNECTED", `write to ${description} failed: ${err.message}`, {}, { cause: err })) : resolve());
    }),
    close: () => new Promise((resolve) => {
      closing = true;
      if (closed) return resolve();
      socket.once("close", () => resolve());
      socket.destroy();
    })
  };
}

// drivers/dispenser/open.ts
async function openDispenserController(config, options = {}) {
  const connector = config.kind === "serial" ? serialConnector(config) : tcpConnector(config);
  const driver = new LineDispenserDriver(connector, { ...config, ...options.scheduler ? { scheduler: options.scheduler } : {} });
  if (options.onEvent) driver.onEvent(options.onEvent);
  await driver.start();
  try {
    await driver.waitForLink(config.openTimeoutMs ?? 5e3);
  } catch (err) {
    createLogger(config.name ?? "dispenser").warn("controller_not_reachable_yet", { kind: config.kind, err });
  }
  return driver;
}

// agent/engine.ts
import { Subject } from "rxjs";

// agent/core/effects.ts
function backoffMs(attempt, ctx) {
  const { retryBaseMs, retryMaxMs } = ctx.settings;
  const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay / 2 + delay / 2 * ctx.random);
}
function clientRef(flowId, n) {
  return `${flowId}-${n}`.slice(-32);
}
function glase(ref, call) {
  return { type: "glase", ref, call };
}
function timer(name, delayMs) {
  return { type: "startTimer", name, delayMs: Math.max(0, delayMs) };
}
function cancelTimer(name) {
  return { type: "cancelTimer", name };
}
function isReadOnly(effect) {
  return effect.type === "glase" && effect.call.op === "getPaymentStatus" || effect.type === "startTimer" || effect.type === "cancelTimer" || effect.type === "display" || effect.type === "saleRecord";
}
function assertNever(x, what) {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

// agent/core/flow.ts
function callGlase(s, call, patch = {}) {
  const ref = clientRef(s.flowId, s.calls + 1);
  const state = { ...s, ...patch, calls: s.calls + 1, pending: { op: call.op, ref } };
  return { state, effects: [glase(ref, call)] };
}
function pendingOutcome(s, input) {
  if (input.type !== "glase" || s.pending === void 0) return void 0;
  if (input.ref !== s.pending.ref || input.op !== s.pending.op) return void 0;
  return input.outcome;
}
function same(state) {
  return { state, effects: [] };
}
function withEffects(step, ...effects) {
  return { state: step.state, effects: [...step.effects, ...effects] };
}
function isCredentialsCode(code) {
  return code === 20 || code === 21 || code === 29 || code === 33 || code === 37;
}
function isoLocal(now) {
  return new Date(now).toISOString().slice(0, 19);
}

// agent/core/inputs.ts
function isTemporary(outcome) {
  return outcome.kind === "result" && (outcome.code === 90 || outcome.code === 93 || outcome.code === 94) || outcome.kind === "transport" && !outcome.indefinite;
}

// agent/core/money.ts
function money(currency, minor) {
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount must be an integer number of minor units, got ${minor}`, { minor });
  }
  return { currency, minor };
}
function formatMinor(minor) {
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount must be an integer number of minor units, got ${minor}`, { minor });
  }
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const units = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}${units}.${cents.toString().padStart(2, "0")}`;
}
var DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;
function parseMinor(text2) {
  const m = DECIMAL.exec(text2);
  if (!m || m[2] === "" && (m[3] === void 0 || m[3] === "")) {
    throw new AgentError("INPUT_INVALID", `not a decimal amount: ${JSON.stringify(text2)}`, { text: text2 });
  }
  const sign = m[1] === "-" ? -1 : 1;
  const whole = m[2] === "" ? "0" : m[2];
  let frac = m[3] ?? "";
  const extra = frac.slice(2);
  if (/[1-9]/.test(extra)) {
    throw new AgentError("INPUT_INVALID", `amount has more than two decimals: ${JSON.stringify(text2)}`, { text: text2 });
  }
  frac = frac.slice(0, 2).padEnd(2, "0");
  const minor = Number(whole) * 100 + Number(frac);
  if (!Number.isSafeInteger(minor)) {
    throw new AgentError("INPUT_INVALID", `amount out of range: ${JSON.stringify(text2)}`, { text: text2 });
  }
  return sign * minor === 0 ? 0 : sign * minor;
}
function formatMilli(milli) {
  if (!Number.isSafeInteger(milli)) {
    throw new AgentError("INPUT_INVALID", `quantity must be integer thousandths, got ${milli}`, { milli });
  }
  const sign = milli < 0 ? "-" : "";
  const abs = Math.abs(milli);
  return `${sign}${Math.floor(abs / 1e3)}.${(abs % 1e3).toString().padStart(3, "0")}`;
}

// agent/core/pos.ts
function startPos(p, ctx) {
  const rows = p.rows && p.rows.length > 0 ? p.rows : [{ itemDescription: p.stationName, itemQuantity: "1", itemTotalAmount: money(p.currency, p.amountMinor) }];
  const s = {
    kind: "pos",
    phase: "sending-invoice",
    calls: 0,
    attempts: 0,
    sends: 0,
    version: 0,
    windows: 0,
    windowDeadline: 0,
    cancelAttempts: 0,
    ...p,
    rows
  };
  return send(s, ctx);
}
function send(s, ctx) {
  const invoice = {
    paymentMode: "IMMEDIATE_DEBIT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: s.rows,
    totalAmount: money(s.currency, s.amountMinor),
    cashierId: `point-${s.point}`
  };
  return callGlase(s, { op: "sendInvoice", invoice }, { phase: "sending-invoice", sends: s.sends + 1 });
}
function poll(s) {
  return callGlase(s, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version }, { phase: "polling" });
}
function cancel(s) {
  return callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef }, { phase: "canceling", cancelAttempts: s.cancelAttempts + 1 });
}
function finish(s, outcome, ...effects) {
  return { state: { ...s, phase: "finished", outcome, pending: void 0 }, effects: [cancelTimer("poll"), cancelTimer("customer"), ...effects] };
}
function display(s, text2) {
  return { type: "display", point: s.point, text: text2 };
}
function nextPoll(s, ctx) {
  if (s.cancelWanted !== void 0 && s.cancelAttempts < 10) return cancel(s);
  if (s.cancelWanted !== void 0) {
    return finish(s, "canceled", { type: "alarm", code: "cancel-unconfirmed", message: `invoice ${s.invoiceRef}: cancel not confirmed` });
  }
  return { state: { ...s, phase: "polling", pending: void 0 }, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
}
function paid(s, o, ctx) {
  const receipt = {
    stationName: s.stationName,
    terminalId: s.terminalId,
    point: s.point,
    amountMinor: s.amountMinor,
    currency: s.currency,
    ersReference: o.ersReference,
    description: "Glase payment",
    timestamp: o.paymentDate ?? new Date(ctx.now).toISOString()
  };
  return {
    state: { ...s, phase: "releasing", pending: void 0, ersReference: o.ersReference, receipt, invoiceRef: s.invoiceRef ?? o.invoiceReference },
    effects: [cancelTimer("poll"), cancelTimer("customer"), display(s, "Paid - thank you"), { type: "release", point: s.point, amountMinor: s.amountMinor }]
  };
}
function onStatus(s, o, ctx) {
  if (o.kind === "ok") {
    const next = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return paid(next, o, ctx);
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") return finish(next, "canceled", display(s, "Payment cancelled"));
    return nextPoll(next, ctx);
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return finish(s, "failed", { type: "alarm", code: "glase-getPaymentStatus", message: `point ${s.point}: getPaymentStatus answered ${o.code}` });
  }
  return nextPoll(s, ctx);
}
function onGlase(s, o, ctx) {
  const done = { ...s, pending: void 0 };
  switch (s.phase) {
    case "sending-invoice":
      if (o.kind === "ok" && o.invoiceReference) {
        const open = { ...done, invoiceRef: o.invoiceReference, windows: 1, windowDeadline: ctx.now + ctx.settings.posWindowMs };
        return withEffects(poll(open), timer("customer", ctx.settings.posWindowMs), display(s, "Scan the Glase code to pay"));
      }
      if (o.kind === "transport" && o.indefinite) return callGlase(done, { op: "getPaymentStatus", version: 0 }, { phase: "resolving-send" });
      if (isTemporary(o)) return finish(done, "offline", display(s, "Glase unavailable"));
      return finish(done, "failed", { type: "alarm", code: "glase-sendInvoice", message: `point ${s.point}: sendInvoice answered ${o.kind === "result" ? o.code : "?"}` });
    case "resolving-send":
      if (o.kind === "ok" && o.status === "PAID" && o.clientInvoiceId === s.flowId && o.ersReference) return paid(done, o, ctx);
      if (o.kind === "ok" || o.kind === "result" && o.code === 54) {
        if (s.sends >= 3) return finish(done, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing` });
        return send(done, ctx);
      }
      if (s.attempts >= 5) return finish(done, "offline", display(s, "Glase unavailable"));
      return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", ctx.settings.pollIntervalMs)] };
    case "polling":
      return onStatus(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || o.kind === "result" && (o.code === 95 || o.code === 55)) return finish(done, "canceled", display(s, "Payment cancelled"));
      if (o.kind === "result" && o.code === 50) return poll({ ...done, cancelWanted: void 0 });
      if (o.kind === "result" && o.code === 54) return finish(done, "canceled");
      return poll(done);
    case "releasing":
    case "printing":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}
function onTimer(s, name, ctx) {
  if (name === "poll" || name === "retry") {
    if (s.pending !== void 0) return same(s);
    if (s.phase === "polling") return poll(s);
    if (s.phase === "resolving-send") return callGlase(s, { op: "getPaymentStatus", version: 0 }, {});
    return same(s);
  }
  if (name === "customer" && (s.phase === "polling" || s.phase === "canceling")) {
    if (s.windows <= ctx.settings.posExtraWindows) {
      return { state: { ...s, windows: s.windows + 1, windowDeadline: ctx.now + ctx.settings.posWindowMs }, effects: [timer("customer", ctx.settings.posWindowMs)] };
    }
    const wanting = { ...s, cancelWanted: "unattended-timeout" };
    return s.pending === void 0 ? cancel(wanting) : same(wanting);
  }
  return same(s);
}
function transitionPos(s, input, ctx) {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      return o === void 0 ? same(s) : onGlase(s, o, ctx);
    }
    case "released":
      if (s.phase !== "releasing") return same(s);
      return {
        state: { ...s, phase: "printing" },
        effects: [
          ...input.ok ? [] : [{ type: "alarm", code: "release-failed", message: `point ${s.point}: product release failed after payment ${s.ersReference}` }],
          { type: "print", receipt: s.receipt }
        ]
      };
    case "printed":
      return s.phase === "printing" ? finish(s, "paid") : same(s);
    case "timer":
      return onTimer(s, input.name, ctx);
    case "recover":
      return recover(s, ctx);
    case "technician":
      if (input.action === "stop" || input.action === "cancel") {
        if (s.phase !== "polling" && s.phase !== "canceling") return same(s);
        const wanting = { ...s, cancelWanted: "technician" };
        return s.pending === void 0 ? cancel(wanting) : same(wanting);
      }
      return same(s);
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}
function recover(s, ctx) {
  const fresh = { ...s, pending: void 0, attempts: 0 };
  switch (s.phase) {
    case "sending-invoice":
    case "resolving-send":
      return callGlase(fresh, { op: "getPaymentStatus", version: 0 }, { phase: "resolving-send" });
    case "polling":
    case "canceling":
      return withEffects(poll(fresh), timer("customer", Math.max(0, s.windowDeadline - ctx.now)));
    case "releasing":
      return {
        state: { ...fresh, phase: "printing" },
        effects: [{ type: "alarm", code: "release-unknown", message: `point ${s.point}: restarted during product release of ${s.ersReference}` }, { type: "print", receipt: s.receipt }]
      };
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: s.receipt }] };
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "pos phase");
  }
}

// agent/core/preliminary.ts
function startPreliminary(p, ctx) {
  const s = {
    kind: "preliminary",
    phase: "sending-invoice",
    calls: 0,
    attempts: 0,
    sends: 0,
    version: 0,
    ...p,
    customerDeadline: ctx.now + ctx.settings.reservationWaitMs
  };
  return withEffects(send2(s, ctx), display2(s, "Confirm in the Glase app"), timer("customer", ctx.settings.reservationWaitMs));
}
function gradeOf(s, id) {
  return s.grades.find((g) => g.id === id);
}
function display2(s, text2) {
  return { type: "display", point: s.point, text: text2 };
}
function invoiceRow(s, totalMinor, d) {
  const grade = gradeOf(s, d?.gradeId ?? s.gradeId);
  const unitPrice = d?.unitPriceMinor ?? grade?.unitPriceMinor;
  return {
    itemDescription: grade?.name ?? (s.unit === "kWh" ? "Charging" : "Fuel"),
    itemQuantity: d ? formatMilli(Math.max(d.milli, 1)) : "1",
    ...grade ? { itemSKU: grade.id, itemTaxRate: String(grade.vatRatePercent) } : {},
    itemTotalAmount: money(s.currency, totalMinor),
    ...d ? { itemUnit: s.unit } : {},
    ...d && unitPrice !== void 0 ? { itemUnitPrice: money(s.currency, unitPrice) } : {}
  };
}
function send2(s, ctx) {
  const invoice = {
    paymentMode: "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: s.stationName,
    clientInvoiceId: s.flowId,
    invoiceRows: [invoiceRow(s, s.reserveMinor)],
    totalAmount: money(s.currency, s.reserveMinor),
    cashierId: `point-${s.point}`,
    commitReservationTimeout: ctx.settings.commitReservationTimeoutS
  };
  return callGlase(s, { op: "sendInvoice", invoice }, { phase: "sending-invoice", sends: s.sends + 1 });
}
function poll2(s, phase) {
  return callGlase(s, { op: "getPaymentStatus", invoiceReference: s.invoiceRef, version: s.version }, { phase });
}
function retryLater(s, ctx, patch = {}) {
  const attempts = s.attempts + 1;
  return { state: { ...s, ...patch, attempts, pending: void 0 }, effects: [timer("retry", backoffMs(attempts, ctx))] };
}
function finish2(s, outcome, ...effects) {
  const stop2 = ["customer", "poll", "nozzle", "stall", "retry"].map((n) => cancelTimer(n));
  return { state: { ...s, phase: "finished", outcome, pending: void 0 }, effects: [...stop2, ...effects] };
}
function park(s, reason, message) {
  return {
    state: { ...s, phase: "parked", parkedReason: reason, pending: void 0 },
    effects: [cancelTimer("retry"), cancelTimer("poll"), { type: "alarm", code: reason, message }, display2(s, "Out of order - please contact staff")]
  };
}
function cancel2(s, reason) {
  if (s.invoiceRef === void 0) return finish2(s, "canceled", display2(s, "Cancelled"));
  const step = callGlase(s, { op: "cancelInvoice", invoiceReference: s.invoiceRef }, { phase: "canceling", cancelWanted: reason });
  return withEffects(step, cancelTimer("customer"), cancelTimer("nozzle"), cancelTimer("stall"));
}
function authorize(s, ctx) {
  const deadline = ctx.now + (ctx.settings.commitReservationTimeoutS - ctx.settings.commitSafetyMarginS) * 1e3;
  const effect = {
    type: "authorize",
    point: s.point,
    limitMinor: s.reserveMinor,
    currency: s.currency,
    transactionId: s.flowId,
    ...s.gradeId !== void 0 ? { gradeId: s.gradeId } : {}
  };
  return {
    state: { ...s, phase: "authorizing", commitDeadline: deadline, pending: void 0, attempts: 0 },
    effects: [cancelTimer("customer"), cancelTimer("poll"), effect]
  };
}
function stop(s) {
  return {
    state: { ...s, phase: "stopping", stopRequested: true },
    effects: [cancelTimer("nozzle"), cancelTimer("stall"), { type: "stop", point: s.point }]
  };
}
function checkSale(s) {
  return { state: { ...s, phase: "checking-sale", pending: void 0 }, effects: [{ type: "saleRecord", transactionId: s.flowId }] };
}
function settle(s, d) {
  const base = { ...s, delivered: d, attempts: 0 };
  if (d.amountMinor <= 0) return cancel2(base, "nothing-delivered");
  const commitMinor = Math.min(d.amountMinor, s.reserveMinor);
  const effects = [cancelTimer("nozzle"), cancelTimer("stall"), display2(s, "Settling payment")];
  if (d.amountMinor > s.reserveMinor) {
    effects.push({
      type: "alarm",
      code: "overrun",
      message: `point ${s.point} metered ${d.amountMinor} above the reservation ${s.reserveMinor}; committing the reserved amount`
    });
  }
  return withEffects(update({ ...base, commitMinor }), ...effects);
}
function update(s) {
  const total = s.commitMinor;
  const invoice = { invoiceRows: [invoiceRow(s, total, s.delivered)], totalAmount: money(s.currency, total) };
  return callGlase(s, { op: "updateInvoice", invoiceReference: s.invoiceRef, invoice }, { phase: "updating" });
}
function commit(s) {
  const call = { op: "commitReservation", invoiceReference: s.invoiceRef, amountMinor: s.commitMinor, currency: s.currency };
  return callGlase(s, call, { phase: "committing" });
}
function pastDeadline(s, ctx) {
  return s.commitDeadline !== void 0 && ctx.now >= s.commitDeadline;
}
function settleRetry(s, ctx, why) {
  if (pastDeadline(s, ctx)) {
    return park(s, "settlement-parked", `point ${s.point}: could not settle invoice ${s.invoiceRef} before the commit deadline (${why})`);
  }
  return retryLater(s, ctx);
}
function paid2(s, o, ctx) {
  const d = s.delivered;
  const grade = gradeOf(s, d?.gradeId ?? s.gradeId);
  const receipt = {
    stationName: s.stationName,
    terminalId: s.terminalId,
    point: s.point,
    ...grade ? { gradeName: grade.name, vatRatePercent: grade.vatRatePercent } : {},
    ...d ? { milli: d.milli, unit: s.unit } : {},
    ...d?.unitPriceMinor !== void 0 ? { unitPriceMinor: d.unitPriceMinor } : {},
    amountMinor: s.commitMinor ?? 0,
    currency: s.currency,
    ersReference: o.ersReference,
    description: "Glase payment",
    timestamp: o.paymentDate ?? new Date(ctx.now).toISOString()
  };
  const state = { ...s, phase: "printing", ersReference: o.ersReference, paymentDate: receipt.timestamp, receipt, pending: void 0 };
  const effects = [cancelTimer("retry"), cancelTimer("poll"), display2(s, "Paid - thank you"), { type: "print", receipt }];
  if (ctx.settings.submitReceipts) {
    effects.push(glase(clientRef(s.flowId, s.calls + 1), { op: "submitPaymentReceipt", ersReference: o.ersReference, receipt }));
    return { state: { ...state, calls: s.calls + 1 }, effects };
  }
  return { state, effects };
}
function recover2(s, ctx) {
  const fresh = { ...s, pending: void 0, attempts: 0 };
  switch (s.phase) {
    case "sending-invoice":
    case "resolving-send":
      return callGlase(fresh, { op: "getPaymentStatus", version: 0 }, { phase: "resolving-send" });
    case "awaiting-reservation":
      return withEffects(poll2(fresh, "awaiting-reservation"), timer("customer", s.customerDeadline - ctx.now));
    case "canceling":
      return cancel2(fresh, s.cancelWanted ?? "recovered");
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
      return checkSale(fresh);
    case "updating":
      return update(fresh);
    case "committing":
    case "checking-commit":
      return poll2(fresh, "checking-commit");
    case "printing":
      return { state: fresh, effects: [{ type: "print", receipt: s.receipt }] };
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "preliminary phase");
  }
}
function onGlase2(s, o, ctx) {
  const done = { ...s, pending: void 0 };
  switch (s.phase) {
    case "sending-invoice":
      if (o.kind === "ok" && o.invoiceReference) {
        return poll2({ ...done, invoiceRef: o.invoiceReference, version: 0, attempts: 0 }, "awaiting-reservation");
      }
      if (o.kind === "transport" && o.indefinite) return callGlase(done, { op: "getPaymentStatus", version: 0 }, { phase: "resolving-send" });
      if (isTemporary(o)) return finish2(done, "offline", display2(s, "Glase unavailable - pay inside"));
      return finish2(done, "failed", alarmFor(s, "sendInvoice", o), display2(s, "Payment unavailable"));
    case "resolving-send":
      if (o.kind === "ok" || o.kind === "result" && o.code === 54) {
        if (s.sends >= 3) return finish2(done, "failed", { type: "alarm", code: "send-unresolved", message: `point ${s.point}: sendInvoice kept failing` });
        return send2({ ...done, attempts: 0 }, ctx);
      }
      if (ctx.now >= s.customerDeadline) return finish2(done, "offline", display2(s, "Glase unavailable - pay inside"));
      return retryLater(done, ctx);
    case "awaiting-reservation":
      return onReservationPoll(done, o, ctx);
    case "canceling":
      if (o.kind === "ok" || o.kind === "result" && (o.code === 95 || o.code === 54 || o.code === 55)) {
        return finish2(done, "canceled", display2(s, "Cancelled - no charge"));
      }
      if (o.kind === "result" && (o.code === 51 || o.code === 48)) return { state: done, effects: [timer("retry", ctx.settings.pollIntervalMs)] };
      if (o.kind === "result" && o.code === 50) return park(done, "paid-while-canceling", `invoice ${s.invoiceRef} is PAID although we cancelled it`);
      if (isTemporary(o) || o.kind === "transport") {
        if (pastDeadline(s, ctx) || s.commitDeadline === void 0 && s.attempts >= 10) {
          return finish2(done, "canceled", { type: "alarm", code: "cancel-unconfirmed", message: `invoice ${s.invoiceRef}: cancel not confirmed; it lapses by itself` });
        }
        return retryLater(done, ctx);
      }
      return finish2(done, "canceled", alarmFor(s, "cancelInvoice", o));
    case "updating":
      if (o.kind === "ok") return commit({ ...done, attempts: 0 });
      if (o.kind === "result" && (o.code === 54 || o.code === 96)) return poll2({ ...done, attempts: 0 }, "checking-commit");
      if (isTemporary(o) || o.kind === "transport" || o.kind === "result" && o.code === 48) return settleRetry(done, ctx, `updateInvoice ${describe(o)}`);
      return withEffects(commit({ ...done, attempts: 0 }), alarmFor(s, "updateInvoice", o));
    case "committing":
      if (o.kind === "ok") return poll2({ ...done, commitAccepted: true, attempts: 0 }, "checking-commit");
      if (o.kind === "result" && (o.code === 11 || isCredentialsCode(o.code))) {
        return park(done, "commit-rejected", `commitReservation of ${s.commitMinor} on ${s.invoiceRef} answered ${o.code}`);
      }
      if (o.kind === "result" && o.code === 96) return poll2(done, "checking-commit");
      return settleRetry({ ...done, phase: "checking-commit" }, ctx, `commitReservation ${describe(o)}`);
    case "checking-commit":
      return onCommitCheck(done, o, ctx);
    case "authorizing":
    case "authorized":
    case "delivering":
    case "stopping":
    case "checking-sale":
    case "printing":
    case "parked":
    case "finished":
      return same(s);
    default:
      return assertNever(s.phase, "preliminary phase");
  }
}
function onReservationPoll(s, o, ctx) {
  if (o.kind === "ok") {
    const next = { ...s, version: o.version ?? s.version, attempts: 0 };
    if (o.status === "RESERVED") return authorize(next, ctx);
    if (o.status === "CANCELED" || o.status === "FAILED" || o.status === "EXPIRED") {
      return finish2(next, "canceled", display2(s, "Payment declined"));
    }
    if (o.status === "PAID") return park(next, "paid-without-reservation", `invoice ${s.invoiceRef} is PAID before any delivery`);
    if (s.cancelWanted !== void 0) return cancel2(next, s.cancelWanted);
    return { state: next, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return finish2(s, "failed", alarmFor(s, "getPaymentStatus", o), display2(s, "Payment unavailable"));
  }
  if (s.cancelWanted !== void 0) return cancel2(s, s.cancelWanted);
  return { state: s, effects: [timer("poll", ctx.settings.pollIntervalMs)] };
}
function onCommitCheck(s, o, ctx) {
  if (o.kind === "ok") {
    const next = { ...s, version: o.version ?? s.version };
    if (o.status === "PAID" && o.ersReference) return paid2(next, o, ctx);
    if (o.status === "RESERVED" && !s.commitAccepted) {
      return pastDeadline(s, ctx) ? park(next, "settlement-parked", `invoice ${s.invoiceRef} still RESERVED at the commit deadline`) : commit(next);
    }
    if (o.status === "CANCELED" || o.status === "EXPIRED" || o.status === "FAILED") {
      return park(next, "reservation-lapsed", `invoice ${s.invoiceRef} is ${o.status}: delivered ${s.commitMinor} not paid`);
    }
    return { state: next, effects: [timer("retry", ctx.settings.pollIntervalMs)] };
  }
  if (o.kind === "result" && (o.code === 54 || isCredentialsCode(o.code))) {
    return park(s, "settlement-parked", `getPaymentStatus of ${s.invoiceRef} answered ${o.code}`);
  }
  return settleRetry(s, ctx, `getPaymentStatus ${describe(o)}`);
}
function describe(o) {
  return o.kind === "result" ? `result ${o.code}` : o.kind === "transport" ? o.indefinite ? "lost answer" : "unreachable" : "ok";
}
function alarmFor(s, op, o) {
  return { type: "alarm", code: `glase-${op}`, message: `point ${s.point}: ${op} ${describe(o)}` };
}
function onTimer2(s, name, ctx) {
  switch (name) {
    case "customer":
      if (s.phase !== "awaiting-reservation" && s.phase !== "sending-invoice" && s.phase !== "resolving-send") return same(s);
      if (s.pending !== void 0) return same({ ...s, cancelWanted: "customer-timeout" });
      return cancel2(s, "customer-timeout");
    case "poll":
      return s.phase === "awaiting-reservation" && s.pending === void 0 ? poll2(s, "awaiting-reservation") : same(s);
    case "nozzle":
      return s.phase === "authorized" ? stop(s) : same(s);
    case "stall":
      return s.phase === "delivering" ? stop(s) : same(s);
    case "retry":
      if (s.pending !== void 0) return same(s);
      switch (s.phase) {
        case "resolving-send":
          return callGlase(s, { op: "getPaymentStatus", version: 0 }, {});
        case "canceling":
          return cancel2(s, s.cancelWanted ?? "retry");
        case "updating":
          return update(s);
        case "checking-commit":
          return poll2(s, "checking-commit");
        case "checking-sale":
          return checkSale(s);
        default:
          return same(s);
      }
    default:
      return same(s);
  }
}
function onSale(s, record, failed, ctx) {
  if (s.phase !== "checking-sale") return same(s);
  if (failed) {
    if (pastDeadline(s, ctx)) return park(s, "dispenser-unreachable", `point ${s.point}: sale record unavailable before the commit deadline`);
    return { state: { ...s, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
  }
  if (record === null) return cancel2(s, "not-authorized");
  const d = { gradeId: record.gradeId, milli: record.milli, amountMinor: record.amountMinor, unitPriceMinor: record.unitPriceMinor };
  if (record.state === "finished" || s.stopRequested) return settle(s, d);
  if (record.state === "delivering") {
    return { state: { ...s, phase: "delivering", progress: d }, effects: [timer("stall", ctx.settings.deliveryStallMs)] };
  }
  return { state: { ...s, phase: "authorized" }, effects: [timer("nozzle", ctx.settings.nozzleLiftTimeoutMs)] };
}
var DELIVERY_PHASES = ["authorizing", "authorized", "delivering", "stopping", "checking-sale"];
function transitionPreliminary(s, input, ctx) {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      return o === void 0 ? same(s) : onGlase2(s, o, ctx);
    }
    case "authorized":
      if (s.phase !== "authorizing") return same(s);
      if (!input.ok) return checkSale(s);
      return { state: { ...s, phase: "authorized" }, effects: [timer("nozzle", ctx.settings.nozzleLiftTimeoutMs), display2(s, "Lift the nozzle")] };
    case "stopped":
      return s.phase === "stopping" ? checkSale(s) : same(s);
    case "sale":
      return onSale(s, input.record, input.failed === true, ctx);
    case "start":
    case "nozzle":
      return same(s);
    case "progress":
      if (s.phase !== "authorizing" && s.phase !== "authorized" && s.phase !== "delivering") return same(s);
      return {
        state: { ...s, phase: "delivering", progress: { milli: input.milli, amountMinor: input.amountMinor } },
        effects: s.phase === "delivering" ? [timer("stall", ctx.settings.deliveryStallMs)] : [cancelTimer("nozzle"), timer("stall", ctx.settings.deliveryStallMs)]
      };
    case "end":
      if (!DELIVERY_PHASES.includes(s.phase)) return same(s);
      return settle(s, { gradeId: input.gradeId, milli: input.milli, amountMinor: input.amountMinor, unitPriceMinor: input.unitPriceMinor });
    case "fault":
      return s.phase === "authorized" || s.phase === "delivering" ? stop(s) : same(s);
    case "printed":
      return s.phase === "printing" ? finish2(s, "paid") : same(s);
    case "released":
      return same(s);
    case "timer":
      return onTimer2(s, input.name, ctx);
    case "recover":
      return recover2(s, ctx);
    case "technician":
      return onTechnician(s, input.action, ctx);
    default:
      return assertNever(input, "input");
  }
}
function onTechnician(s, action, ctx) {
  if (action === "stop") {
    if (s.phase === "authorized" || s.phase === "delivering" || s.phase === "authorizing") return stop(s);
    if (s.phase === "awaiting-reservation" || s.phase === "sending-invoice") {
      return s.pending ? same({ ...s, cancelWanted: "stopped" }) : cancel2(s, "stopped");
    }
    return same(s);
  }
  if (s.phase !== "parked") return same(s);
  switch (action) {
    case "mark-settled":
      return finish2({ ...s, parkedReason: void 0 }, "settled-manually");
    case "retry":
      return poll2({ ...s, parkedReason: void 0, attempts: 0, commitDeadline: ctx.now + ctx.settings.retryMaxMs * 4 }, "checking-commit");
    case "cancel":
      return cancel2({ ...s, parkedReason: void 0, attempts: 0 }, "technician");
    default:
      return assertNever(action, "technician action");
  }
}

// agent/core/reconciliation.ts
var MAX_MARK_ATTEMPTS = 5;
function startReconciliation(p, _ctx) {
  return mark({ kind: "reconciliation", phase: "marking", calls: 0, attempts: 0, reportTries: 0, ...p });
}
function mark(s) {
  return callGlase(s, { op: "markTransactionPeriod", ...s.scope === "terminal" ? { terminalId: s.terminalId } : {} }, { phase: "marking" });
}
function report(s) {
  const call = {
    op: "executeReport",
    reportId: s.reportId,
    transactionPeriodId: s.transactionPeriodId,
    ...s.scope === "terminal" ? { terminalId: s.terminalId } : {}
  };
  return callGlase(s, call, { phase: "reporting", reportTries: s.reportTries + 1 });
}
function fail2(s, code) {
  return same({ ...s, phase: "finished", outcome: "failed", failCode: code, pending: void 0 });
}
function transitionReconciliation(s, input, ctx) {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      if (o === void 0) return same(s);
      const done = { ...s, pending: void 0 };
      if (s.phase === "marking") {
        if (o.kind === "ok" && o.transactionPeriodId) {
          return { state: { ...done, phase: "waiting", transactionPeriodId: o.transactionPeriodId, attempts: 0 }, effects: [timer("report", ctx.settings.reportWaitMs)] };
        }
        if ((isTemporary(o) || o.kind === "transport") && s.attempts < MAX_MARK_ATTEMPTS) {
          return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
        }
        return fail2(done, o.kind === "result" ? o.code : void 0);
      }
      if (s.phase === "reporting") {
        if (o.kind === "ok") return same({ ...done, phase: "finished", outcome: "reported", report: o.report ?? "", mimeType: o.mimeType });
        const retryable = o.kind === "result" && o.code === 2 || isTemporary(o) || o.kind === "transport";
        if (retryable && s.reportTries < ctx.settings.reportMaxRetries) {
          return { state: { ...done, phase: "waiting" }, effects: [timer("report", ctx.settings.reportRetryMs)] };
        }
        return fail2(done, o.kind === "result" ? o.code : void 0);
      }
      return same(s);
    }
    case "timer":
      if (s.pending !== void 0) return same(s);
      if (input.name === "retry" && s.phase === "marking") return mark(s);
      if (input.name === "report" && s.phase === "waiting") return report(s);
      return same(s);
    case "recover":
      if (s.phase === "marking") return mark({ ...s, pending: void 0 });
      return report({ ...s, pending: void 0 });
    case "technician":
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
    case "printed":
    case "released":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}

// agent/core/refund.ts
var MAX_ATTEMPTS = 5;
function startRefund(p, ctx) {
  return refund({ kind: "refund", phase: "refunding", calls: 0, attempts: 0, ...p }, ctx);
}
function refund(s, ctx) {
  const invoice = {
    paymentMode: "IMMEDIATE_DEBIT",
    acknowledgmentMode: "NO_ACKNOWLEDGMENT",
    issueDate: isoLocal(ctx.now),
    title: "Refund",
    clientInvoiceId: s.flowId,
    invoiceRows: [{ itemDescription: "Refund", itemQuantity: "1", itemTotalAmount: money(s.currency, s.amountMinor) }],
    totalAmount: money(s.currency, s.amountMinor)
  };
  return callGlase(s, { op: "refundPayment", ersReference: s.ersReference, invoice }, { phase: "refunding" });
}
function park2(s) {
  return {
    state: { ...s, phase: "parked", parkedReason: "refund-unknown", pending: void 0 },
    effects: [{ type: "alarm", code: "refund-unknown", message: `refund of ${s.amountMinor} on ${s.ersReference}: outcome unknown, check the report before retrying` }]
  };
}
function transitionRefund(s, input, ctx) {
  if (s.phase === "finished") return same(s);
  switch (input.type) {
    case "glase": {
      const o = pendingOutcome(s, input);
      if (o === void 0) return same(s);
      const done = { ...s, pending: void 0 };
      if (o.kind === "ok") return same({ ...done, phase: "finished", outcome: "refunded", refundReference: o.ersReference });
      if (isTemporary(o) && s.attempts < MAX_ATTEMPTS) {
        return { state: { ...done, attempts: s.attempts + 1 }, effects: [timer("retry", backoffMs(s.attempts + 1, ctx))] };
      }
      if (o.kind === "transport" && o.indefinite) return park2(done);
      return same({ ...done, phase: "finished", outcome: "failed", failCode: o.kind === "result" ? o.code : void 0 });
    }
    case "timer":
      return input.name === "retry" && s.phase === "refunding" && s.pending === void 0 ? refund(s, ctx) : same(s);
    case "recover":
      return s.phase === "refunding" ? park2(s) : same(s);
    case "technician":
      if (s.phase !== "parked") return same(s);
      if (input.action === "mark-settled") return same({ ...s, phase: "finished", outcome: "refunded", parkedReason: void 0 });
      if (input.action === "cancel") return same({ ...s, phase: "finished", outcome: "failed", parkedReason: void 0 });
      if (input.action === "retry") return refund({ ...s, parkedReason: void 0, attempts: 0 }, ctx);
      return same(s);
    case "start":
    case "authorized":
    case "stopped":
    case "sale":
    case "nozzle":
    case "progress":
    case "end":
    case "fault":
    case "printed":
    case "released":
      return same(s);
    default:
      return assertNever(input, "input");
  }
}

// agent/core/transition.ts
var CALL_EPOCH = 1e5;
function transition(state, input, ctx) {
  if (input.type === "recover") state = { ...state, calls: (Math.floor(state.calls / CALL_EPOCH) + 1) * CALL_EPOCH };
  switch (state.kind) {
    case "preliminary":
      return transitionPreliminary(state, input, ctx);
    case "pos":
      return transitionPos(state, input, ctx);
    case "refund":
      return transitionRefund(state, input, ctx);
    case "reconciliation":
      return transitionReconciliation(state, input, ctx);
    default:
      return assertNever(state, "flow kind");
  }
}
function amountOf(s) {
  switch (s.kind) {
    case "preliminary":
      return s.commitMinor ?? s.progress?.amountMinor ?? s.reserveMinor;
    case "pos":
    case "refund":
      return s.amountMinor;
    case "reconciliation":
      return void 0;
    default:
      return assertNever(s, "flow kind");
  }
}

// agent/glase/result-codes.ts
var RESULT_CODES = {
  0: "SUCCESS",
  1: "PENDING_APPROVAL",
  2: "REPORT_NOT_READY",
  10: "REJECTED_BUSINESS_LOGIC",
  11: "REJECTED_AMOUNT",
  12: "REJECTED_PAYMENT",
  13: "REJECTED_TOPUP",
  20: "AUTHENTICATION_FAILED",
  21: "ACCESS_DENIED",
  22: "INVALID_NEW_PASSWORD",
  23: "INVALID_ERS_REFERENCE",
  29: "INVALID_INITIATOR_PRINCIPAL_ID",
  30: "INVALID_RECEIVER_PRINCIPAL_ID",
  31: "INVALID_SENDER_PRINCIPAL_ID",
  32: "INVALID_TOPUP_PRINCIPAL_ID",
  33: "INVALID_INITIATOR_PRINCIPAL_STATE",
  34: "INVALID_RECEIVER_PRINCIPAL_STATE",
  35: "INVALID_SENDER_PRINCIPAL_STATE",
  36: "INVALID_TOPUP_PRINCIPAL_STATE",
  37: "INITIATOR_PRINCIPAL_NOT_FOUND",
  38: "RECEIVER_PRINCIPAL_NOT_FOUND",
  39: "SENDER_PRINCIPAL_NOT_FOUND",
  40: "TOPUP_PRINCIPAL_NOT_FOUND",
  41: "INVALID_PRODUCT",
  42: "INVALID_RECEIVER_ACCOUNT_TYPE",
  43: "INVALID_SENDER_ACCOUNT_TYPE",
  44: "INVALID_TOPUP_ACCOUNT_TYPE",
  45: "RECEIVER_ACCOUNT_NOT_FOUND",
  46: "SENDER_ACCOUNT_NOT_FOUND",
  47: "TOPUP_ACCOUNT_NOT_FOUND",
  48: "PAYMENT_IN_PROGRESS",
  49: "INVALID_INVOICE_DATA",
  50: "CANNOT_CANCEL_PAID_INVOICE",
  51: "CANNOT_CANCEL_INVOICE_IN_PROGRESS",
  52: "INVALID_CUSTOMER",
  53: "INVALID_SEQR_ID",
  54: "INVALID_INVOICE_REFERENCE",
  55: "PAYMENT_ALREADY_CANCELLED",
  56: "REGISTRATION_NOT_POSSIBLE",
  57: "REGISTRATION_PRINCIPAL_ALREADY_EXISTS",
  58: "PAYMENT_EXPIRED",
  60: "AUTHORIZATION_EXPIRED",
  61: "AUTHORIZATION_CANCELLED",
  62: "AUTHORIZATION_IN_PROGRESS",
  63: "INVALID_AUTHORIZATION_REFERENCE",
  64: "INVALID_NOTIFICATION_URL",
  90: "SYSTEM_ERROR",
  91: "UNSUPPORTED_OPERATION",
  92: "LICENSE_REJECTION",
  93: "SYSTEM_BUSY",
  94: "SERVICE_UNAVAILABLE",
  95: "INVOICE_ALREADY_CANCELED",
  96: "INVOICE_STATE_NOT_RESERVED",
  97: "RESELLER_NOT_ALLOWED_TO_DO_REFUND",
  98: "SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION",
  99: "RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS"
};
function resultName(code) {
  return RESULT_CODES[code] ?? `UNKNOWN ERSWSResultCode = ${code}`;
}
function classifyResult(code) {
  switch (code) {
    case 20:
    case 21:
    case 29:
    case 33:
    case 37:
      return "credentials";
    case 90:
    case 93:
    case 94:
      return "temporary";
    case 11:
    case 49:
    case 64:
      return "bad-invoice";
    case 2:
      return "not-ready";
    case 23:
    case 48:
    case 50:
    case 51:
    case 53:
    case 54:
    case 95:
    case 96:
    case 97:
    case 98:
    case 99:
      return "state";
    default:
      return "other";
  }
}

// agent/glase/errors.ts
var GlaseError = class extends AgentError {
  resultCode;
  resultName;
  operation;
  resultClass;
  constructor(operation, resultCode, context = {}) {
    const name = resultName(resultCode);
    super("GLASE_RESULT", `${operation} answered ${resultCode} ${name}`, { operation, resultCode, resultName: name, ...context });
    this.name = "GlaseError";
    this.resultCode = resultCode;
    this.resultName = name;
    this.operation = operation;
    this.resultClass = classifyResult(resultCode);
  }
};
var TransportError = class extends AgentError {
  kind;
  indefinite;
  operation;
  constructor(operation, kind, indefinite, message, context = {}, options) {
    super("GLASE_TRANSPORT", `${operation}: ${message}`, { operation, kind, indefinite, ...context }, options);
    this.name = "TransportError";
    this.kind = kind;
    this.indefinite = indefinite;
    this.operation = operation;
  }
};

// agent/flows/glase-executor.ts
function classifyFailure(err) {
  if (err instanceof GlaseError) return { kind: "result", code: err.resultCode };
  if (err instanceof TransportError) return { kind: "transport", indefinite: err.indefinite };
  return { kind: "transport", indefinite: true };
}
function need(value, what) {
  if (value === void 0) throw new AgentError("CONFIG_INVALID", `no ${what} configured for this Glase call`, { what });
  return value;
}
function receiptDocument(call) {
  const r = call.receipt;
  const text2 = [r.stationName, `${r.description} ${(r.amountMinor / 100).toFixed(2)} ${r.currency}`, r.ersReference, r.timestamp].join("\n");
  return { mimeType: "text/plain", receiptData: new TextEncoder().encode(text2), receiptType: "PAYMENT_RECEIPT" };
}
async function executeGlaseCall(api, target, call, opts) {
  try {
    switch (call.op) {
      case "sendInvoice": {
        const r = await api.sendInvoice(need(target.terminal, "terminal"), call.invoice, void 0, opts);
        return { kind: "ok", invoiceReference: r.invoiceReference };
      }
      case "getPaymentStatus": {
        const r = await api.getPaymentStatus(need(target.terminal, "terminal"), call.invoiceReference, call.version, opts);
        return {
          kind: "ok",
          status: r.status,
          version: r.version,
          ...r.ersReference !== void 0 ? { ersReference: r.ersReference } : {},
          ...r.receipt?.paymentDate !== void 0 ? { paymentDate: r.receipt.paymentDate } : {},
          ...r.receipt?.clientInvoiceId !== void 0 ? { clientInvoiceId: r.receipt.clientInvoiceId } : {},
          ...r.receipt?.invoiceReference !== void 0 ? { invoiceReference: r.receipt.invoiceReference } : {}
        };
      }
      case "updateInvoice":
        await api.updateInvoice(need(target.terminal, "terminal"), call.invoiceReference, call.invoice, void 0, opts);
        return { kind: "ok" };
      case "cancelInvoice":
        await api.cancelInvoice(need(target.terminal, "terminal"), call.invoiceReference, opts);
        return { kind: "ok" };
      case "commitReservation":
        await api.commitReservation(need(target.terminal, "terminal"), call.invoiceReference, money(call.currency, call.amountMinor), opts);
        return { kind: "ok" };
      case "submitPaymentReceipt":
        await api.submitPaymentReceipt(need(target.terminal, "terminal"), call.ersReference, receiptDocument(call), opts);
        return { kind: "ok" };
      case "refundPayment": {
        const r = await api.refundPayment(need(target.terminal, "terminal"), call.ersReference, call.invoice, opts);
        return { kind: "ok", ...r.ersReference !== void 0 ? { ersReference: r.ersReference } : {} };
      }
      case "markTransactionPeriod": {
        const params = call.terminalId !== void 0 ? { TERMINALID: call.terminalId } : void 0;
        const r = await api.markTransactionPeriod(principalOf(target), params, opts);
        return { kind: "ok", transactionPeriodId: r.transactionPeriodId };
      }
      case "executeReport": {
        const params = { transactionPeriodId: call.transactionPeriodId };
        if (call.terminalId !== void 0) params.TERMINALID = call.terminalId;
        const r = await api.executeReport(principalOf(target), call.reportId, "en", params, opts);
        const report3 = r.report.contentString ?? (r.report.content ? new TextDecoder().decode(r.report.content) : "");
        return { kind: "ok", report: report3, ...r.report.mimeType !== void 0 ? { mimeType: r.report.mimeType } : {} };
      }
      default: {
        const never = call;
        throw new AgentError("INTERNAL", `unknown Glase call ${JSON.stringify(never)}`);
      }
    }
  } catch (err) {
    return classifyFailure(err);
  }
}
function principalOf(target) {
  if (target.reseller) return { type: "RESELLERUSER", ...target.reseller };
  return { type: "TERMINALID", ...need(target.terminal, "terminal or shop credentials") };
}

// agent/flows/runner.ts
var VOLATILE = /* @__PURE__ */ new Set(["pending", "calls", "version", "attempts", "progress"]);
function durablePart(s) {
  return JSON.stringify(s, (k, v) => VOLATILE.has(k) ? void 0 : v);
}
function recordOf(state, input, effects, at) {
  return {
    flowId: state.flowId,
    kind: state.kind,
    ..."point" in state && state.point !== void 0 ? { point: state.point } : {},
    ..."terminalId" in state && state.terminalId !== void 0 ? { terminalId: state.terminalId } : {},
    at,
    input,
    state,
    stateName: state.phase,
    finished: state.phase === "finished",
    parked: state.phase === "parked",
    effects: effects.filter((e) => e.type !== "startTimer" && e.type !== "cancelTimer")
  };
}
var FlowRunner = class {
  constructor(host, state, startedAt) {
    this.host = host;
    this.state = state;
    this.startedAt = startedAt ?? host.scheduler.now();
  }
  queue = Promise.resolve();
  timers = /* @__PURE__ */ new Map();
  inFlight = 0;
  dead = false;
  startedAt;
  get flowId() {
    return this.state.flowId;
  }
  get finished() {
    return this.state.phase === "finished";
  }
  /** True while nothing runs for this flow (no effect in flight, no queued input). */
  get idle() {
    return this.inFlight === 0;
  }
  /** Starts a fresh flow: its first transition is journaled before any of its effects run. */
  async begin(effects, input) {
    const at = this.host.scheduler.now();
    await this.host.journal.append(recordOf(this.state, input, effects, at));
    this.host.changed(this);
    this.run(effects);
  }
  /** Resumes after recovery: the recover transition was already journaled (in one batch). */
  resume(effects) {
    this.host.changed(this);
    this.run(effects);
  }
  feed(input) {
    this.inFlight++;
    this.queue = this.queue.then(() => this.apply(input)).finally(() => this.inFlight--);
    return this.queue;
  }
  stop() {
    this.dead = true;
    for (const cancel3 of this.timers.values()) cancel3();
    this.timers.clear();
  }
  async apply(input) {
    if (this.dead) return;
    const before = this.state;
    const now = this.host.scheduler.now();
    const step = transition(before, input, { now, settings: this.host.settings, random: this.host.random() });
    const durable = durablePart(step.state) !== durablePart(before) || step.effects.some((e) => !isReadOnly(e));
    if (durable) {
      try {
        await this.host.journal.append(recordOf(step.state, input, step.effects, now));
      } catch (err) {
        this.stop();
        this.host.journalFailed(this, err);
        return;
      }
    }
    this.state = step.state;
    if (step.state !== before) this.host.changed(this);
    this.run(step.effects);
  }
  run(effects) {
    for (const effect of effects) {
      if (this.dead) return;
      if (effect.type === "startTimer") {
        this.timers.get(effect.name)?.();
        const name = effect.name;
        this.timers.set(
          name,
          this.host.scheduler.setTimer(effect.delayMs, () => {
            this.timers.delete(name);
            void this.feed({ type: "timer", name });
          })
        );
      } else if (effect.type === "cancelTimer") {
        this.timers.get(effect.name)?.();
        this.timers.delete(effect.name);
      } else {
        this.inFlight++;
        this.host.perform(this, effect).then((next) => {
          if (next !== void 0 && !this.dead) void this.feed(next);
        }).catch((err) => this.host.logger.error("effect_failed", { flowId: this.flowId, effect: effect.type, err })).finally(() => this.inFlight--);
      }
    }
    if (this.finished) this.stop();
  }
};

// agent/flows/recovery.ts
async function recoverFlows(journal, now, settings2, random) {
  const open = await journal.unfinishedFlows();
  const recovered = [];
  for (const f of open) {
    const step = transition(f.state, { type: "recover" }, { now, settings: settings2, random });
    recovered.push({ state: step.state, effects: step.effects, startedAt: f.createdAt });
  }
  await journal.appendMany(recovered.map((r) => recordOf(r.state, { type: "recover" }, r.effects, now)));
  return recovered;
}

// agent/engine.ts
var RECENT_FLOWS = 200;
var OFFLINE_HOLD_FACTOR = 2;
function createPaymentEngine(opts) {
  return new Engine(opts);
}
var Engine = class {
  constructor(opts) {
    this.opts = opts;
    this.journal = opts.journal;
    this.scheduler = opts.scheduler;
    this.settings = opts.settings;
    this.logger = opts.logger;
    for (const p of opts.points) {
      if (this.points.has(p.id)) throw new AgentError("CONFIG_INVALID", `point ${p.id} is configured twice`, { point: p.id });
      this.points.set(p.id, { config: p, stopped: false, offlineUntil: 0, alarms: [] });
    }
  }
  events$ = new Subject();
  journal;
  scheduler;
  settings;
  logger;
  points = /* @__PURE__ */ new Map();
  runners = /* @__PURE__ */ new Map();
  recent = [];
  alarms = [];
  waiters = /* @__PURE__ */ new Map();
  accepting = false;
  closed = false;
  seq = 0;
  alarmSeq = 0;
  unsubscribe;
  cancelCompaction;
  random() {
    return (this.opts.random ?? Math.random)();
  }
  // ---- lifecycle ------------------------------------------------------------------------------
  async start() {
    const t0 = Date.now();
    const recovered = await recoverFlows(this.journal, this.scheduler.now(), this.settings, this.random());
    for (const { state, effects, startedAt } of recovered) {
      const runner = new FlowRunner(this, state, startedAt);
      this.attach(runner);
      runner.resume(effects);
    }
    if (this.opts.dispenser) this.unsubscribe = this.opts.dispenser.onEvent((e) => this.onDispenserEvent(e));
    this.accepting = true;
    this.scheduleCompaction(0);
    const parked = recovered.filter((r) => r.state.phase === "parked").length;
    const report3 = { resumed: recovered.length, parked, flowIds: recovered.map((r) => r.state.flowId), durationMs: Date.now() - t0 };
    this.logger.info("engine_started", { resumed: report3.resumed, parked, ms: report3.durationMs });
    return report3;
  }
  stopAccepting() {
    this.accepting = false;
  }
  async drain(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.runners.values()].some((r) => r.state.phase !== "parked")) {
      await new Promise((resolve) => {
        const sub = this.events$.subscribe(() => (sub.unsubscribe(), resolve()));
        const cancel3 = setTimeout(() => (sub.unsubscribe(), resolve()), Math.max(1, Math.min(500, deadline - Date.now())));
        cancel3.unref?.();
      });
    }
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.accepting = false;
    this.unsubscribe?.();
    this.cancelCompaction?.();
    for (const r of this.runners.values()) r.stop();
    for (const w of this.waiters.values()) w.reject(new AgentError("ABORTED", "engine closed"));
    this.waiters.clear();
    this.events$.complete();
  }
  scheduleCompaction(delayMs) {
    if (this.closed) return;
    this.cancelCompaction = this.scheduler.setTimer(delayMs, () => {
      this.journal.compact(this.scheduler.now() - this.opts.settings.retentionMs).then((n) => n > 0 && this.logger.info("journal_compacted", { flows: n })).catch((err) => this.logger.error("journal_compaction_failed", { err })).finally(() => this.scheduleCompaction(Math.max(6e4, Math.min(36e5, this.opts.settings.retentionMs / 4))));
    });
  }
  // ---- starting flows -------------------------------------------------------------------------
  newFlowId(prefix) {
    this.seq = (this.seq + 1) % 1296;
    const rand = Math.floor(this.random() * 1296).toString(36).padStart(2, "0");
    return `${prefix}${this.scheduler.now().toString(36)}${this.seq.toString(36).padStart(2, "0")}${rand}`;
  }
  ctx() {
    return { now: this.scheduler.now(), settings: this.settings, random: this.random() };
  }
  attach(runner) {
    this.runners.set(runner.flowId, runner);
    const point = "point" in runner.state ? runner.state.point : void 0;
    if (point !== void 0 && (runner.state.kind === "preliminary" || runner.state.kind === "pos")) {
      const p = this.points.get(point);
      if (p) p.active = runner;
    }
  }
  async launch(state, effects, input) {
    const runner = new FlowRunner(this, state);
    this.attach(runner);
    try {
      await runner.begin(effects, input);
    } catch (err) {
      this.runners.delete(runner.flowId);
      this.detachFromPoint(runner);
      throw err;
    }
    return runner;
  }
  /** Why a new customer cannot start on this point now, or undefined if they can. */
  refusal(p) {
    if (!this.accepting) return "Closed";
    if (p.stopped) return "Out of service";
    if (p.active) return "Busy";
    if (this.scheduler.now() < p.offlineUntil) return "Glase offline - pay inside";
    return void 0;
  }
  onCustomerCall(point, gradeId, presetMinor) {
    const p = this.points.get(point);
    if (!p || p.config.kind === "kiosk") return;
    const why = this.refusal(p);
    if (why) {
      this.display(point, why);
      return;
    }
    const reserve = presetMinor !== void 0 && presetMinor > 0 ? Math.min(presetMinor, p.config.maxPreliminaryMinor) : p.config.maxPreliminaryMinor;
    const step = startPreliminary(
      {
        flowId: this.newFlowId(`P${point}-`),
        point,
        terminalId: p.config.terminal.terminalId,
        currency: p.config.currency,
        stationName: p.config.stationName,
        unit: p.config.kind === "ev" ? "kWh" : "L",
        grades: p.config.grades ?? [],
        ...gradeId !== void 0 ? { gradeId } : {},
        reserveMinor: reserve
      },
      this.ctx()
    );
    this.launch(step.state, step.effects, { type: "start" }).catch((err) => {
      this.logger.error("flow_start_failed", { point, err });
      this.display(point, "Payment unavailable");
    });
  }
  async startPosPayment(point, amountMinor, rows) {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new AgentError("INPUT_INVALID", `amount must be a positive integer of minor units, got ${amountMinor}`, { amountMinor });
    const why = this.refusal(p);
    if (why) throw new AgentError("CONFLICT", `point ${point} cannot take a payment now: ${why}`, { point, reason: why });
    const step = startPos(
      {
        flowId: this.newFlowId(`K${point}-`),
        point,
        terminalId: p.config.terminal.terminalId,
        currency: p.config.currency,
        stationName: p.config.stationName,
        amountMinor,
        ...rows ? { rows } : {}
      },
      this.ctx()
    );
    const runner = await this.launch(step.state, step.effects, { type: "start" });
    return runner.flowId;
  }
  terminalFor(req) {
    const found = [...this.points.values()].find((p) => p.config.id === req.point || p.config.terminal.terminalId === req.terminal);
    if (!found) throw new AgentError("NOT_FOUND", `no point/terminal ${req.point ?? req.terminal}`, { ...req });
    return found.config;
  }
  waitFor(flowId) {
    return new Promise((resolve, reject) => this.waiters.set(flowId, { resolve, reject }));
  }
  async startRefund(req) {
    const cfg = this.terminalFor(req);
    if (!Number.isSafeInteger(req.amountMinor) || req.amountMinor <= 0) throw new AgentError("INPUT_INVALID", `refund amount must be a positive integer of minor units`, { amountMinor: req.amountMinor });
    const flowId = this.newFlowId("R");
    const step = startRefund({ flowId, terminalId: cfg.terminal.terminalId, point: cfg.id, currency: cfg.currency, ersReference: req.ersReference, amountMinor: req.amountMinor }, this.ctx());
    const done = this.waitFor(flowId);
    await this.launch(step.state, step.effects, { type: "start" });
    const s = await done;
    if (s.kind === "refund" && s.outcome === "refunded") return { flowId, refundErsReference: s.refundReference ?? "" };
    if (s.kind === "refund" && s.failCode !== void 0) throw new AgentError("GLASE_RESULT", `refund refused with result code ${s.failCode}`, { flowId, resultCode: s.failCode });
    throw new AgentError("CONFLICT", `refund ${flowId} ended ${s.phase === "parked" ? "parked: outcome unknown, check the report" : s.outcome}`, { flowId });
  }
  async startReconciliation(req) {
    if (req.scope === "terminal") this.terminalFor({ terminal: req.terminal });
    else if (!this.opts.reseller) throw new AgentError("CONFIG_INVALID", "shop reconciliation needs the shop (reseller) credentials", {});
    const flowId = this.newFlowId("C");
    const step = startReconciliation({ flowId, scope: req.scope, ...req.terminal !== void 0 ? { terminalId: req.terminal } : {}, reportId: req.reportId }, this.ctx());
    const done = this.waitFor(flowId);
    await this.launch(step.state, step.effects, { type: "start" });
    const s = await done;
    if (s.kind !== "reconciliation" || s.outcome !== "reported") {
      const code = s.kind === "reconciliation" ? s.failCode : void 0;
      throw new AgentError("GLASE_RESULT", `reconciliation failed${code !== void 0 ? ` with result code ${code}` : ""}`, { flowId, resultCode: code });
    }
    return {
      flowId,
      reportId: s.reportId,
      ...s.transactionPeriodId !== void 0 ? { transactionPeriodId: s.transactionPeriodId } : {},
      ...s.report !== void 0 ? { report: s.report } : {},
      ...s.mimeType !== void 0 ? { mimeType: s.mimeType } : {}
    };
  }
  async stopPoint(point) {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    p.stopped = true;
    if (p.active) await p.active.feed({ type: "technician", action: "stop" });
    this.changedPoint(p);
  }
  /** Additive to the API: puts a stopped point back into service. */
  resumePoint(point) {
    const p = this.points.get(point);
    if (!p) throw new AgentError("NOT_FOUND", `no point ${point}`, { point });
    p.stopped = false;
    this.changedPoint(p);
  }
  async resolveParked(flowId, action) {
    const r = this.runners.get(flowId);
    if (!r) throw new AgentError("NOT_FOUND", `no running flow ${flowId}`, { flowId });
    if (r.state.phase !== "parked") throw new AgentError("CONFLICT", `flow ${flowId} is not parked (${r.state.phase})`, { flowId });
    await r.feed({ type: "technician", action });
  }
  // ---- receipts, journal ----------------------------------------------------------------------
  async receipts() {
    return (await this.journal.receipts()).map((r) => ({ ...r, content: r.content }));
  }
  async reprint(key) {
    const r = (await this.journal.receipts()).find((x) => x.flowId === key || x.ersReference === key);
    if (!r) throw new AgentError("NOT_FOUND", `no receipt for ${key}`, { key });
    if (!this.opts.printer) throw new AgentError("PRINTER_UNAVAILABLE", "no printer configured", {});
    await this.opts.printer.print(r.content);
    await this.journal.saveReceipt({ ...r, printed: true });
  }
  async journalTail(n) {
    return (await this.journal.tail(n)).map((s) => ({
      seq: s.seq,
      at: s.at,
      flowId: s.flowId,
      input: describeInput(s.input),
      state: s.stateName,
      effects: s.effects.map(describeEffect)
    }));
  }
  // ---- RunnerHost -----------------------------------------------------------------------------
  async perform(runner, effect) {
    const d = this.opts.dispenser;
    switch (effect.type) {
      case "glase": {
        const outcome = await executeGlaseCall(this.opts.glase, this.targetOf(runner.state), effect.call, {
          clientReference: effect.ref,
          timeoutMs: this.settings.glaseCallTimeoutMs
        });
        return { type: "glase", op: effect.call.op, ref: effect.ref, outcome };
      }
      case "authorize":
        if (!d) return { type: "authorized", ok: false };
        return d.authorize({ point: effect.point, limitMinor: effect.limitMinor, currency: effect.currency, transactionId: effect.transactionId, ...effect.gradeId ? { gradeId: effect.gradeId } : {} }).then(
          () => ({ type: "authorized", ok: true }),
          (err) => (this.logger.warn("authorize_failed", { flowId: runner.flowId, err }), { type: "authorized", ok: false })
        );
      case "stop":
        if (!d) return { type: "stopped", ok: false };
        return d.stop(effect.point).then(
          () => ({ type: "stopped", ok: true }),
          () => ({ type: "stopped", ok: false })
        );
      case "saleRecord":
        if (!d) return { type: "sale", record: null, failed: true };
        return d.saleRecord(effect.transactionId).then(
          (r) => ({ type: "sale", record: r ? { state: r.state, milli: r.milli, amountMinor: r.amountMinor, ...r.gradeId ? { gradeId: r.gradeId } : {}, ...r.unitPriceMinor !== void 0 ? { unitPriceMinor: r.unitPriceMinor } : {}, ...r.reason ? { reason: r.reason } : {} } : null }),
          (err) => (this.logger.warn("sale_record_failed", { flowId: runner.flowId, err }), { type: "sale", record: null, failed: true })
        );
      case "display":
        this.display(effect.point, effect.text);
        return void 0;
      case "print":
        return { type: "printed", ok: await this.print(runner.flowId, effect.receipt) };
      case "alarm":
        this.raiseAlarm(runner.state, effect.code, effect.message);
        return void 0;
      case "release": {
        let ok2 = true;
        if (this.opts.release) ok2 = await this.opts.release(effect.point, effect.amountMinor, runner.flowId).then(() => true, () => false);
        return { type: "released", ok: ok2 };
      }
      default: {
        const never = effect;
        throw new AgentError("INTERNAL", `unknown effect ${JSON.stringify(never)}`);
      }
    }
  }
  targetOf(s) {
    if (s.kind === "reconciliation" && s.scope === "shop") return { ...this.opts.reseller ? { reseller: this.opts.reseller } : {} };
    const terminalId = s.terminalId;
    const terminal = [...this.points.values()].find((p) => p.config.terminal.terminalId === terminalId)?.config.terminal;
    return terminal ? { terminal } : {};
  }
  async print(flowId, receipt) {
    const record = { flowId, ersReference: receipt.ersReference, content: receipt, printed: false, at: this.scheduler.now() };
    await this.journal.saveReceipt(record);
    let printed = false;
    if (this.opts.printer) {
      printed = await this.opts.printer.print(receipt).then(
        () => true,
        (err) => (this.logger.warn("receipt_not_printed", { flowId, err }), false)
      );
      if (printed) await this.journal.saveReceipt({ ...record, printed: true });
    }
    this.events$.next({ type: "receipt", receipt: { ...record, printed } });
    return printed;
  }
  display(point, text2) {
    this.opts.dispenser?.display(point, text2).catch(() => void 0);
  }
  raiseAlarm(s, code, message) {
    const point = "point" in s ? s.point : void 0;
    const alarm = { id: `A${++this.alarmSeq}`, at: this.scheduler.now(), ...point !== void 0 ? { point } : {}, flowId: s.flowId, code, message };
    this.alarms.push(alarm);
    if (this.alarms.length > 500) this.alarms.shift();
    const p = point !== void 0 ? this.points.get(point) : void 0;
    if (p) p.alarms = [...p.alarms.slice(-19), alarm];
    this.logger.warn("alarm", { code, flowId: s.flowId, point, message });
    this.events$.next({ type: "alarm", alarm });
  }
  changed(runner) {
    const s = runner.state;
    const summary = this.summarize(runner);
    if (s.phase === "finished") this.finish(runner, summary);
    else if (s.phase === "parked") this.answerWaiter(s);
    this.events$.next({ type: "flow", flow: summary });
    const p = "point" in s && s.point !== void 0 ? this.points.get(s.point) : void 0;
    if (p) this.changedPoint(p);
  }
  journalFailed(runner, err) {
    this.logger.error("journal_write_failed", { flowId: runner.flowId, err });
    this.raiseAlarm(runner.state, "journal-failed", `flow ${runner.flowId} stopped: the journal could not record its next step`);
  }
  finish(runner, summary) {
    this.runners.delete(runner.flowId);
    this.detachFromPoint(runner);
    this.recent.unshift(summary);
    if (this.recent.length > RECENT_FLOWS) this.recent.pop();
    const s = runner.state;
    if (s.outcome === "offline" && "point" in s && s.point !== void 0) {
      const p = this.points.get(s.point);
      if (p) p.offlineUntil = this.scheduler.now() + this.settings.retryMaxMs * OFFLINE_HOLD_FACTOR;
    }
    this.logger.info("flow_finished", { flowId: s.flowId, kind: s.kind, outcome: s.outcome });
    this.answerWaiter(s);
  }
  answerWaiter(s) {
    const w = this.waiters.get(s.flowId);
    if (w) this.waiters.delete(s.flowId), w.resolve(s);
  }
  detachFromPoint(runner) {
    const s = runner.state;
    const p = "point" in s && s.point !== void 0 ? this.points.get(s.point) : void 0;
    if (p?.active === runner) p.active = void 0;
  }
  changedPoint(p) {
    this.events$.next({ type: "point", point: this.pointSnapshot(p) });
  }
  // ---- snapshot -------------------------------------------------------------------------------
  summarize(r) {
    const s = r.state;
    const point = "point" in s ? s.point : void 0;
    const terminalId = "terminalId" in s ? s.terminalId : void 0;
    const invoiceReference = "invoiceRef" in s ? s.invoiceRef : void 0;
    const ersReference = s.kind === "refund" ? s.refundReference : "ersReference" in s ? s.ersReference : void 0;
    const amount3 = amountOf(s);
    return {
      flowId: s.flowId,
      kind: s.kind,
      ...point !== void 0 ? { point } : {},
      ...terminalId !== void 0 ? { terminalId } : {},
      state: s.phase,
      finished: s.phase === "finished",
      parked: s.phase === "parked",
      ...invoiceReference !== void 0 ? { invoiceReference } : {},
      ...ersReference !== void 0 ? { ersReference } : {},
      ...amount3 !== void 0 ? { amountMinor: amount3 } : {},
      startedAt: r.startedAt,
      updatedAt: this.scheduler.now(),
      ...s.outcome !== void 0 ? { outcome: s.outcome } : {}
    };
  }
  pointSnapshot(p) {
    const s = p.active?.state;
    let state = "idle";
    let amountMinor;
    let milli;
    if (s?.kind === "preliminary") {
      state = displayOfPreliminary(s.phase);
      amountMinor = s.delivered?.amountMinor ?? s.progress?.amountMinor;
      milli = s.delivered?.milli ?? s.progress?.milli;
    } else if (s?.kind === "pos") {
      state = s.phase === "releasing" || s.phase === "printing" ? "paid" : "waiting-customer";
      amountMinor = s.amountMinor;
    } else if (p.stopped) state = "stopped";
    else if (this.scheduler.now() < p.offlineUntil) state = "offline";
    return {
      point: p.config.id,
      kind: p.config.kind,
      terminalId: p.config.terminal.terminalId,
      state,
      ...s ? { flowId: s.flowId } : {},
      ...amountMinor !== void 0 ? { amountMinor } : {},
      ...milli !== void 0 ? { milli } : {},
      alarms: p.alarms
    };
  }
  snapshot() {
    const running = [...this.runners.values()].map((r) => this.summarize(r));
    return {
      accepting: this.accepting,
      points: [...this.points.values()].map((p) => this.pointSnapshot(p)),
      flows: [...running, ...this.recent],
      alarms: [...this.alarms]
    };
  }
  // ---- dispenser events -----------------------------------------------------------------------
  onDispenserEvent(e) {
    if (this.closed) return;
    switch (e.type) {
      case "call":
        this.onCustomerCall(e.point, e.gradeId, e.presetMinor);
        return;
      case "nozzle": {
        const r = this.points.get(e.point)?.active;
        if (r) void r.feed({ type: "nozzle", up: e.up });
        return;
      }
      case "progress":
        void this.runners.get(e.transactionId)?.feed({ type: "progress", milli: e.milli, amountMinor: e.amountMinor });
        return;
      case "end":
        void this.runners.get(e.transactionId)?.feed({ type: "end", gradeId: e.gradeId, milli: e.milli, amountMinor: e.amountMinor, unitPriceMinor: e.unitPriceMinor, reason: e.reason });
        return;
      case "fault": {
        const r = e.transactionId !== void 0 ? this.runners.get(e.transactionId) : e.point !== null ? this.points.get(e.point)?.active : void 0;
        if (r) void r.feed({ type: "fault", code: e.code });
        return;
      }
      case "link":
        this.logger.info("dispenser_link", { up: e.up });
        return;
      default: {
        const never = e;
        this.logger.warn("dispenser_event_unknown", { event: never });
      }
    }
  }
};
function displayOfPreliminary(phase) {
  switch (phase) {
    case "sending-invoice":
    case "resolving-send":
    case "awaiting-reservation":
    case "canceling":
      return "waiting-customer";
    case "authorizing":
    case "authorized":
      return "authorized";
    case "delivering":
    case "stopping":
    case "checking-sale":
      return "delivering";
    case "updating":
    case "committing":
    case "checking-commit":
      return "settling";
    case "printing":
      return "paid";
    case "parked":
      return "parked";
    default:
      return "idle";
  }
}
function describeInput(input) {
  const i = input;
  switch (i?.type) {
    case "glase":
      return `glase ${i.op} ${i.outcome.kind === "ok" ? `ok${i.outcome.status ? ` ${i.outcome.status}` : ""}` : i.outcome.kind === "result" ? `result ${i.outcome.code}` : i.outcome.indefinite ? "lost" : "unreachable"}`;
    case "timer":
      return `timer ${i.name}`;
    case "technician":
      return `technician ${i.action}`;
    case void 0:
      return "?";
    default:
      return i.type;
  }
}
function describeEffect(e) {
  switch (e.type) {
    case "glase":
      return `${e.call.op} ${e.ref}`;
    case "alarm":
      return `alarm ${e.code}`;
    case "authorize":
      return `authorize limit=${e.limitMinor}`;
    default:
      return e.type;
  }
}

// agent/glase/client-context.ts
import { randomUUID } from "node:crypto";
var MAX_CLIENT_REFERENCE = 32;
function newClientReference() {
  return randomUUID().replace(/-/g, "");
}
function resolveClientReference(given) {
  if (given === void 0) return newClientReference();
  if (given.length === 0 || given.length > MAX_CLIENT_REFERENCE) {
    throw new AgentError("INPUT_INVALID", `clientReference must be 1..${MAX_CLIENT_REFERENCE} characters, got ${given.length}`, {
      clientReference: given
    });
  }
  return given;
}
function buildContext(settings2, principal, clientReference) {
  const initiatorPrincipalId = principal.type === "TERMINALID" ? { id: principal.terminalId, type: "TERMINALID" } : { id: principal.resellerId, type: "RESELLERUSER", userId: principal.userId };
  return {
    channel: settings2.channel,
    ...settings2.clientComment !== void 0 ? { clientComment: settings2.clientComment } : {},
    clientId: settings2.clientId,
    clientReference,
    // Must be 0: no server-enforced client timeout (§4.1); our own timeout is per call.
    clientRequestTimeout: "0",
    initiatorPrincipalId,
    password: principal.password
  };
}

// agent/glase/client-encode.ts
function amount(m) {
  return m === void 0 ? void 0 : { currency: m.currency, value: formatMinor(m.minor) };
}
function integerText(value, what, min = 0) {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AgentError("INPUT_INVALID", `${what} must be an integer \u2265 ${min}, got ${value}`, { [what]: value });
  }
  return String(value);
}
function invoiceRow2(row) {
  return {
    itemDescription: row.itemDescription,
    itemDiscount: amount(row.itemDiscount),
    itemEAN: row.itemEAN,
    itemQuantity: row.itemQuantity,
    itemSKU: row.itemSKU,
    itemTaxRate: row.itemTaxRate,
    itemTotalAmount: amount(row.itemTotalAmount),
    itemUnit: row.itemUnit,
    itemUnitPrice: amount(row.itemUnitPrice)
  };
}
function encodeInvoice(invoice) {
  const rows = invoice.invoiceRows ?? [];
  return {
    paymentMode: invoice.paymentMode ?? "IMMEDIATE_DEBIT",
    acknowledgmentMode: invoice.acknowledgmentMode ?? "NO_ACKNOWLEDGMENT",
    issueDate: invoice.issueDate,
    title: invoice.title,
    clientInvoiceId: invoice.clientInvoiceId,
    invoiceRows: rows.length > 0 ? { invoiceRow: rows.map(invoiceRow2) } : void 0,
    totalAmount: amount(invoice.totalAmount),
    cashierId: invoice.cashierId,
    footer: invoice.footer,
    backURL: invoice.backURL,
    notificationUrl: invoice.notificationUrl,
    commitReservationTimeout: invoice.commitReservationTimeout === void 0 ? void 0 : integerText(invoice.commitReservationTimeout, "commitReservationTimeout")
  };
}
function encodeTokens(tokens) {
  if (!tokens || tokens.length === 0) return void 0;
  return tokens.map((t) => ({
    description: t.description,
    id: t.id,
    status: integerText(t.status, "token status"),
    value: t.value
  }));
}
function encodeParameters(parameters) {
  const entries = Object.entries(parameters ?? {});
  if (entries.length === 0) return void 0;
  return { parameter: { entry: entries.map(([key, value]) => ({ key, value })) } };
}
var encode = {
  registerTerminal: (context, externalTerminalId, password, name) => ({
    context,
    externalTerminalId,
    password,
    name
  }),
  assignSeqrId: (context, seqrId) => ({ context, seqrId }),
  unregisterTerminal: (context) => ({ context }),
  sendInvoice: (context, invoice, tokens) => ({
    context,
    invoice: encodeInvoice(invoice),
    tokens: encodeTokens(tokens)
  }),
  getPaymentStatus: (context, invoiceReference, invoiceVersion) => ({
    context,
    invoiceReference,
    invoiceVersion: integerText(invoiceVersion, "invoiceVersion")
  }),
  updateInvoice: (context, invoiceReference, invoice, tokens) => ({
    context,
    invoiceReference,
    invoice: encodeInvoice(invoice),
    tokens: encodeTokens(tokens)
  }),
  cancelInvoice: (context, invoiceReference) => ({ context, invoiceReference }),
  commitReservation: (context, invoiceReference, finalAmount) => ({
    context,
    amount: amount(finalAmount),
    invoiceReference
  }),
  submitPaymentReceipt: (context, ersReference, document) => ({
    context,
    ersReference,
    receiptDocument: {
      mimeType: document.mimeType,
      receiptData: Buffer.from(document.receiptData).toString("base64"),
      receiptType: document.receiptType
    }
  }),
  refundPayment: (context, ersReference, invoice) => ({
    context,
    ersReference,
    invoice: encodeInvoice(invoice)
  }),
  markTransactionPeriod: (context, parameters) => ({
    context,
    parameters: encodeParameters(parameters)
  }),
  executeReport: (context, reportId, language, parameters) => ({
    context,
    reportId,
    language,
    parameters: encodeParameters(parameters)
  }),
  benchmarkingNop: () => ({})
};

// agent/glase/client-decode.ts
var UnreadableResponse = class extends Error {
  constructor(message) {
    super(message);
    this.name = "UnreadableResponse";
  }
};
function isNode(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function text(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return void 0;
}
function integer(v, field) {
  const t = text(v)?.trim();
  if (t === void 0 || t === "") return void 0;
  if (!/^[+-]?\d+$/.test(t)) throw new UnreadableResponse(`${field} is not an integer: ${JSON.stringify(t)}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new UnreadableResponse(`${field} out of range: ${t}`);
  return n;
}
function required(v, field) {
  if (v === void 0 || v === "") throw new UnreadableResponse(`missing ${field}`);
  return v;
}
function list(v) {
  if (Array.isArray(v)) return v.filter(isNode);
  return isNode(v) ? [v] : [];
}
function amount2(v, field) {
  if (!isNode(v)) return void 0;
  const value = text(v.value);
  if (value === void 0 || value.trim() === "") return void 0;
  try {
    return money(text(v.currency) ?? "", parseMinor(value));
  } catch {
    throw new UnreadableResponse(`${field} is not an amount: ${JSON.stringify(value)}`);
  }
}
function definedOnly(o) {
  const out2 = {};
  for (const [k, v] of Object.entries(o)) if (v !== void 0) out2[k] = v;
  return out2;
}
function decodeRow(row) {
  return definedOnly({
    itemDescription: text(row.itemDescription),
    itemDiscount: amount2(row.itemDiscount, "itemDiscount"),
    itemEAN: text(row.itemEAN),
    itemQuantity: text(row.itemQuantity),
    itemSKU: text(row.itemSKU),
    itemTaxRate: text(row.itemTaxRate),
    itemTotalAmount: amount2(row.itemTotalAmount, "itemTotalAmount"),
    itemUnit: text(row.itemUnit),
    itemUnitPrice: amount2(row.itemUnitPrice, "itemUnitPrice")
  });
}
function decodeInvoice(inv) {
  const rows = isNode(inv.invoiceRows) ? list(inv.invoiceRows.invoiceRow).map(decodeRow) : void 0;
  return definedOnly({
    paymentMode: text(inv.paymentMode),
    acknowledgmentMode: text(inv.acknowledgmentMode),
    issueDate: text(inv.issueDate),
    title: text(inv.title),
    clientInvoiceId: text(inv.clientInvoiceId),
    invoiceRows: rows,
    totalAmount: amount2(inv.totalAmount, "totalAmount"),
    cashierId: text(inv.cashierId),
    footer: text(inv.footer),
    backURL: text(inv.backURL),
    notificationUrl: text(inv.notificationUrl),
    commitReservationTimeout: integer(inv.commitReservationTimeout, "commitReservationTimeout")
  });
}
function decodeToken(t) {
  return definedOnly({
    description: text(t.description),
    id: text(t.id),
    status: integer(t.status, "token status") ?? 0,
    value: text(t.value)
  });
}
function decodeReceipt(r) {
  return definedOnly({
    terminalId: text(r.terminalId),
    paymentDate: text(r.paymentDate),
    clientInvoiceId: text(r.clientInvoiceId),
    invoiceReference: text(r.invoiceReference),
    paymentReference: text(r.paymentReference),
    payerTerminalId: text(r.payerTerminalId),
    receiverName: text(r.receiverName),
    invoice: isNode(r.invoice) ? decodeInvoice(r.invoice) : void 0
  });
}
function decodeReport(r) {
  const b64 = text(r.content);
  const content = b64 === void 0 ? void 0 : new Uint8Array(Buffer.from(b64, "base64"));
  return definedOnly({ title: text(r.title), mimeType: text(r.mimeType), content, contentString: text(r.contentString) });
}
function decodeBase(result) {
  if (!isNode(result) || !isNode(result.return)) throw new UnreadableResponse("response has no <return> element");
  const ret = result.return;
  const resultCode = integer(ret.resultCode, "resultCode");
  if (resultCode === void 0) throw new UnreadableResponse("response has no resultCode");
  const ersReference = text(ret.ersReference);
  const resultDescription = text(ret.resultDescription);
  return {
    ret,
    base: definedOnly({ ersReference: ersReference === "" ? void 0 : ersReference, resultCode, resultDescription })
  };
}
var decode = {
  plain: (_ret, base) => base,
  sendInvoice: (ret, base) => definedOnly({
    ...base,
    invoiceQRCode: text(ret.invoiceQRCode),
    invoiceReference: required(text(ret.invoiceReference), "invoiceReference")
  }),
  getPaymentStatus: (ret, base) => definedOnly({
    ...base,
    status: required(text(ret.status)?.trim(), "status"),
    receipt: isNode(ret.receipt) ? decodeReceipt(ret.receipt) : void 0,
    customerTokens: isNode(ret.customerTokens) ? list(ret.customerTokens.token).map(decodeToken) : [],
    // Java int, always written by a JAXB server; an empty element reads as 0 (§1.4).
    version: integer(ret.version, "version") ?? 0
  }),
  registerTerminal: (ret, base) => ({
    ...base,
    terminalId: required(text(ret.terminalId), "terminalId")
  }),
  markTransactionPeriod: (ret, base) => ({
    ...base,
    transactionPeriodId: required(text(ret.transactionPeriodId), "transactionPeriodId")
  }),
  executeReport: (ret, base) => ({
    ...base,
    report: decodeReport(isNode(ret.report) ? ret.report : {})
  })
};

// agent/glase/client-transport.ts
import http from "node:http";
import https from "node:https";
import { TLSSocket } from "node:tls";
var WireFailure = class extends Error {
  kind;
  indefinite;
  status;
  constructor(kind, indefinite, message, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "WireFailure";
    this.kind = kind;
    this.indefinite = indefinite;
    this.status = options?.status;
  }
};
var KeepAliveHttpClient = class {
  httpAgent;
  httpsAgent;
  // The endpoint never changes: parse it once, not on every call.
  targets = /* @__PURE__ */ new Map();
  constructor(options = {}) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8, timeout: options.idleSocketMs ?? 4e3 };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }
  request(rurl, data, callback, exheaders, exoptions) {
    const wire = exoptions?.wire;
    if (!wire) {
      callback(new WireFailure("refused", false, "internal: request without wire options"));
      return void 0;
    }
    let target = this.targets.get(rurl);
    if (!target) {
      try {
        target = this.target(rurl);
      } catch (err) {
        callback(new WireFailure("refused", false, `bad endpoint URL: ${err.message}`, { cause: err }));
        return void 0;
      }
      this.targets.set(rurl, target);
    }
    performRequest(target, data, exheaders ?? {}, wire, callback);
    return void 0;
  }
  target(rurl) {
    const url = new URL(rurl);
    const secure = url.protocol === "https:";
    return {
      request: secure ? https.request : http.request,
      options: {
        protocol: url.protocol,
        hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === "" ? secure ? 443 : 80 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "POST",
        agent: secure ? this.httpsAgent : this.httpAgent
      }
    };
  }
  /** Closes idle keep-alive sockets (daemon shutdown, end of a test). */
  close() {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
};
function preConnectMessage(err) {
  return err.code ? `${err.code} ${err.message}` : err.message;
}
function performRequest(target, data, headers, wire, callback) {
  const body = Buffer.from(data, "utf8");
  let connected = false;
  let settled = false;
  let timer2;
  const requestHeaders = {};
  for (const [k, v] of Object.entries(headers)) requestHeaders[k] = v;
  requestHeaders["Content-Length"] = body.length;
  const settle2 = (error, response) => {
    if (settled) return;
    settled = true;
    if (timer2 !== void 0) clearTimeout(timer2);
    wire.signal?.removeEventListener("abort", onAbort);
    if (error) callback(error);
    else callback(null, response, response?.data);
  };
  let req;
  try {
    req = target.request({ ...target.options, headers: requestHeaders });
  } catch (err) {
    settle2(new WireFailure("refused", false, `cannot build request: ${err.message}`, { cause: err }));
    return;
  }
  const fail4 = (kind, message, cause) => {
    if (settled) return;
    settle2(new WireFailure(kind, connected, message, { cause }));
    req.destroy();
  };
  function onAbort() {
    fail4("aborted", connected ? "aborted after the request was sent" : "aborted before the request was sent", wire.signal?.reason);
  }
  req.on("socket", (socket) => {
    if (!socket.connecting) {
      connected = true;
      return;
    }
    socket.once(socket instanceof TLSSocket ? "secureConnect" : "connect", () => {
      connected = true;
    });
  });
  req.on("error", (err) => {
    if (settled) return;
    if (!connected) fail4("refused", preConnectMessage(err), err);
    else fail4("reset", `${err.code ?? "connection error"} after the request was sent: ${err.message}`, err);
  });
  req.on("response", (res) => {
    const chunks = [];
    res.on("data", (chunk) => chunks.push(chunk));
    res.on("error", (err) => fail4("reset", `response interrupted: ${err.message}`, err));
    res.on("close", () => {
      if (!res.complete) fail4("reset", "connection closed before the response was complete");
    });
    res.on("end", () => {
      if (settled) return;
      const text2 = Buffer.concat(chunks).toString("utf8");
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const indefinite = status >= 500 || status === 408;
        const fault = /<(?:\w+:)?faultstring[^>]*>([^<]*)</.exec(text2)?.[1];
        settle2(new WireFailure("http-status", indefinite, `HTTP ${status}${fault ? `: ${fault}` : ""}`, { status }));
        return;
      }
      settle2(null, { status, headers: res.headers, data: text2, config: { headers: requestHeaders } });
    });
  });
  timer2 = setTimeout(() => fail4("timeout", `no answer within ${wire.timeoutMs} ms`), wire.timeoutMs);
  if (wire.signal) {
    if (wire.signal.aborted) {
      onAbort();
      return;
    }
    wire.signal.addEventListener("abort", onAbort, { once: true });
  }
  req.end(body);
}

// agent/glase/client-failure.ts
function toTransportError(operation, err, context) {
  if (err instanceof WireFailure) {
    return new TransportError(operation, err.kind, err.indefinite, err.message, { ...context, httpStatus: err.status }, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TransportError(operation, "unparsable", true, `unreadable answer: ${message}`, context, { cause: err });
}

// agent/glase/client-soap.ts
import soap from "soap";

// agent/glase/wsdl.ts
import { fileURLToPath } from "node:url";

// agent/glase/types.ts
var GLASE_NAMESPACE = "http://external.interfaces.ers.seamless.com/";
var MERCHANT_OPERATIONS = [
  "registerTerminal",
  "assignSeqrId",
  "unregisterTerminal",
  "sendInvoice",
  "getPaymentStatus",
  "updateInvoice",
  "cancelInvoice",
  "commitReservation",
  "submitPaymentReceipt",
  "refundPayment",
  "markTransactionPeriod",
  "executeReport",
  "benchmarkingNop"
];
var ERS_ONLY_OPERATIONS = [
  "requestTopup",
  "requestTransfer",
  "requestPrincipalInformation",
  "changePrincipalPassword",
  "requestPurchase",
  "confirmCustomerRegistration"
];

// agent/glase/wsdl.ts
var XSD_PATH = fileURLToPath(new URL("./wsdl/cashregister-2.xsd", import.meta.url));
var ALL_OPERATIONS = [...MERCHANT_OPERATIONS, ...ERS_ONLY_OPERATIONS];
function escapeAttr(s) {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
function buildWsdl(address, schemaUrl) {
  const messages = ALL_OPERATIONS.map(
    (op) => `  <message name="${op}">
    <part name="parameters" element="tns:${op}"/>
  </message>
  <message name="${op}Response">
    <part name="parameters" element="tns:${op}Response"/>
  </message>`
  ).join("\n");
  const portOps = ALL_OPERATIONS.map(
    (op) => `    <operation name="${op}">
      <input message="tns:${op}"/>
      <output message="tns:${op}Response"/>
    </operation>`
  ).join("\n");
  const bindingOps = ALL_OPERATIONS.map(
    (op) => `    <operation name="${op}">
      <soap:operation soapAction=""/>
      <input><soap:body use="literal"/></input>
      <output><soap:body use="literal"/></output>
    </operation>`
  ).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="ERSWSExternalClientServiceService"
    targetNamespace="${GLASE_NAMESPACE}"
    xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:tns="${GLASE_NAMESPACE}"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/">
  <types>
    <xsd:schema>
      <xsd:import namespace="${GLASE_NAMESPACE}" schemaLocation="${escapeAttr(schemaUrl)}"/>
    </xsd:schema>
  </types>
${messages}
  <portType name="ERSWSExternalClientService">
${portOps}
  </portType>
  <binding name="ERSWSExternalClientServicePortBinding" type="tns:ERSWSExternalClientService">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
${bindingOps}
  </binding>
  <service name="ERSWSExternalClientServiceService">
    <port name="ERSWSExternalClientServicePort" binding="tns:ERSWSExternalClientServicePortBinding">
      <soap:address location="${escapeAttr(address)}"/>
    </port>
  </service>
</definitions>
`;
}

// agent/glase/client-xml.ts
var ESCAPES = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "	": "&#x9;",
  "\r": "&#xD;",
  "\n": "&#xA;"
};
var SPECIAL = /[&<>"'\t\r\n]/g;
function escapeXml(text2) {
  SPECIAL.lastIndex = 0;
  return SPECIAL.test(text2) ? text2.replace(SPECIAL, (c) => ESCAPES[c]) : text2;
}
function element(name, value) {
  if (value === void 0) return "";
  if (Array.isArray(value)) {
    let out2 = "";
    for (const item of value) out2 += element(name, item);
    return out2;
  }
  if (typeof value === "object" && value !== null) return `<${name}>${children(value)}</${name}>`;
  return `<${name}>${value === null ? "" : escapeXml(String(value))}</${name}>`;
}
function children(node) {
  let out2 = "";
  for (const key in node) out2 += element(key, node[key]);
  return out2;
}
function serializeOperation(operation, body) {
  return `<tns:${operation}>${children(body)}</tns:${operation}>`;
}

// agent/glase/client-parse.ts
var XmlSyntaxError = class extends Error {
  constructor(message, position) {
    super(`${message} at offset ${position}`);
    this.name = "XmlSyntaxError";
  }
};
var PREDEFINED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
var ENTITY = /&(?:(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);)?/g;
function decodeEntities(text2, position) {
  if (!text2.includes("&")) return text2;
  return text2.replace(ENTITY, (_m, entity) => {
    if (entity === void 0) throw new XmlSyntaxError("bare '&'", position);
    if (entity.startsWith("#")) {
      const cp = entity[1] === "x" ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      if (!(cp > 0 && cp <= 1114111)) throw new XmlSyntaxError(`bad character reference &${entity};`, position);
      return String.fromCodePoint(cp);
    }
    const ch = PREDEFINED[entity];
    if (ch === void 0) throw new XmlSyntaxError(`unknown entity &${entity};`, position);
    return ch;
  });
}
function startTagEnd(xml, from) {
  let quote = "";
  for (let j = from; j < xml.length; j++) {
    const c = xml[j];
    if (quote !== "") {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return j;
    else if (c === "<") return -1;
  }
  return -1;
}
function attach(parent, name, value) {
  parent.hasChildren = true;
  const existing = parent.node[name];
  if (existing === void 0) parent.node[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else parent.node[name] = [existing, value];
}
function close(frame, parent) {
  if (frame.nil) {
    parent.hasChildren = true;
    return;
  }
  attach(parent, frame.local, frame.hasChildren ? frame.node : frame.text.trim());
}
function isWhitespace(text2) {
  return /^\s*$/.test(text2);
}
function parseXmlDocument(xml) {
  const documentFrame = { qname: "", local: "", node: {}, text: "", hasChildren: false, nil: false };
  const stack = [documentFrame];
  let rootName;
  let i = 0;
  const n = xml.length;
  if (xml.charCodeAt(0) === 65279) i = 1;
  while (i < n) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      const raw = xml.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (stack.length === 1) {
        if (!isWhitespace(raw)) throw new XmlSyntaxError("text outside the root element", i);
      } else top.text += decodeEntities(raw, i);
    }
    if (lt === -1) break;
    if (xml.startsWith("<?", lt)) {
      const end = xml.indexOf("?>", lt + 2);
      if (end < 0) throw new XmlSyntaxError("unterminated processing instruction", lt);
      i = end + 2;
    } else if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt + 4);
      if (end < 0) throw new XmlSyntaxError("unterminated comment", lt);
      i = end + 3;
    } else if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt + 9);
      if (end < 0) throw new XmlSyntaxError("unterminated CDATA section", lt);
      if (stack.length === 1) throw new XmlSyntaxError("CDATA outside the root element", lt);
      stack[stack.length - 1].text += xml.slice(lt + 9, end);
      i = end + 3;
    } else if (xml.startsWith("<!", lt)) {
      throw new XmlSyntaxError("DTD not allowed", lt);
    } else if (xml[lt + 1] === "/") {
      const end = xml.indexOf(">", lt + 2);
      if (end < 0) throw new XmlSyntaxError("unterminated end tag", lt);
      const qname = xml.slice(lt + 2, end).trim();
      const frame = stack.pop();
      if (stack.length === 0 || frame.qname !== qname) throw new XmlSyntaxError(`unexpected </${qname}>`, lt);
      close(frame, stack[stack.length - 1]);
      i = end + 1;
    } else {
      const end = startTagEnd(xml, lt + 1);
      if (end < 0) throw new XmlSyntaxError("unterminated start tag", lt);
      const selfClosing = xml[end - 1] === "/";
      const inner = xml.slice(lt + 1, selfClosing ? end - 1 : end);
      const qname = /^[^\s/>]+/.exec(inner)?.[0];
      if (qname === void 0) throw new XmlSyntaxError("missing element name", lt);
      const attributes = inner.slice(qname.length);
      if (stack.length === 1) {
        if (rootName !== void 0) throw new XmlSyntaxError("more than one root element", lt);
        rootName = qname.slice(qname.indexOf(":") + 1);
      }
      const frame = {
        qname,
        local: qname.slice(qname.indexOf(":") + 1),
        node: {},
        text: "",
        hasChildren: false,
        nil: attributes.includes("nil") && /:nil\s*=\s*["'](?:true|1)["']/.test(attributes)
      };
      if (selfClosing) close(frame, stack[stack.length - 1]);
      else stack.push(frame);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new XmlSyntaxError(`<${stack[stack.length - 1].qname}> is not closed`, n);
  if (rootName === void 0) throw new XmlSyntaxError("no root element", n);
  const root = documentFrame.node[rootName];
  return { rootName, root: typeof root === "object" && root !== null ? root : {} };
}
function parseSoapEnvelope(xml) {
  const { rootName, root } = parseXmlDocument(xml);
  if (rootName !== "Envelope") throw new XmlSyntaxError(`root element is <${rootName}>, not a SOAP Envelope`, 0);
  const body = root.Body;
  if (typeof body === "object" && body !== null && "Fault" in body) {
    const fault = body.Fault;
    const f = typeof fault === "object" && fault !== null ? fault : {};
    throw new Error(`${String(f.faultcode ?? "")}: ${String(f.faultstring ?? "")}`);
  }
  return root;
}

// agent/glase/client-soap.ts
var GlaseWsdl = class extends soap.WSDL {
  xmlToObject(xml, callback) {
    if (typeof callback === "function") return super.xmlToObject(xml, callback);
    return parseSoapEnvelope(String(xml));
  }
};
var wsdlCache = /* @__PURE__ */ new Map();
function loadWsdl(endpoint) {
  let pending = wsdlCache.get(endpoint);
  if (!pending) {
    pending = new Promise((resolve, reject) => {
      const wsdl = new GlaseWsdl(buildWsdl(endpoint, XSD_PATH), XSD_PATH, {});
      wsdl.onReady((err) => err ? reject(err) : resolve(wsdl));
    });
    pending.catch(() => wsdlCache.delete(endpoint));
    wsdlCache.set(endpoint, pending);
  }
  return pending;
}
async function createSoapClient(endpoint, httpClient) {
  const wsdl = await loadWsdl(endpoint);
  return new soap.Client(wsdl, endpoint, { httpClient });
}
function invokeSoap(client, operation, args, wire) {
  const method = client[operation];
  if (typeof method !== "function") return Promise.reject(new Error(`operation ${operation} is not in the WSDL`));
  return new Promise((resolve, reject) => {
    const body = { _xml: serializeOperation(operation, args) };
    method.call(client, body, (err, result) => err ? reject(err) : resolve(result), { wire });
  });
}

// agent/glase/client.ts
var QUIET_OPERATIONS = /* @__PURE__ */ new Set(["getPaymentStatus", "benchmarkingNop"]);
function terminalPrincipal(t) {
  return { type: "TERMINALID", terminalId: t.terminalId, password: t.password };
}
function resellerPrincipal(r) {
  return { type: "RESELLERUSER", resellerId: r.resellerId, userId: r.userId, password: r.password };
}
function validateConfig(config) {
  let url;
  try {
    url = new URL(config.endpoint);
  } catch {
    throw new AgentError("CONFIG_INVALID", `Glase endpoint is not a URL: ${JSON.stringify(config.endpoint)}`, { endpoint: config.endpoint });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AgentError("CONFIG_INVALID", `Glase endpoint must be http(s), got ${url.protocol}`, { endpoint: config.endpoint });
  }
  if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) {
    throw new AgentError("CONFIG_INVALID", `Glase timeoutMs must be > 0, got ${config.timeoutMs}`, { timeoutMs: config.timeoutMs });
  }
  if (config.clientId.trim() === "") {
    throw new AgentError("CONFIG_INVALID", "Glase clientId must not be empty", {});
  }
}
var GlaseClient = class _GlaseClient {
  endpoint;
  settings;
  timeoutMs;
  log;
  http;
  soapClient;
  loaded;
  // set once the WSDL is parsed: calls then skip the await
  /** Starts building the soap client at once; calls wait for it. See also `GlaseClient.create`. */
  constructor(config) {
    validateConfig(config);
    this.endpoint = config.endpoint;
    this.settings = {
      clientId: config.clientId,
      channel: config.channel ?? "WS",
      ...config.clientComment !== void 0 ? { clientComment: config.clientComment } : {}
    };
    this.timeoutMs = config.timeoutMs;
    this.log = config.logger ?? createLogger("glase.client");
    this.http = new KeepAliveHttpClient(config.maxSockets !== void 0 ? { maxSockets: config.maxSockets } : {});
    this.soapClient = createSoapClient(config.endpoint, this.http);
    this.soapClient.then((c) => this.loaded = c).catch(() => void 0);
  }
  /** Builds the client and waits until its WSDL is loaded, so configuration errors surface here. */
  static async create(config) {
    const client = new _GlaseClient(config);
    await client.ready();
    return client;
  }
  async ready() {
    try {
      await this.soapClient;
    } catch (err) {
      throw new AgentError("INTERNAL", `cannot load the Glase WSDL: ${err.message}`, { endpoint: this.endpoint }, { cause: err });
    }
  }
  /** Closes idle keep-alive connections. */
  close() {
    this.http.close();
  }
  registerTerminal(shop, externalTerminalId, password, name, opts) {
    return this.call("registerTerminal", opts, (ref) => encode.registerTerminal(this.context(resellerPrincipal(shop), ref), externalTerminalId, password, name), decode.registerTerminal);
  }
  assignSeqrId(terminal, seqrId, opts) {
    return this.call("assignSeqrId", opts, (ref) => encode.assignSeqrId(this.context(terminalPrincipal(terminal), ref), seqrId), decode.plain);
  }
  unregisterTerminal(terminal, opts) {
    return this.call("unregisterTerminal", opts, (ref) => encode.unregisterTerminal(this.context(terminalPrincipal(terminal), ref)), decode.plain);
  }
  sendInvoice(terminal, invoice, tokens, opts) {
    return this.call("sendInvoice", opts, (ref) => encode.sendInvoice(this.context(terminalPrincipal(terminal), ref), invoice, tokens), decode.sendInvoice);
  }
  getPaymentStatus(terminal, invoiceReference, invoiceVersion, opts) {
    return this.call(
      "getPaymentStatus",
      opts,
      (ref) => encode.getPaymentStatus(this.context(terminalPrincipal(terminal), ref), invoiceReference, invoiceVersion),
      decode.getPaymentStatus
    );
  }
  updateInvoice(terminal, invoiceReference, invoice, tokens, opts) {
    return this.call("updateInvoice", opts, (ref) => encode.updateInvoice(this.context(terminalPrincipal(terminal), ref), invoiceReference, invoice, tokens), decode.plain);
  }
  cancelInvoice(terminal, invoiceReference, opts) {
    return this.call("cancelInvoice", opts, (ref) => encode.cancelInvoice(this.context(terminalPrincipal(terminal), ref), invoiceReference), decode.plain);
  }
  commitReservation(terminal, invoiceReference, amount3, opts) {
    return this.call("commitReservation", opts, (ref) => encode.commitReservation(this.context(terminalPrincipal(terminal), ref), invoiceReference, amount3), decode.plain);
  }
  submitPaymentReceipt(terminal, ersReference, document, opts) {
    return this.call("submitPaymentReceipt", opts, (ref) => encode.submitPaymentReceipt(this.context(terminalPrincipal(terminal), ref), ersReference, document), decode.plain);
  }
  refundPayment(terminal, ersReference, invoice, opts) {
    return this.call("refundPayment", opts, (ref) => encode.refundPayment(this.context(terminalPrincipal(terminal), ref), ersReference, invoice), decode.plain);
  }
  markTransactionPeriod(principal, parameters, opts) {
    return this.call("markTransactionPeriod", opts, (ref) => encode.markTransactionPeriod(this.context(principal, ref), parameters), decode.markTransactionPeriod);
  }
  executeReport(principal, reportId, language, parameters, opts) {
    return this.call("executeReport", opts, (ref) => encode.executeReport(this.context(principal, ref), reportId, language, parameters), decode.executeReport);
  }
  /** No context on the wire; the clientReference only labels the log line and the result. */
  benchmarkingNop(opts) {
    return this.call("benchmarkingNop", opts, () => encode.benchmarkingNop(), decode.plain);
  }
  async call(operation, opts, body, decodeOk) {
    const clientReference = resolveClientReference(opts?.clientReference);
    const args = body(clientReference);
    const soapClient = this.loaded ?? await this.soapClientOrThrow();
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    let result;
    try {
      result = await invokeSoap(soapClient, operation, args, {
        timeoutMs: opts?.timeoutMs ?? this.timeoutMs,
        ...opts?.signal ? { signal: opts.signal } : {}
      });
    } catch (err) {
      throw this.transportFailure(operation, err, clientReference, elapsed());
    }
    let decoded;
    try {
      const { ret, base } = decodeBase(result);
      if (base.resultCode !== 0) {
        this.log.warn("glase.result", { operation, clientReference, durationMs: elapsed(), resultCode: base.resultCode });
        throw new GlaseError(operation, base.resultCode, {
          clientReference,
          resultDescription: base.resultDescription,
          ...base.ersReference !== void 0 ? { ersReference: base.ersReference } : {}
        });
      }
      decoded = { ...decodeOk(ret, base), clientReference };
    } catch (err) {
      if (err instanceof UnreadableResponse) throw this.transportFailure(operation, err, clientReference, elapsed());
      throw err;
    }
    const fields = { operation, clientReference, durationMs: elapsed(), resultCode: 0 };
    if (QUIET_OPERATIONS.has(operation)) this.log.debug("glase.call", fields);
    else this.log.info("glase.call", fields);
    return decoded;
  }
  context(principal, clientReference) {
    return buildContext(this.settings, principal, clientReference);
  }
  async soapClientOrThrow() {
    await this.ready();
    return this.soapClient;
  }
  transportFailure(operation, err, clientReference, durationMs) {
    const failure = toTransportError(operation, err, { clientReference, durationMs });
    this.log.warn("glase.transport", { operation, clientReference, durationMs, kind: failure.kind, indefinite: failure.indefinite, error: failure.message });
    return failure;
  }
};

// agent/journal/journal.ts
import sqlite3 from "sqlite3";

// agent/journal/schema.ts
var MIGRATIONS = [
  `
  CREATE TABLE steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    point INTEGER,
    terminal_id TEXT,
    at INTEGER NOT NULL,
    input TEXT NOT NULL,
    state TEXT NOT NULL,
    state_name TEXT NOT NULL,
    finished INTEGER NOT NULL,
    parked INTEGER NOT NULL,
    effects TEXT NOT NULL
  );
  CREATE INDEX steps_flow ON steps(flow_id);
  CREATE TABLE flows (
    flow_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    point INTEGER,
    terminal_id TEXT,
    state TEXT NOT NULL,
    state_name TEXT NOT NULL,
    finished INTEGER NOT NULL,
    parked INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    pending TEXT NOT NULL
  );
  CREATE INDEX flows_open ON flows(finished, updated_at);
  -- The snapshot follows the log in the same implicit transaction as the step insert.
  CREATE TRIGGER steps_apply AFTER INSERT ON steps BEGIN
    INSERT INTO flows(flow_id, kind, point, terminal_id, state, state_name, finished, parked, created_at, updated_at, pending)
    VALUES (NEW.flow_id, NEW.kind, NEW.point, NEW.terminal_id, NEW.state, NEW.state_name, NEW.finished, NEW.parked, NEW.at, NEW.at, NEW.effects)
    ON CONFLICT(flow_id) DO UPDATE SET
      state = excluded.state, state_name = excluded.state_name, finished = excluded.finished,
      parked = excluded.parked, updated_at = excluded.updated_at, pending = excluded.pending;
  END;
  CREATE TABLE receipts (
    flow_id TEXT PRIMARY KEY,
    ers_reference TEXT NOT NULL,
    content TEXT NOT NULL,
    printed INTEGER NOT NULL,
    at INTEGER NOT NULL
  );
  `
];

// agent/journal/journal.ts
function fail3(op, err) {
  return new AgentError("JOURNAL_FAILED", `journal ${op} failed: ${err.message}`, { op }, { cause: err });
}
function run(db, sql, params = []) {
  return new Promise((resolve, reject) => db.run(sql, params, (err) => err ? reject(fail3("run", err)) : resolve()));
}
function all(db, sql, params = []) {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => err ? reject(fail3("read", err)) : resolve(rows)));
}
function exec(db, sql) {
  return new Promise((resolve, reject) => db.exec(sql, (err) => err ? reject(fail3("exec", err)) : resolve()));
}
async function openJournal(options) {
  const db = await new Promise((resolve, reject) => {
    const d = new sqlite3.Database(options.path, (err) => err ? reject(fail3("open", err)) : resolve(d));
  });
  try {
    await exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
    const mode = await all(db, "PRAGMA journal_mode");
    if (String(mode[0]?.journal_mode).toLowerCase() !== "wal") throw new AgentError("JOURNAL_FAILED", "journal could not switch to WAL", { path: options.path });
    await migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteJournal(db, options.onWriteBoundary);
}
async function migrate(db) {
  const version = Number((await all(db, "PRAGMA user_version"))[0]?.user_version ?? 0);
  if (version > MIGRATIONS.length) {
    throw new AgentError("JOURNAL_FAILED", `journal schema ${version} is newer than this agent (${MIGRATIONS.length})`, { version });
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    await exec(db, `BEGIN; ${MIGRATIONS[v]} PRAGMA user_version=${v + 1}; COMMIT;`);
  }
}
var INSERT_STEP = `INSERT INTO steps(flow_id, kind, point, terminal_id, at, input, state, state_name, finished, parked, effects)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
function stepParams(r) {
  return [
    r.flowId,
    r.kind,
    r.point ?? null,
    r.terminalId ?? null,
    r.at,
    JSON.stringify(r.input),
    JSON.stringify(r.state),
    r.stateName,
    r.finished ? 1 : 0,
    r.parked ? 1 : 0,
    JSON.stringify(r.effects)
  ];
}
function toFlow(r) {
  return {
    flowId: String(r.flow_id),
    kind: String(r.kind),
    ...r.point !== null ? { point: Number(r.point) } : {},
    ...r.terminal_id !== null ? { terminalId: String(r.terminal_id) } : {},
    state: JSON.parse(String(r.state)),
    stateName: String(r.state_name),
    finished: r.finished === 1,
    parked: r.parked === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    pendingEffects: JSON.parse(String(r.pending))
  };
}
var SqliteJournal = class {
  constructor(db, boundary) {
    this.db = db;
    this.boundary = boundary;
    this.insertStep = db.prepare(INSERT_STEP);
  }
  insertStep;
  closed = false;
  append(r) {
    const label = `${r.flowId}:${r.stateName}`;
    this.boundary?.(`before:${label}`);
    const params = stepParams(r);
    return new Promise((resolve, reject) => {
      const boundary = this.boundary;
      this.insertStep.run(params, function(err) {
        if (err) return reject(fail3("append", err));
        boundary?.(`after:${label}`);
        resolve(this.lastID);
      });
    });
  }
  async appendMany(records) {
    if (records.length === 0) return;
    const label = `batch:${records.length}`;
    this.boundary?.(`before:${label}`);
    await exec(this.db, "BEGIN IMMEDIATE");
    try {
      for (const r of records) {
        await new Promise((resolve, reject) => this.insertStep.run(stepParams(r), (err) => err ? reject(fail3("append", err)) : resolve()));
      }
      await exec(this.db, "COMMIT");
    } catch (e) {
      await exec(this.db, "ROLLBACK").catch(() => void 0);
      throw e;
    }
    this.boundary?.(`after:${label}`);
  }
  async unfinishedFlows() {
    return (await all(this.db, "SELECT * FROM flows WHERE finished = 0 ORDER BY created_at")).map(toFlow);
  }
  async flow(flowId) {
    const rows = await all(this.db, "SELECT * FROM flows WHERE flow_id = ?", [flowId]);
    return rows[0] ? toFlow(rows[0]) : void 0;
  }
  async flows(opts = {}) {
    return (await all(this.db, "SELECT * FROM flows ORDER BY updated_at DESC LIMIT ?", [opts.limit ?? 100])).map(toFlow);
  }
  async tail(n) {
    const rows = await all(this.db, "SELECT seq, flow_id, at, input, state_name, effects FROM steps ORDER BY seq DESC LIMIT ?", [n]);
    return rows.reverse().map((r) => ({
      seq: Number(r.seq),
      flowId: String(r.flow_id),
      at: Number(r.at),
      input: JSON.parse(String(r.input)),
      stateName: String(r.state_name),
      effects: JSON.parse(String(r.effects))
    }));
  }
  async saveReceipt(receipt) {
    const label = `receipt:${receipt.flowId}`;
    this.boundary?.(`before:${label}`);
    await run(
      this.db,
      `INSERT INTO receipts(flow_id, ers_reference, content, printed, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(flow_id) DO UPDATE SET printed = MAX(printed, excluded.printed)`,
      [receipt.flowId, receipt.ersReference, JSON.stringify(receipt.content), receipt.printed ? 1 : 0, receipt.at]
    );
    this.boundary?.(`after:${label}`);
  }
  async receipts() {
    const rows = await all(this.db, "SELECT * FROM receipts ORDER BY at");
    return rows.map((r) => ({
      flowId: String(r.flow_id),
      ersReference: String(r.ers_reference),
      content: JSON.parse(String(r.content)),
      printed: r.printed === 1,
      at: Number(r.at)
    }));
  }
  async compact(before) {
    const old = await all(this.db, "SELECT flow_id FROM flows WHERE finished = 1 AND updated_at < ?", [before]);
    if (old.length === 0) return 0;
    await exec(this.db, "BEGIN");
    try {
      await run(this.db, "DELETE FROM steps WHERE flow_id IN (SELECT flow_id FROM flows WHERE finished = 1 AND updated_at < ?)", [before]);
      await run(this.db, "DELETE FROM receipts WHERE flow_id IN (SELECT flow_id FROM flows WHERE finished = 1 AND updated_at < ?)", [before]);
      await run(this.db, "DELETE FROM flows WHERE finished = 1 AND updated_at < ?", [before]);
      await exec(this.db, "COMMIT");
    } catch (e) {
      await exec(this.db, "ROLLBACK").catch(() => void 0);
      throw e;
    }
    await exec(this.db, "PRAGMA wal_checkpoint(TRUNCATE)");
    return old.length;
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    await new Promise((resolve) => this.insertStep.finalize(() => resolve()));
    await new Promise((resolve, reject) => this.db.close((err) => err ? reject(fail3("close", err)) : resolve()));
  }
};

// drivers/dispenser/in-memory.ts
var log = createLogger("dispenser.in-memory");
var DEFAULT_GRADES = [
  { id: "95", name: "Blyfri 95", unit: "L", unitPriceMinor: 1899, vatRatePercent: 25 },
  { id: "D", name: "Diesel", unit: "L", unitPriceMinor: 2049, vatRatePercent: 25 }
];

// test/flows/harness/station.ts
var FAST_SETTINGS = {
  commitReservationTimeoutS: 120,
  commitSafetyMarginS: 20,
  pollIntervalMs: 150,
  reservationWaitMs: 8e3,
  nozzleLiftTimeoutMs: 1500,
  deliveryStallMs: 1500,
  posWindowMs: 3e3,
  posExtraWindows: 1,
  glaseCallTimeoutMs: 2e3,
  retryBaseMs: 100,
  retryMaxMs: 800,
  reportWaitMs: 300,
  reportRetryMs: 300,
  reportMaxRetries: 10,
  submitReceipts: false,
  retentionMs: 24 * 36e5
};
var TERMINALS = [
  { terminalId: "0460000300002010", password: "2009" },
  { terminalId: "0460000300002011", password: "2011" },
  { terminalId: "0460000300002019", password: "2019" }
];
var PROVISION = {
  terminals: TERMINALS.map((t) => ({ id: t.terminalId, password: t.password, name: `terminal ${t.terminalId}` }))
};
var RESELLER = { resellerId: "reseller", userId: "9900", password: "2009" };
function stationPoints() {
  return [
    { id: 1, kind: "fuel", terminal: TERMINALS[0], currency: "SEK", maxPreliminaryMinor: 5e4, stationName: "Test Station", grades: DEFAULT_GRADES },
    { id: 2, kind: "fuel", terminal: TERMINALS[1], currency: "SEK", maxPreliminaryMinor: 5e4, stationName: "Test Station", grades: DEFAULT_GRADES },
    { id: 9, kind: "kiosk", terminal: TERMINALS[2], currency: "SEK", maxPreliminaryMinor: 0, stationName: "Test Kiosk" }
  ];
}
async function openStation(opts) {
  const journal = await openJournal({ path: opts.journalPath, ...opts.onWriteBoundary ? { onWriteBoundary: opts.onWriteBoundary } : {} });
  const glase2 = new GlaseClient({ endpoint: opts.endpoint, clientId: "glase-agent-test", timeoutMs: 2e3 });
  await glase2.ready();
  const engine = createPaymentEngine({
    journal,
    glase: glase2,
    ...opts.dispenser ? { dispenser: opts.dispenser } : {},
    ...opts.printer ? { printer: opts.printer } : {},
    points: stationPoints(),
    reseller: RESELLER,
    settings: { ...FAST_SETTINGS, ...opts.settings },
    scheduler: systemScheduler,
    logger: createLogger("test.engine")
  });
  return {
    engine,
    journal,
    glase: glase2,
    async close() {
      await engine.close();
      await journal.close();
      glase2.close();
    }
  };
}

// test/flows/harness/agent-child.ts
var env = process.env;
var killAt = env.KILL_AT ? Number(env.KILL_AT) : void 0;
var out = (line) => process.stdout.write(`${line}
`);
configureLogging({ level: env.CHILD_LOG_LEVEL ?? "error", sink: { write: (l) => process.stderr.write(l) } });
var boundaries = 0;
var onWriteBoundary = (label) => {
  boundaries++;
  if (env.TRACE_BOUNDARIES) out(`BOUNDARY ${boundaries} ${label}`);
  if (boundaries === killAt) process.kill(process.pid, "SIGKILL");
};
var dispenser = await openDispenserController({ kind: "tcp", host: "127.0.0.1", port: Number(env.CTRL_PORT) });
var station = await openStation({
  journalPath: env.JOURNAL_PATH,
  endpoint: env.GLASE_ENDPOINT,
  dispenser,
  onWriteBoundary,
  settings: env.SETTINGS ? JSON.parse(env.SETTINGS) : {}
});
var seen = /* @__PURE__ */ new Set();
station.engine.events$.subscribe((e) => {
  if (e.type !== "flow") return;
  const f = e.flow;
  if (!seen.has(f.flowId)) {
    seen.add(f.flowId);
    out(`FLOW ${f.flowId}`);
  }
  if (f.finished) out(`FINISHED ${f.flowId} ${f.outcome}`);
  else if (f.parked) out(`PARKED ${f.flowId} ${f.state}`);
});
var report2 = await station.engine.start();
for (const id of report2.flowIds) seen.add(id);
out(`RECOVERED ${JSON.stringify(report2.flowIds)}`);
for (const f of station.engine.snapshot().flows) if (f.parked) out(`PARKED ${f.flowId} ${f.state}`);
for (const f of await station.journal.flows({ limit: 20 })) {
  if (f.finished) out(`FINISHED ${f.flowId} ${f.state.outcome}`);
}
out("READY");
createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === "pos") {
    station.engine.startPosPayment(Number(a), Number(b)).then(
      (id) => out(`STARTED ${id}`),
      (err) => out(`ERROR ${err.message}`)
    );
  } else if (cmd === "exit") {
    void station.close().then(() => dispenser.close()).then(() => process.exit(0));
  }
});
