/** An error that becomes a JSON response `{error, ...extra}` with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  toJSON(): Record<string, unknown> {
    return { error: this.message, ...this.extra };
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export function invalidBody(details: FieldProblem[]): HttpError {
  return new HttpError(400, "invalid request body", { details });
}

export function notFound(what: string, id: string): HttpError {
  return new HttpError(404, `${what} not found`, { id });
}
