// Every text a customer reads — receipt labels and the dispenser/charger display texts — in each
// station locale (`station.locale`). The flows speak English (the key is the English text, so a
// core test reads as what the customer sees in an English station); the shell translates as it
// prints or displays. "Glase payment" is not here: the seeds require that literal on every
// receipt, in every language (contract §6.9). Texts keep to CP858 characters (the receipt
// printer's code table) and to what a 2-line pump display shows.

export const LOCALES = ["en", "sv", "de", "fi", "nb", "da"] as const;
export type Locale = (typeof LOCALES)[number];

/** The BCP 47 tag Intl formats a locale's times and numbers with. */
export const INTL_TAG: Readonly<Record<Locale, string>> = { en: "en-GB", sv: "sv-SE", de: "de-DE", fi: "fi-FI", nb: "nb-NO", da: "da-DK" };

type Texts = Readonly<Record<Exclude<Locale, "en">, string>>;

/** Display texts: English (as the flows emit them) → the other locales. */
export const DISPLAY_TEXTS: Readonly<Record<string, Texts>> = {
  "Confirm in the Glase app": { sv: "Bekräfta i Glase-appen", de: "In der Glase-App bestätigen", fi: "Vahvista Glase-sovelluksessa", nb: "Bekreft i Glase-appen", da: "Bekræft i Glase-appen" },
  "Scan the Glase code to pay": { sv: "Skanna Glase-koden för att betala", de: "Glase-Code scannen und bezahlen", fi: "Maksa skannaamalla Glase-koodi", nb: "Skann Glase-koden for å betale", da: "Scan Glase-koden for at betale" },
  "Lift the nozzle": { sv: "Lyft pistolen", de: "Zapfpistole abheben", fi: "Nosta pistooli", nb: "Løft pistolen", da: "Løft pistolen" },
  "Settling payment": { sv: "Betalningen slutförs", de: "Zahlung wird abgeschlossen", fi: "Maksua viimeistellään", nb: "Betalingen fullføres", da: "Betalingen gennemføres" },
  "Paid - thank you": { sv: "Betalt - tack", de: "Bezahlt - danke", fi: "Maksettu - kiitos", nb: "Betalt - takk", da: "Betalt - tak" },
  "Cancelled - no charge": { sv: "Avbrutet - ingen debitering", de: "Abgebrochen - keine Belastung", fi: "Peruttu - ei veloitusta", nb: "Avbrutt - ingen belastning", da: "Annulleret - ingen betaling" },
  Cancelled: { sv: "Avbrutet", de: "Abgebrochen", fi: "Peruttu", nb: "Avbrutt", da: "Annulleret" },
  "Payment reversed - no charge": { sv: "Betalningen återförd - ingen debitering", de: "Zahlung storniert - keine Belastung", fi: "Maksu peruttu - ei veloitusta", nb: "Betalingen tilbakeført - ingen belastning", da: "Betalingen tilbageført - ingen opkrævning" },
  "Paid - please contact staff": { sv: "Betalt - kontakta personalen", de: "Bezahlt - bitte Personal rufen", fi: "Maksettu - ota yhteys henkilökuntaan", nb: "Betalt - kontakt personalet", da: "Betalt - kontakt personalet" },
  "Payment cancelled": { sv: "Betalningen avbröts", de: "Zahlung abgebrochen", fi: "Maksu peruttu", nb: "Betalingen ble avbrutt", da: "Betalingen blev annulleret" },
  "Payment declined": { sv: "Betalningen nekades", de: "Zahlung abgelehnt", fi: "Maksu hylätty", nb: "Betalingen ble avvist", da: "Betalingen blev afvist" },
  "Payment unavailable": { sv: "Betalning ej tillgänglig", de: "Zahlung nicht verfügbar", fi: "Maksu ei käytettävissä", nb: "Betaling utilgjengelig", da: "Betaling utilgængelig" },
  "Glase unavailable": { sv: "Glase ej tillgängligt", de: "Glase nicht verfügbar", fi: "Glase ei käytettävissä", nb: "Glase utilgjengelig", da: "Glase utilgængelig" },
  "Glase unavailable - pay inside": { sv: "Glase ej tillgängligt - betala i butiken", de: "Glase nicht verfügbar - bitte drinnen zahlen", fi: "Glase ei käytettävissä - maksa sisällä", nb: "Glase utilgjengelig - betal inne", da: "Glase utilgængelig - betal indenfor" },
  "Glase offline - pay inside": { sv: "Glase offline - betala i butiken", de: "Glase offline - bitte drinnen zahlen", fi: "Glase ei yhteydessä - maksa sisällä", nb: "Glase frakoblet - betal inne", da: "Glase offline - betal indenfor" },
  "Time limit reached": { sv: "Tiden är ute", de: "Zeit abgelaufen", fi: "Aikaraja täynnä", nb: "Tiden er ute", da: "Tiden er gået" },
  "Time limit reached - no charge": { sv: "Tiden är ute - ingen debitering", de: "Zeit abgelaufen - keine Belastung", fi: "Aikaraja täynnä - ei veloitusta", nb: "Tiden er ute - ingen belastning", da: "Tiden er gået - ingen betaling" },
  "Out of order - please contact staff": { sv: "Ur funktion - kontakta personalen", de: "Außer Betrieb - bitte Personal rufen", fi: "Epäkunnossa - ota yhteys henkilökuntaan", nb: "Ute av drift - kontakt personalet", da: "Ude af drift - kontakt personalet" },
  "Out of service": { sv: "Ur drift", de: "Außer Betrieb", fi: "Ei käytössä", nb: "Ute av drift", da: "Ude af drift" },
  Closed: { sv: "Stängt", de: "Geschlossen", fi: "Suljettu", nb: "Stengt", da: "Lukket" },
  Busy: { sv: "Upptagen", de: "Belegt", fi: "Varattu", nb: "Opptatt", da: "Optaget" },
};

export interface ReceiptLabels {
  readonly terminal: string;
  /** A fuel point. */
  readonly point: string;
  /** An EV charge point. */
  readonly charger: string;
  /** A kiosk point: car wash, vending machine, shop kiosk. */
  readonly machine: string;
  readonly grade: string;
  readonly quantity: string;
  readonly total: string;
  /** `{rate}`: "25", "7.7" (in the locale's decimal). */
  readonly vatIncluded: string;
  /** One line of a VAT breakdown: `{rate}` and `{base}` (the gross amount at that rate). */
  readonly vatOf: string;
  readonly reference: string;
  readonly time: string;
}

export const RECEIPT_LABELS: Readonly<Record<Locale, ReceiptLabels>> = {
  en: { terminal: "Terminal", point: "Point", charger: "Charger", machine: "Machine", grade: "Grade", quantity: "Quantity", total: "TOTAL", vatIncluded: "VAT {rate}% incl.", vatOf: "VAT {rate}% of {base}", reference: "Ref", time: "Time" },
  sv: { terminal: "Terminal", point: "Pump", charger: "Laddare", machine: "Automat", grade: "Produkt", quantity: "Mängd", total: "TOTALT", vatIncluded: "Moms {rate}% ingår", vatOf: "Moms {rate}% av {base}", reference: "Ref", time: "Tid" },
  de: { terminal: "Terminal", point: "Säule", charger: "Ladepunkt", machine: "Automat", grade: "Sorte", quantity: "Menge", total: "SUMME", vatIncluded: "inkl. MwSt. {rate}%", vatOf: "MwSt. {rate}% von {base}", reference: "Ref.", time: "Zeit" },
  fi: { terminal: "Pääte", point: "Mittari", charger: "Latauspiste", machine: "Automaatti", grade: "Tuote", quantity: "Määrä", total: "YHTEENSÄ", vatIncluded: "Sis. ALV {rate}%", vatOf: "ALV {rate}% / {base}", reference: "Viite", time: "Aika" },
  nb: { terminal: "Terminal", point: "Pumpe", charger: "Lader", machine: "Automat", grade: "Produkt", quantity: "Mengde", total: "TOTALT", vatIncluded: "MVA {rate}% inkl.", vatOf: "MVA {rate}% av {base}", reference: "Ref", time: "Tid" },
  da: { terminal: "Terminal", point: "Stander", charger: "Ladestander", machine: "Automat", grade: "Produkt", quantity: "Mængde", total: "I ALT", vatIncluded: "Moms {rate}% inkl.", vatOf: "Moms {rate}% af {base}", reference: "Ref", time: "Tid" },
};

/** The period report (ctl close-period, and its printed slip): every label in each locale. */
export interface PeriodLabels {
  /** The slip's title (its centred description line). */
  readonly title: string;
  /** `{title}, {scope}`: the head line. */
  readonly wholeShop: string;
  /** `{id}`: a terminal's period. */
  readonly terminalScope: string;
  /** What the slip's Terminal line says for a shop-wide close. */
  readonly allTerminals: string;
  readonly period: string;
  /** GeneratedAt as Glase wrote it (Glase's clock; its zone is not stated). */
  readonly generated: string;
  readonly flow: string;
  readonly sales: string;
  readonly refunds: string;
  /** Followed by the currency. */
  readonly total: string;
  readonly noLines: string;
  readonly byTerminal: string;
  readonly byCashier: string;
}

export const PERIOD_LABELS: Readonly<Record<Locale, PeriodLabels>> = {
  en: { title: "Period report", wholeShop: "whole shop", terminalScope: "terminal {id}", allTerminals: "all", period: "Period", generated: "Generated (Glase)", flow: "Flow", sales: "Sales", refunds: "Refunds", total: "Total (net of refunds)", noLines: "(no transactions in this period)", byTerminal: "terminal", byCashier: "cashier" },
  sv: { title: "Periodrapport", wholeShop: "hela butiken", terminalScope: "terminal {id}", allTerminals: "alla", period: "Period", generated: "Skapad (Glase)", flow: "Flöde", sales: "Köp", refunds: "Återbetalningar", total: "Totalt (netto)", noLines: "(inga transaktioner i perioden)", byTerminal: "terminal", byCashier: "kassör" },
  de: { title: "Periodenbericht", wholeShop: "gesamter Shop", terminalScope: "Terminal {id}", allTerminals: "alle", period: "Periode", generated: "Erstellt (Glase)", flow: "Vorgang", sales: "Verkäufe", refunds: "Erstattungen", total: "Summe (netto)", noLines: "(keine Transaktionen in der Periode)", byTerminal: "Terminal", byCashier: "Kassierer" },
  fi: { title: "Jaksoraportti", wholeShop: "koko myymälä", terminalScope: "pääte {id}", allTerminals: "kaikki", period: "Jakso", generated: "Luotu (Glase)", flow: "Tapahtuma", sales: "Myynnit", refunds: "Palautukset", total: "Yhteensä (netto)", noLines: "(ei tapahtumia jaksolla)", byTerminal: "pääte", byCashier: "kassa" },
  nb: { title: "Perioderapport", wholeShop: "hele butikken", terminalScope: "terminal {id}", allTerminals: "alle", period: "Periode", generated: "Opprettet (Glase)", flow: "Flyt", sales: "Salg", refunds: "Refusjoner", total: "Totalt (netto)", noLines: "(ingen transaksjoner i perioden)", byTerminal: "terminal", byCashier: "kasserer" },
  da: { title: "Perioderapport", wholeShop: "hele butikken", terminalScope: "terminal {id}", allTerminals: "alle", period: "Periode", generated: "Oprettet (Glase)", flow: "Flow", sales: "Salg", refunds: "Refusioner", total: "I alt (netto)", noLines: "(ingen transaktioner i perioden)", byTerminal: "terminal", byCashier: "kasserer" },
};

/** The Invoice Service's slips (pay-by-invoice QR, and the receipt once paid): `{ref}`, `{time}`. */
export interface InvoiceSlipLabels {
  readonly invoice: string;
  readonly scanToPay: string;
  readonly invoicePaid: string;
  readonly paidAt: string;
}

export const INVOICE_SLIP_LABELS: Readonly<Record<Locale, InvoiceSlipLabels>> = {
  en: { invoice: "Invoice {ref}", scanToPay: "Scan the code with the Glase app to pay", invoicePaid: "Invoice {ref} paid", paidAt: "Paid {time}" },
  sv: { invoice: "Faktura {ref}", scanToPay: "Skanna koden med Glase-appen för att betala", invoicePaid: "Faktura {ref} betald", paidAt: "Betald {time}" },
  de: { invoice: "Rechnung {ref}", scanToPay: "Code mit der Glase-App scannen und bezahlen", invoicePaid: "Rechnung {ref} bezahlt", paidAt: "Bezahlt {time}" },
  fi: { invoice: "Lasku {ref}", scanToPay: "Maksa skannaamalla koodi Glase-sovelluksella", invoicePaid: "Lasku {ref} maksettu", paidAt: "Maksettu {time}" },
  nb: { invoice: "Faktura {ref}", scanToPay: "Skann koden med Glase-appen for å betale", invoicePaid: "Faktura {ref} betalt", paidAt: "Betalt {time}" },
  da: { invoice: "Faktura {ref}", scanToPay: "Scan koden med Glase-appen for at betale", invoicePaid: "Faktura {ref} betalt", paidAt: "Betalt {time}" },
};

/** A display text in `locale`; a text the catalogue does not know is shown as the flow wrote it. */
export function displayText(text: string, locale: Locale): string {
  if (locale === "en") return text;
  return DISPLAY_TEXTS[text]?.[locale] ?? text;
}

export function isLocale(s: string): s is Locale {
  return (LOCALES as readonly string[]).includes(s);
}
