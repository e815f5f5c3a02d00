// One realistic fuel receipt shared by the printer tests (values shaped as in contract §4.12).
import type { ReceiptContent } from "../../../drivers/printer/contract.ts";
import { formatStationTime } from "../../../base/i18n/format.ts";

export const FUEL_RECEIPT: ReceiptContent = {
  stationName: "Glase Station Åre Östra",
  terminalId: "87e791f9e24148a6892c52aa85bb0331",
  point: 3,
  gradeName: "Diesel",
  milli: 42_370,
  unit: "L",
  unitPriceMinor: 1949,
  amountMinor: 82_579,
  currency: "SEK",
  vatRatePercent: 25,
  ersReference: "2015102910184861801032678",
  description: "Glase payment",
  timestamp: "2026-11-21T14:30:05+01:00",
  extraLines: ["Thank you for your visit"],
};

/** The sample's time as a printer without a configured zone prints it (English, the system's zone). */
export const FUEL_RECEIPT_TIME = formatStationTime(FUEL_RECEIPT.timestamp, { locale: "en" });

/** The station the golden receipts are laid out for: English, Stockholm (the timestamp's own +01:00). */
export const GOLDEN_STATION = { locale: "en", timeZone: "Europe/Stockholm" } as const;

export const INVOICE_QR = "HTTP://SEQR.SE/000/invoice?j=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImlzcyI6Ikdsb2JhbCBJbnZvaWNlcyJ9.eyJhIjoiMjkuOTkiLCJjIjoiU0VLIiwiZCI6IlRlc3QgaW52b2ljZSIsInIiOiJSODIwOTE5IiwibyI6ImZhbHNlIn0.PwBs2SXHLMC3sofiSWayX180XM7i3wANOdZTjmXHmLg";
