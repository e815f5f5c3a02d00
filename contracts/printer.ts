// Receipt printer as the flows see it. Implementations (drivers/printer/): ESC/POS encoding with
// the `escpos` core over our own transports (serial, TCP 9100, character device, file), and a
// virtual printer (simulator/devices/) that decodes ESC/POS back to text.

/** Content of a customer receipt (contract §6.9 + station details). Money in minor units. */
export interface ReceiptContent {
  readonly stationName: string;
  readonly terminalId: string;
  readonly point?: number;
  /** What the point is, for its label ("Pump", "Charger", "Machine"); absent: by the unit (kWh: a charger), else a pump. */
  readonly pointKind?: "fuel" | "ev" | "kiosk";
  readonly gradeName?: string;
  readonly milli?: number; // quantity in thousandths
  readonly unit?: "L" | "kWh";
  readonly unitPriceMinor?: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly vatRatePercent?: number;
  /** Gross amounts per VAT rate when the rows carry different rates (printed as one line per rate). */
  readonly vatBreakdown?: readonly { readonly ratePercent: number; readonly grossMinor: number }[];
  readonly ersReference: string;
  /** Always "Glase payment" on payment receipts (§6.9). */
  readonly description: string;
  /** ISO-8601 timestamp of the payment. */
  readonly timestamp: string;
  /** Print the station's time zone after the time (a record a technician compares, e.g. the period slip). */
  readonly showTimeZone?: boolean;
  /** Optional QR payload printed as a QR code (Invoice Service pay-by-invoice, §7.4). */
  readonly qr?: string;
  readonly extraLines?: readonly string[];
}

export type PrinterHealth = "ok" | "paper-out" | "cover-open" | "offline" | "unknown";

export interface ReceiptPrinter {
  /** Rejects with PRINTER_UNAVAILABLE when the printer cannot take it; callers keep the receipt. */
  print(receipt: ReceiptContent): Promise<void>;
  /** DLE EOT status where the transport reads back; "unknown" otherwise. */
  status(): Promise<PrinterHealth>;
  close(): Promise<void>;
}
