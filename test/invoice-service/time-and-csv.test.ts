// The Invoice Service's two time formats (Stockholm local, §9 A37) and the report's CSV escaping.
import { describe, expect, it } from "vitest";
import { csvField } from "../../simulator/invoice-service/report.ts";
import { formatIsoWithOffset, formatPurchaseTime, localDayKey, parseReportDate } from "../../simulator/invoice-service/stockholm-time.ts";

describe("Stockholm time", () => {
  it("formats winter and summer instants with their offsets", () => {
    const winter = Date.UTC(2024, 2, 15, 13, 22, 9);
    const summer = Date.UTC(2024, 6, 16, 17, 20, 30);
    expect(formatPurchaseTime(winter)).toBe("15.03.2024 14:22:09");
    expect(formatIsoWithOffset(winter)).toBe("2024-03-15T14:22:09+01:00");
    expect(formatPurchaseTime(summer)).toBe("16.07.2024 19:20:30");
    expect(formatIsoWithOffset(summer)).toBe("2024-07-16T19:20:30+02:00");
    // 31 March 2024 01:00 UTC: clocks jumped from 02:00 to 03:00 local.
    expect(formatIsoWithOffset(Date.UTC(2024, 2, 31, 0, 59, 59))).toBe("2024-03-31T01:59:59+01:00");
    expect(formatIsoWithOffset(Date.UTC(2024, 2, 31, 1, 0, 0))).toBe("2024-03-31T03:00:00+02:00");
    expect(formatPurchaseTime(Date.UTC(2024, 0, 1, 0, 0, 0))).toBe("01.01.2024 01:00:00");
  });

  it("puts an instant on its Stockholm calendar day (report date filters)", () => {
    expect(localDayKey(Date.UTC(2024, 2, 14, 23, 30))).toBe(20240315);
    expect(localDayKey(Date.UTC(2024, 2, 14, 22, 59))).toBe(20240314);
    expect(parseReportDate("01062015")).toBe(20150601);
    expect(parseReportDate("29022024")).toBe(20240229);
    expect(parseReportDate("29022023")).toBeUndefined();
    expect(parseReportDate("2015-06-01")).toBeUndefined();
    expect(parseReportDate("1062015")).toBeUndefined();
  });
});

describe("report CSV fields", () => {
  it("quotes commas and quotes, escapes newlines so a record stays on one line", () => {
    expect(csvField("Phone invoice 05.2015")).toBe("Phone invoice 05.2015");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("line1\nline2\r\n")).toBe("line1\\nline2\\r\\n");
    expect(csvField("back\\slash")).toBe("back\\\\slash");
  });
});
