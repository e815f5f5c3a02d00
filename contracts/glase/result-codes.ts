// Glase (ERSWSResultCodes) result codes, contract §5.8. resultDescription is the name, except 98.
// Clients key decisions on the number, never on the description (§6.15).

export const RESULT_CODES = {
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
  99: "RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS",
} as const satisfies Record<number, string>;

export type ResultCode = keyof typeof RESULT_CODES;
export type ResultName = (typeof RESULT_CODES)[ResultCode];

export const RESULT_98_DESCRIPTION = "Sum of refunds can not be more than original transaction";

/** Name of a code; unknown codes get the jar's `UNKNOWN ERSWSResultCode = <n>`. */
export function resultName(code: number): string {
  return (RESULT_CODES as Record<number, string>)[code] ?? `UNKNOWN ERSWSResultCode = ${code}`;
}

/** The resultDescription a faithful server sends for a code (§9 A18). */
export function resultDescription(code: number): string {
  return code === 98 ? RESULT_98_DESCRIPTION : resultName(code);
}

/** How a client should treat a non-zero code (§6.15). */
export type ResultClass = "credentials" | "temporary" | "bad-invoice" | "state" | "not-ready" | "other";

export function classifyResult(code: number): ResultClass {
  switch (code) {
    case 20: case 21: case 29: case 33: case 37:
      return "credentials";
    case 90: case 93: case 94:
      return "temporary";
    case 11: case 49: case 64:
      return "bad-invoice";
    case 2:
      return "not-ready";
    case 23: case 48: case 50: case 51: case 53: case 54: case 95: case 96: case 97: case 98: case 99:
      return "state";
    default:
      return "other";
  }
}
