import type { AgentError } from "../../agent/errors.ts";

/** The AgentError a promise rejects with; fails the test if it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    return error as AgentError;
  }
  throw new Error("expected the promise to reject");
}
