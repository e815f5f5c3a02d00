// The logger never leaks and still helps: secrets masked by key at any depth and inside strings
// (URL userinfo, error messages, values the agent knows are secret), where-a-secret-lives paths
// shown, errors with stack and cause chain, hostile values (circular, BigInt, Map, Buffer) that
// never make it throw, and an invalid GLASE_LOG_LEVEL refused instead of "log everything".
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { AgentError } from "../../agent/errors.ts";
import { configureLogging, createLogger, formatLine, isSecretKey, MAX_STRING, parseLogLevel, registerSecret, scrub, scrubText } from "../../agent/log.ts";

const exec = promisify(execFile);

function nest(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let v: Record<string, unknown> = leaf;
  for (let i = 0; i < depth; i++) v = { [`level${i}`]: v };
  return v;
}

describe("redaction by key, at any depth", () => {
  it("masks every secret-looking key however deep, and shows where secrets live", () => {
    const leaf = {
      password: "p-1-secret",
      Password: "p-2-secret",
      clientSecret: "p-3-secret",
      access_token: "p-4-secret",
      apiKey: "p-5-secret",
      private_key: "p-6-secret",
      pin: "4711",
      Authorization: "Basic p-7-secret",
      "x-auth-token": "p-8-secret",
      cookie: "sid=p-9-secret",
      credentials: { id: "t1", password: "p-10-secret" },
      secretFile: "/etc/glase-agent/issuer.secret",
      passwordFile: "/etc/glase-agent/reseller.password",
      credentialsFile: "/var/lib/glase-agent/terminals/point-1.json",
      sortKey: "visible-sort-key",
      point: 3,
      tokens: 5,
    };
    for (const depth of [0, 7, 15]) {
      const line = formatLine("info", "t", "e", nest(depth, leaf));
      expect(line, `depth ${depth}`).not.toMatch(/p-\d+-secret|4711/);
      expect(line).toContain("/etc/glase-agent/issuer.secret");
      expect(line).toContain("/etc/glase-agent/reseller.password");
      expect(line).toContain("/var/lib/glase-agent/terminals/point-1.json");
      expect(line).toContain("visible-sort-key");
      expect(line).toMatch(depth === 0 ? / point=3 / : /"point":3/);
    }
    expect(formatLine("info", "t", "e", nest(40, { password: "p-deep-secret" }))).not.toContain("p-deep-secret");
    expect(["secretFile", "passwordPath", "keyboard", "point", "pinned", "tokens"].filter(isSecretKey)).toEqual([]);
  });
});

describe("redaction inside strings", () => {
  it("masks URL userinfo, inline password=…/token: …/Bearer, and known secret values", () => {
    const line = formatLine("error", "t", "e", {
      endpoint: "https://shop:hunter22@glase.example/soap?x=1",
      url: new URL("http://u:pw@127.0.0.1:8913/x"),
      reason: 'login failed: password=hunter33 token: "abc.def.ghi" header Authorization: Bearer eyJxyz.abc',
    });
    expect(line).toContain("https://***@glase.example/soap?x=1");
    expect(line).toContain("http://***@127.0.0.1:8913/x");
    expect(line).not.toMatch(/hunter22|hunter33|abc\.def\.ghi|eyJxyz/);
    // A file named like a secret is a path, and what follows it is not a secret.
    expect(formatLine("error", "t", "e", { cause: "invoiceService.secretFile /etc/glase-agent/issuer.secret: mode 0644 lets group/others read it" })).toContain("issuer.secret: mode 0644");
  });

  it("masks a secret the agent registered, or saw under a secret key, wherever it appears later", () => {
    registerSecret("registered-issuer-secret-42");
    formatLine("info", "t", "e", { reseller: { password: "seen-shop-pass-77" } });
    const err = new Error("SOAP fault: user 9900 password seen-shop-pass-77 rejected; secret registered-issuer-secret-42 is wrong");
    const line = formatLine("error", "t", "e", { err, note: "the value seen-shop-pass-77 again" });
    expect(line).not.toMatch(/seen-shop-pass-77|registered-issuer-secret-42/);
  });
});

describe("redaction inside strings: compound names, headers, XML", () => {
  it("masks access_token=, client_secret=, terminalPassword=, X-Auth-Token:, pwd=, quoted values and <password> elements", () => {
    const text = [
      "GET /x?access_token=s-1-secret&point=3",
      "client_secret=s-2-secret",
      "terminalPassword=s-3-secret",
      "X-Auth-Token: s-4-secret",
      "pwd=s-5-secret",
      '{"password": "s-6 secret with spaces", "point": 3}',
      "<soap:Body><context><userId>9900</userId><password>s-7-secret</password></context>",
      '<ns2:terminalPassword xsi:type="xs:string">s-8-secret</ns2:terminalPassword>',
      "login failed: password=s-9-secret",
      `token=${"s-10-secret".repeat(40)}`, // longer than one 256-character read
    ].join("\n");
    const out = scrubText(text);
    expect(out).not.toMatch(/s-\d+[- ]secret|with spaces/);
    expect(out).toContain("<userId>9900</userId><password>***</password>");
    expect(out).toContain('<ns2:terminalPassword xsi:type="xs:string">***</ns2:terminalPassword>');
    expect(out).toContain('{"password": "***", "point": 3}');
    expect(out).toContain("&point=3");
    // Names that only look alike stay readable.
    for (const plain of ["state=idle amount=12.50", "sortKey=abc tokens=5", "invoiceService.secretFile /etc/glase-agent/issuer.secret: mode 0644", "<pinned>1</pinned>"]) {
      expect(scrubText(plain)).toBe(plain);
    }
  });

  it("configured secrets stay masked however many values are seen under secret keys afterwards", () => {
    registerSecret("configured-terminal-pass-3");
    for (let i = 0; i < 2_000; i++) formatLine("info", "t", "e", { password: `seen-value-${i}`, nested: { token: `tok-${i}-xyz` } });
    expect(formatLine("error", "t", "e", { reason: "SOAP fault: bad login configured-terminal-pass-3" })).not.toContain("configured-terminal-pass-3");
    // The seen ones are a bounded memory: the latest are still masked.
    expect(formatLine("error", "t", "e", { reason: "again seen-value-1999" })).not.toContain("seen-value-1999");
  });

  it("a long string is cut, and a secret across the cut is masked whole (never its first half)", () => {
    const secret = "straddling-secret-0123456789";
    registerSecret(secret);
    const before = "x".repeat(MAX_STRING - 10);
    for (const tail of [secret, "https://user:pw-across-the-cut@host/", "password=across-the-cut-value", "<password>across-the-cut-xml</password>"]) {
      const out = scrub(before + " " + tail + " " + "y".repeat(100_000));
      expect(out.length).toBeLessThan(MAX_STRING + 100);
      expect(out).toMatch(/…\[\d+ more characters cut\]$/);
      expect(out).not.toMatch(/straddl|across/);
    }
  });

  it("takes linear time on adversarial text: each case within 10× a benign text of the same length", () => {
    const n = 64 * 1024;
    const best = (f: () => void) => {
      let min = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        f();
        min = Math.min(min, performance.now() - t);
      }
      return min;
    };
    const fill = (unit: string, prefix = "") => (prefix + unit.repeat(Math.ceil(n / unit.length))).slice(0, n);
    const benign = fill("point=3 state=idle amount=12.50 ref=ABC-123 at=12:30:05 ");
    const baseline = best(() => scrubText(benign));
    const adversarial: Record<string, string> = {
      "password + spaces": fill(" ", "password"),
      "password= + spaces": fill(" ", "password="),
      'password=" unterminated': fill("x", 'password="'),
      "a.a.a. (scheme)": fill("a."),
      "scheme without @": fill("b", "a://"),
      "Bearer + spaces": fill(" ", "Bearer"),
      "<password + spaces": fill(" ", "<password"),
      "<a><a><a>": fill("<a>"),
      "<p:q a=": fill("<p:q a="),
      "a=a=a=": fill("a="),
      "unclosed CDATA openings": fill("<password><![CDATA["),
      "quoted pairs": fill("'password' , "),
      "password 'a unterminated": fill("password 'a "),
      "a:a:a:": fill("a:"),
      '"a":"a":': fill('"a":'),
      "long identifier": fill("a", "") + "=x",
      "a-a-a-": fill("a-"),
    };
    const times = Object.entries(adversarial).map(([name, text]) => [name, best(() => scrubText(text))] as const);
    console.log(`scrub of ${n / 1024} KiB: benign ${baseline.toFixed(2)} ms; ${times.map(([k, t]) => `${k} ${t.toFixed(2)}`).join(", ")} ms`);
    for (const [name, t] of times) expect(t, name).toBeLessThan(10 * baseline);
  }, 120_000);

  it("a 1 MB adversarial error message costs the logger no more than reading a benign megabyte", { timeout: 60_000 }, () => {
    const mb = 1 << 20;
    const benign = "point=3 state=idle amount=12.50 ".repeat(mb / 32);
    let t = performance.now();
    scrubText(benign); // what a linear scan of the whole megabyte costs here, now
    const baseline = performance.now() - t;
    const fault = new Error(`SOAP fault: password${" ".repeat(mb)}`);
    t = performance.now();
    const line = formatLine("error", "glase", "soap-fault", { err: fault, detail: `<password>${" ".repeat(mb)}`, more: `a.${"a.".repeat(mb / 2)}` });
    const took = performance.now() - t;
    console.log(`1 MB adversarial line: ${took.toFixed(1)} ms (a benign megabyte scrubbed whole: ${baseline.toFixed(1)} ms); line ${line.length} characters`);
    expect(took).toBeLessThan(baseline);
    expect(line.length).toBeLessThan(8 * MAX_STRING);
  });
});

describe("errors keep what helps", () => {
  it("keeps name, code, message, stack, context and the cause chain — scrubbed", () => {
    const root = Object.assign(new Error("connect ECONNREFUSED https://a:b@10.0.0.1"), { code: "ECONNREFUSED" });
    const mid = new AgentError("GLASE_TRANSPORT", "sendInvoice failed", { operation: "sendInvoice", password: "ctx-secret" }, { cause: root });
    const top = new Error("payment start failed", { cause: mid });
    const line = formatLine("error", "t", "e", { err: top });
    const json = JSON.parse(line.slice(line.indexOf("err=") + 4));
    expect(json).toMatchObject({
      type: "Error",
      message: "payment start failed",
      stack: expect.stringContaining("log.test.ts"),
      cause: { type: "AgentError", code: "GLASE_TRANSPORT", message: "sendInvoice failed", context: { operation: "sendInvoice", password: "***" }, cause: { code: "ECONNREFUSED", message: "connect ECONNREFUSED https://***@10.0.0.1" } },
    });
    expect(line).not.toContain("ctx-secret");
  });
});

describe("hostile values never make the logger throw", () => {
  it("circular references, BigInt, Map, Set, Buffer, functions, symbols, getters that throw", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    const e = new Error("loop");
    (e as unknown as { cause: unknown }).cause = e;
    const evil = Object.defineProperty({}, "boom", { enumerable: true, get: () => { throw new Error("getter"); } });
    const line = formatLine("warn", "t", "e", {
      a,
      big: 12345678901234567890n,
      map: new Map<unknown, unknown>([["token", "map-secret"], [1, { password: "m2" }]]),
      set: new Set([1n, "x"]),
      buf: Buffer.from("buffer-secret-bytes"),
      fn: function namedFn() {},
      sym: Symbol("s"),
      e,
      evil,
      long: Array.from({ length: 10_000 }, (_, i) => i),
    });
    expect(line).toContain('"self":"[Circular]"');
    expect(line).toContain(" big=12345678901234567890n ");
    expect(line).not.toMatch(/map-secret|"m2"|buffer-secret-bytes/);
    expect(line).toContain("<Buffer 19 bytes>");
    expect(line).toContain("… 9900 more");
    expect(line.length).toBeLessThan(20_000);
    expect(line).toMatch(/"boom":"\[unreadable: getter\]"|evil="\[unreadable: getter\]"/);
  });
});

describe("log levels", () => {
  it("refuses an invalid GLASE_LOG_LEVEL, accepts the four levels in any case", () => {
    expect(() => parseLogLevel("verbose")).toThrow(/GLASE_LOG_LEVEL: 'verbose' is not a log level \(one of debug, info, warn, error\)/);
    expect(parseLogLevel("WARN")).toBe("warn");
    expect(parseLogLevel(undefined)).toBeUndefined();
  });

  it("every command — the daemon too — exits 78 (a configuration error) naming GLASE_LOG_LEVEL instead of logging everything", async () => {
    for (const args of [["config", "check", "config/simulated-station.yaml"], ["run", "--config", "config/simulated-station.yaml"]]) {
      const r = await exec(process.execPath, ["bin/glase-agent.js", ...args], { env: { ...process.env, GLASE_LOG_LEVEL: "verbose" } }).catch((e: { code: number; stderr: string; stdout: string }) => e);
      expect((r as { code: number }).code, args[0]).toBe(78);
      expect((r as { stderr: string }).stderr).toContain("GLASE_LOG_LEVEL: 'verbose' is not a log level");
    }
  }, 30_000);

  it("writes the journald priority prefix under systemd and filters below the level", () => {
    const lines: string[] = [];
    configureLogging({ journald: true, level: "warn", sink: { write: (l) => void lines.push(l) } });
    try {
      const log = createLogger("t");
      log.info("quiet");
      log.warn("w", { password: "x-secret" });
      log.error("e");
    } finally {
      configureLogging({ journald: false, level: "info", sink: { write: (l) => process.stdout.write(l) } });
    }
    expect(lines, JSON.stringify(lines)).toEqual(["<4>WARN t w password=\"***\"\n", "<3>ERROR t e\n"]);
  });
});

describe("redaction: review 2's misses (CDATA, header pair arrays, natural language)", () => {
  it("masks a CDATA password, header pairs as arrays and `password 'x'` in prose", () => {
    const cdata = scrubText("<soap:Body><password><![CDATA[r2-cdata-secret]]></password><point>3</point>");
    expect(cdata).not.toContain("r2-cdata-secret");
    expect(cdata).toContain("<point>3</point>");
    expect(scrubText("<password><![CDATA[r2-unclosed")).not.toContain("r2-unclosed");
    const prose = scrubText("login failed for password 'r2-nl-secret' on point 3; token \"r2-nl-2\"");
    expect(prose).not.toMatch(/r2-nl/);
    expect(prose).toContain("on point 3");
    expect(scrubText('headers [["X-Auth-Token","r2-json-pair"],["Host","kiosk"]]')).not.toContain("r2-json-pair");
    const line = formatLine("warn", "test", "request", { headers: [["X-Auth-Token", "r2-pair-secret"], ["Host", "kiosk.example"]], raw: ["Authorization", "r2-raw-secret", "Host", "kiosk.example"] });
    expect(line).not.toMatch(/r2-pair-secret|r2-raw-secret/);
    expect(line).toContain("kiosk.example");
  });
});
