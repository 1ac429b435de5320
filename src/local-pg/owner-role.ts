import postgres from 'postgres';

/** The role Verdict connects to its embedded cluster as. */
export const OWNER_ROLE = 'verdict';

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * Verdict's connections to the embedded cluster use an owner role without superuser: a bug or an
 * injected statement in the server cannot read files, run programs or touch other databases. The
 * bootstrap superuser (`postgres`) is used here only, to set that up on every start:
 *
 * - the role, with its password (re-applied, so the password file stays the truth) and
 *   pg_monitor, which shows replication progress (`deploy --wait replicas`) to non-superusers;
 * - the database, owned by the role (created, or handed over when an older version created it);
 * - everything an older version created in it as the superuser, handed over to the role, so that
 *   later migrations (ALTER TABLE needs the owner) keep working.
 */
export async function ensureOwnerRole(superuserUrl: (database: string) => string, database: string, password: string): Promise<void> {
  const admin = postgres(superuserUrl('postgres'), { max: 1, onnotice: () => undefined });
  try {
    const [role] = await admin<{ exists: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${OWNER_ROLE}) AS exists`;
    const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
    await admin.unsafe(`${role?.exists ? 'ALTER' : 'CREATE'} ROLE ${ident(OWNER_ROLE)} WITH ${attributes} PASSWORD ${literal(password)}`);
    await admin.unsafe(`GRANT pg_monitor TO ${ident(OWNER_ROLE)}`);
    const [db] = await admin<{ owner: string }[]>`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ${database}`;
    if (!db) await admin.unsafe(`CREATE DATABASE ${ident(database)} OWNER ${ident(OWNER_ROLE)}`);
    else if (db.owner !== OWNER_ROLE) await admin.unsafe(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(OWNER_ROLE)}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const inDatabase = postgres(superuserUrl(database), { max: 1, onnotice: () => undefined });
  try {
    await inDatabase.unsafe(handOverObjects(OWNER_ROLE));
  } finally {
    await inDatabase.end({ timeout: 5 });
  }
}

/**
 * REASSIGN OWNED BY postgres refuses the bootstrap superuser (it owns the system catalogs), so
 * the schemas, tables, views, sequences, functions and types of every non-system schema are
 * handed over one by one. Indexes, and sequences and row types that belong to a table, follow it.
 */
function handOverObjects(role: string): string {
  return `
DO $handover$
DECLARE
  target CONSTANT text := ${literal(role)};
  target_oid CONSTANT oid := to_regrole(${literal(ident(role))});
  r record;
BEGIN
  FOR r IN
    SELECT nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND nspowner <> target_oid
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, target);
  END LOOP;
  FOR r IN
    SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND c.relowner <> target_oid
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')
      AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END,
      r.name, target);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND p.proowner <> target_oid
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.name, target);
  END LOOP;
  FOR r IN
    SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND t.typowner <> target_oid
      AND t.typtype IN ('e', 'd', 'r')
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', r.name, target);
  END LOOP;
END
$handover$`;
}
