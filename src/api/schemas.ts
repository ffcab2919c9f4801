/** JSON schemas the routes share (validation and the OpenAPI document come from the same ones). */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string', description: '给人看的说明（中文）' } },
} as const;

export const DAY_SCHEMA = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
export const WEEK_SCHEMA = { type: 'string', pattern: '^\\d{4}-W\\d{2}$' } as const;
export const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: 2147483647 } } } as const;

/** The refusals every authenticated route may answer with. */
export const REFUSALS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 429: ERROR_SCHEMA } as const;

/** Loose objects (rows whose every column need not be listed here) still typed as objects in the document. */
export const ROW_SCHEMA = { type: 'object', additionalProperties: true } as const;
