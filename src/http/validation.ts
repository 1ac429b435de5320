import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const common: Options = { allErrors: true, useDefaults: true, addUsedSchema: false, strict: false };

/**
 * Bodies are validated as sent: no type coercion and no silent removal of unknown properties (a
 * typo in a field name is an error, and a JDM document is stored exactly as given). Query strings,
 * params and headers are text, so they are coerced to the declared types.
 */
const bodies = addFormats(new Ajv({ ...common, coerceTypes: false, removeAdditional: false }));
const textParts = addFormats(new Ajv({ ...common, coerceTypes: 'array', removeAdditional: true }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodies : textParts).compile(schema);
