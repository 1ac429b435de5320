import { Document } from 'yaml';
import { archiveCommand, restoreCommandFrom } from './pgbackrest-config.js';
import { primaryRegionPlan, type LabPlan, type PatroniMemberPlan, type RegionPlan } from './plan.js';

/**
 * One Patroni member's YAML, for Patroni 3.0.2 (Debian 12) on etcd v3. Field by field against
 * that version's docs (docs/SETTINGS.rst, docs/replica_bootstrap.rst at v3.0.2) and code
 * (patroni/config.py, patroni/validator.py, patroni/ha.py):
 *
 * - `etcd3`, not `etcd`: etcd 3.4 serves the v2 API only with --enable-v2, and Patroni's etcd3
 *   client speaks etcd's JSON gateway itself (it needs python3-etcd only for its error classes,
 *   which Debian's patroni package depends on). Keys written by one are invisible to the other.
 * - `bootstrap.dcs` is written to the DCS once, when the cluster is first bootstrapped; later
 *   changes go through `patronictl edit-config` (or PATCH /config), never through this file.
 * - `bootstrap.pg_hba` is required by 3.0.2's --validate-config when `bootstrap` is present;
 *   `postgresql.pg_hba` (the same lines) takes precedence and is what Patroni writes.
 * - `postgresql.authentication.rewind` is required by that validator too; Patroni creates the
 *   role with the rights pg_rewind needs (PostgreSQL 11+).
 */
export function patroniConfig(plan: LabPlan, region: RegionPlan, member: PatroniMemberPlan): Record<string, unknown> {
  const { timings, secrets } = plan;
  const standby = region.kind === 'standby';
  const hba = pgHba();
  return {
    scope: region.scope,
    namespace: plan.namespace,
    name: member.name,
    log: { level: 'INFO' }, // to stderr, which the lab sends to the member's log file
    restapi: {
      listen: `${member.host}:${member.restPort}`,
      connect_address: `${member.host}:${member.restPort}`,
      // Unsafe endpoints (POST /switchover, PATCH /config, ...) only; GET /cluster, /leader, /primary need none.
      authentication: { username: 'patroni', password: secrets.restApi },
    },
    etcd3: { hosts: plan.etcd.map((e) => `${e.host}:${e.clientPort}`) },
    bootstrap: {
      dcs: {
        ttl: timings.ttl,
        loop_wait: timings.loopWait,
        retry_timeout: timings.retryTimeout,
        maximum_lag_on_failover: 1048576,
        // A standby cluster has no synchronous replication to manage (Patroni skips it there), and
        // with synchronous_mode on and its /sync key empty no member could be a switchover
        // candidate: it is turned on when region B is promoted (deploy/patroni/README.md).
        synchronous_mode: !standby,
        synchronous_mode_strict: false, // with no sync standby left, writes go on unconfirmed rather than stop
        synchronous_node_count: 1,
        postgresql: { use_pg_rewind: true, use_slots: true, parameters: sharedParameters(plan) },
        ...(standby ? { standby_cluster: standbyCluster(plan) } : { slots: { [plan.standbySlot]: { type: 'physical' } } }),
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
      pg_hba: hba,
    },
    postgresql: {
      listen: `${member.host}:${member.pgPort}`,
      connect_address: `${member.host}:${member.pgPort}`,
      data_dir: member.dataDir,
      bin_dir: plan.pgBinDir,
      pgpass: member.pgpass,
      use_unix_socket: true,
      authentication: {
        superuser: { username: 'postgres', password: secrets.superuser },
        replication: { username: 'replicator', password: secrets.replication },
        rewind: { username: 'rewinder', password: secrets.rewind },
      },
      // Per member, so local (local parameters win over the DCS's): pgBackRest and Patroni use the socket.
      parameters: { unix_socket_directories: member.socketDir },
      pg_hba: hba,
      create_replica_methods: ['basebackup'],
      basebackup: [{ checkpoint: 'fast' }],
      // A member whose pg_rewind fails, or whose timeline diverged, is rebuilt from the leader
      // instead of staying down until someone looks: what a lab (and most clusters) want.
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    // No /dev/watchdog on a lab machine. In production use `required` where the kernel has one:
    // it resets a leader whose Patroni hangs before its lock expires.
    watchdog: { mode: 'off' },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

/** The cluster-wide PostgreSQL settings, the same in both regions (region B keeps them when promoted). */
function sharedParameters(plan: LabPlan): Record<string, string | number> {
  return {
    max_connections: 200,
    shared_buffers: '128MB',
    wal_level: 'replica',
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_log_hints: 'on', // pg_rewind (Patroni sets it itself with use_pg_rewind; said here for the reader)
    // Kept WAL besides slots: region A's permanent slot for region B exists on the leader only
    // (Patroni 3.0.2 does not copy physical permanent slots to replicas), so after a failover in
    // A the new leader's slot starts at its own position; B resumes from this WAL or, past it,
    // from the archive (standby_cluster.restore_command).
    wal_keep_size: '256MB',
    archive_mode: 'on',
    archive_command: archiveCommand(plan), // pgBackRest, to this region's repository (pgbackrest-config.ts)
    archive_timeout: 60, // a quiet primary still archives a segment a minute: the archive is at most a minute old
    // A standby whose upstream just died retries every wal_retrieve_retry_interval (default 5 s,
    // measured by docs/disaster-recovery.md as a 5 s promotion delay).
    wal_retrieve_retry_interval: '500ms',
    // A peer that stops answering (a cut link, a frozen host) is noticed in 10 s rather than 60 s.
    wal_sender_timeout: '10s',
    wal_receiver_timeout: '10s',
    password_encryption: 'scram-sha-256',
  };
}

/**
 * Region B follows region A's leader. Through HAProxy (default): one address that follows A's
 * leader by /primary, as a remote region would reach it through a load balancer or VIP. Through
 * the members: libpq's host list; with a primary_slot_name Patroni 3.0.2 adds
 * target_session_attrs=read-write to the standby leader's primary_conninfo
 * (postgresql/config.py build_recovery_params), so libpq skips A's replicas.
 */
function standbyCluster(plan: LabPlan): Record<string, unknown> {
  const source = primaryRegionPlan(plan);
  const address =
    plan.standbySource === 'haproxy'
      ? { host: source.haproxy.host, port: source.haproxy.writerPort }
      : { host: source.members.map((m) => m.host).join(','), port: [...new Set(source.members.map((m) => m.pgPort))].join(',') };
  return {
    ...address,
    primary_slot_name: plan.standbySlot,
    create_replica_methods: ['basebackup'],
    // WAL the stream no longer has comes from region A's archive (its pgBackRest repository).
    restore_command: restoreCommandFrom(plan, source),
  };
}

/**
 * Loopback only. The socket folder is the lab user's alone (0700), so `local ... trust` admits
 * only that user: Patroni and pgBackRest, which reach PostgreSQL through it. TCP needs a password.
 */
export function pgHba(): string[] {
  return [
    'local all all trust',
    'host replication replicator 127.0.0.0/8 scram-sha-256',
    'host all all 127.0.0.0/8 scram-sha-256',
  ];
}

/** The member's file as written: a header saying what it is, then the YAML. */
export function renderPatroniConfig(plan: LabPlan, region: RegionPlan, member: PatroniMemberPlan): string {
  // YAML 1.1, as PyYAML reads it: 'on' and 'off' are quoted (unquoted they would be booleans there).
  const doc = new Document(patroniConfig(plan, region, member), { version: '1.1', aliasDuplicateObjects: false });
  doc.commentBefore = [
    ` Patroni ${member.name}: member of ${region.scope} (${region.name}, ${region.kind === 'primary' ? 'the primary cluster' : `a standby cluster following ${primaryRegionPlan(plan).scope}`}).`,
    ' Generated by src/patroni-lab/patroni-config.ts for Patroni 3.0.2; see deploy/patroni/README.md.',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
