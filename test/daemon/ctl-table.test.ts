// ctl's command table is generated from the socket command specs (ctl-table.ts): every socket
// command is reachable from ctl and every ctl command reaches a socket command on the right socket,
// and what ctl sends for each is what the spec's schema accepts.
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../agent/daemon/sockets/commands.ts";
import { SPECIAL, SUBS } from "../../agent/cli/commands/ctl.ts";
import { CTL_VIA, argFields, ctlSub, kebab } from "../../agent/cli/commands/ctl-table.ts";

/** Values a person would type, where "x" or "3" would not do (the CLI checks some before sending). */
const SAMPLES: Record<string, string> = { since: "2026-03-01T08:00", cursor: "3", reportId: "Reconciliation/Shop.xml" };

describe("ctl ↔ socket commands", () => {
  it("every socket command is a ctl command or reached through a named ctl command; hidden ones are not offered", () => {
    const unreachable = COMMANDS.filter((c) => !c.hidden && !SUBS.some((s) => s.name === c.name) && CTL_VIA[c.name] === undefined).map((c) => c.name);
    expect(unreachable).toEqual([]);
    for (const c of COMMANDS.filter((x) => x.hidden)) expect(SUBS.some((s) => s.name === c.name), c.name).toBe(false);
    // CTL_VIA names real socket commands, each used by the ctl command it names.
    const used = new Set(Object.values(SPECIAL).flatMap((s) => s.uses as readonly string[]));
    for (const name of Object.keys(CTL_VIA).filter((n) => n !== "help")) {
      expect(COMMANDS.some((c) => c.name === name), name).toBe(true);
      expect(used.has(name), `${name}: CTL_VIA says a special ctl command uses it, SPECIAL says none does`).toBe(true);
    }
  });

  it("every ctl command reaches a socket command, on the socket its role says", () => {
    for (const sub of SUBS) {
      const spec = COMMANDS.find((c) => c.name === sub.name);
      expect(spec, sub.name).toBeDefined();
      expect(sub.admin, sub.name).toBe(spec!.role === "admin");
      expect(sub.summary.startsWith(spec!.summary), sub.name).toBe(true);
    }
    for (const [name, special] of Object.entries(SPECIAL)) {
      for (const cmd of special.uses) {
        const spec = COMMANDS.find((c) => c.name === cmd);
        expect(spec, `ctl ${name} uses ${cmd}`).toBeDefined();
        if (!special.admin) expect(spec!.role, `ctl ${name} talks to status.sock, ${cmd} needs admin`).toBe("status");
      }
      expect(SUBS.some((s) => s.name === name) && !Object.hasOwn(CTL_VIA, name), `ctl ${name} is both special and generated`).toBe(false);
    }
  });

  it("every argument of a socket command is a ctl option or positional, and what ctl sends passes the spec's schema", () => {
    for (const sub of SUBS) {
      const spec = COMMANDS.find((c) => c.name === sub.name)!;
      const fields = argFields(spec);
      // Each argument is an option, a positional, or set by a CLI flag (issue-invoice --reusable → payOnce).
      for (const f of fields) expect(Object.hasOwn(sub.options, kebab(f.key)) || sub.positionalKeys.includes(f.key) || f.optional, `${sub.name}: ${f.key} unreachable`).toBe(true);
      // Fill every option with a value of its kind, every positional with a typed value.
      const values: Record<string, string | boolean> = {};
      for (const f of argFields(spec)) {
        const opt = sub.options[kebab(f.key)];
        if (!opt) continue;
        values[kebab(f.key)] = opt.type === "boolean" ? true : f.choices ? f.choices[0]! : (SAMPLES[f.key] ?? (f.kind === "number" ? "3" : "x"));
      }
      // --point is only for a terminal's close (a shop close with --point is a usage error).
      if (sub.name === "close-period") Object.assign(values, { scope: "terminal", "report-id": "Reconciliation/STD_RECON_006.xml" });
      const positionals = sub.positionalKeys.map((k) => {
        const f = fields.find((x) => x.key === k)!;
        return k === "amountMinor" ? "12.50" : k === "glaseId" ? "1234567890" : f.choices ? f.choices[0]! : "x";
      });
      const { cmd, args } = sub.request(values, positionals);
      expect(cmd).toBe(spec.name);
      const parsed = spec.args.safeParse(args);
      expect(parsed.success, `${sub.name} ${JSON.stringify(args)}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it("the synopses a technician knows still hold", () => {
    const synopsis = (n: string) => SUBS.find((s) => s.name === n)!.synopsis;
    expect(synopsis("refund")).toBe("refund ERSREFERENCE AMOUNT [--point N] [--force]");
    expect(synopsis("flows")).toBe("flows [--all] [-n N] [--since T] [--cursor FLOW]");
    expect(synopsis("assign-id")).toBe("assign-id --point N GLASE_ID");
    expect(synopsis("resolve")).toBe("resolve FLOW_ID mark-settled|retry|cancel|claim|disown");
    expect(synopsis("issue-invoice")).toBe("issue-invoice AMOUNT DESCRIPTION REFERENCE [--reusable]");
    expect(synopsis("close-period")).toBe("close-period [--scope shop|terminal] [--point N] [--report-id ID] [--print] [--csv]");
  });

  it("a required option missing is a usage error naming it; a bad number is refused before the socket", () => {
    const stop = SUBS.find((s) => s.name === "stop-point")!;
    expect(() => stop.request({}, [])).toThrow("--point is required");
    expect(() => stop.request({ point: "two" }, [])).toThrow("--point: expected a positive integer, got 'two'");
    expect(() => ctlSub(COMMANDS.find((c) => c.name === "scan")!, { positionals: ["nope"] })).toThrow("positional nope is not an argument");
  });

  it("overrides: an option renamed, a render-only flag, a usage check before anything is sent", () => {
    const journal = COMMANDS.find((c) => c.name === "journal")!;
    const sub = ctlSub(journal, {
      optionNames: { cursor: "from" },
      flags: { csv: { sets: {} } },
      check: (args) => {
        if (args.n === 7) throw new Error("not 7");
      },
    });
    expect(sub.synopsis).toBe("journal [-n N] [--since T] [--from CURSOR] [--csv]");
    expect(sub.request({ from: "12", csv: true }, [])).toEqual({ cmd: "journal", args: { cursor: "12" } });
    expect(() => sub.request({ n: "7" }, [])).toThrow("not 7");
  });
});

describe("ctl kiosk-resolve", () => {
  it("sends the sale, the decision and the delivered amount typed in currency units, as the socket's schema accepts them", () => {
    const sub = SUBS.find((s) => s.name === "kiosk-resolve")!;
    expect(sub.admin).toBe(true);
    const sent = sub.request({ delivered: "20.00" }, ["K9-abc", "failed"]);
    expect(sent).toEqual({ cmd: "kiosk-resolve", args: { saleId: "K9-abc", outcome: "failed", deliveredMinor: 2000 } });
    expect(COMMANDS.find((c) => c.name === "kiosk-resolve")!.args.safeParse(sent.args).success).toBe(true);
    expect(sub.request({}, ["K9-abc", "delivered"]).args).toEqual({ saleId: "K9-abc", outcome: "delivered" });
    expect(COMMANDS.find((c) => c.name === "kiosk-resolve")!.args.safeParse({ saleId: "K9-abc", outcome: "maybe" }).success).toBe(false);
  });
});
