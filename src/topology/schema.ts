import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const text = () => Type.String({ minLength: 1 });
const strict = { additionalProperties: false } as const;

const LocalSchema = Type.Object(
  {
    dataDir: text(),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    binDir: Type.Optional(text()),
    logFile: Type.Optional(text()),
    netns: Type.Optional(text()),
  },
  strict,
);

const RegionSchema = Type.Object(
  {
    name: text(),
    postgres: Type.Object({ url: text(), standbyName: Type.Optional(text()), primaryConninfo: Type.Optional(text()), local: Type.Optional(LocalSchema) }, strict),
    nodes: Type.Optional(Type.Array(text())),
    /** The region's PostgreSQL runs under Patroni: its members' REST API, read by `dr status` beside PostgreSQL. */
    patroni: Type.Optional(Type.Object({ restUrls: Type.Array(text(), { minItems: 1 }) }, strict)),
    /** The region's pgBackRest stanza and configuration file, read by `dr backup-status --region`. */
    pgbackrest: Type.Optional(Type.Object({ stanza: Type.Optional(text()), config: Type.Optional(text()) }, strict)),
  },
  strict,
);

/** The file as written: `version`, `primary`, `replication`, `regions` (see docs/disaster-recovery.md). */
export const TopologyFileSchema = Type.Object(
  {
    version: Type.Optional(Type.Literal(1)),
    primary: Type.Optional(text()),
    replication: Type.Optional(Type.Object({ mode: Type.Union([Type.Literal('sync'), Type.Literal('quorum'), Type.Literal('async')]), standbys: Type.Integer({ minimum: 0 }) }, strict)),
    regions: Type.Array(RegionSchema, { minItems: 1 }),
  },
  strict,
);

export type TopologyFile = Static<typeof TopologyFileSchema>;

const validator = Compile(TopologyFileSchema);

interface SchemaError {
  readonly keyword: string;
  readonly schemaPath: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

/** `/regions/0/postgres/url` -> `regions[0].postgres.url`: the field as a reader finds it in the file. */
export function fieldName(pointer: string, key?: string): string {
  const parts = [...pointer.split('/').slice(1), ...(key === undefined ? [] : [key])].map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name === '' ? part : `${name}.${part}`), '');
}

/** The schema a `schemaPath` such as `#/properties/regions/items` points at. */
function schemaAt(schemaPath: string): Record<string, unknown> | undefined {
  let node: unknown = TopologyFileSchema;
  for (const part of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) node = (node as Record<string, unknown> | undefined)?.[part];
  return node as Record<string, unknown> | undefined;
}

function describe(error: SchemaError): string {
  const at = fieldName(error.instancePath) || '(top level)';
  switch (error.keyword) {
    case 'required':
      return `${fieldName(error.instancePath, String((error.params.requiredProperties as string[])[0]))}: missing`;
    case 'additionalProperties': {
      const allowed = Object.keys((schemaAt(error.schemaPath)?.properties as object | undefined) ?? {});
      return `${fieldName(error.instancePath, String((error.params.additionalProperties as string[])[0]))}: unknown key (${at === '(top level)' ? 'the file' : at} takes ${allowed.join(', ')})`;
    }
    case 'type':
      return `${at}: must be ${error.params.type === 'object' ? 'a mapping' : error.params.type === 'array' ? 'a list' : `a${error.params.type === 'integer' ? 'n' : ''} ${String(error.params.type)}`}`;
    case 'minLength':
      return `${at}: must not be empty`;
    case 'minItems':
      return `${at}: must list at least one`;
    case 'const':
    case 'anyOf': {
      const options = ((schemaAt(error.schemaPath)?.anyOf as { const: unknown }[] | undefined) ?? [{ const: error.params.allowedValue }]).map((o) => String(o.const));
      return `${at}: must be ${options.join(', ')}`;
    }
    default:
      return `${at}: ${error.message}`;
  }
}

/** The file's first problem, naming the field, or undefined when it fits the schema. */
export function schemaProblem(value: unknown): string | undefined {
  if (validator.Check(value)) return undefined;
  const errors = [...validator.Errors(value)] as SchemaError[];
  // An unknown key first: a misspelt one is also reported missing under its right name. A union
  // reports each branch's failure too; the union itself says it best.
  const best =
    errors.find((e) => e.keyword === 'additionalProperties') ?? errors.find((e) => e.keyword === 'anyOf') ?? errors.find((e) => !['boolean', 'const'].includes(e.keyword)) ?? errors[0];
  return best ? describe(best) : 'does not fit the topology schema';
}
