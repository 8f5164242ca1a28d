using System.Globalization;
using Npgsql;

namespace Fleet.Store.Storage.Postgres;

/// <summary>Versioned schema of the PostgreSQL provider; a migration once shipped is never changed, only followed.</summary>
internal static class PostgresMigrations
{
    /// <summary>Key of the advisory lock that serializes migrations of silos starting together.</summary>
    private const long MigrationLock = 0x466C656574_01;

    private static readonly (int Version, string Name, string Sql)[] Migrations =
    [
        (1, "initial", """
            CREATE TABLE fleet_meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE grain_state (
                grain_type text NOT NULL, grain_key text NOT NULL, state_version int NOT NULL,
                etag text NOT NULL, data text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (grain_type, grain_key));
            CREATE TABLE reminders (
                grain_type text NOT NULL, grain_key text NOT NULL, partition int NOT NULL, due_at bigint NOT NULL,
                PRIMARY KEY (grain_type, grain_key));
            CREATE INDEX ix_reminders_due ON reminders (partition, due_at);
            CREATE TABLE resources (
                kind text NOT NULL, namespace text NOT NULL, name text NOT NULL, uid text NOT NULL,
                generation bigint NOT NULL, resource_version bigint NOT NULL, labels text NOT NULL, annotations text NOT NULL,
                spec text NOT NULL, status text NULL, created_at bigint NOT NULL,
                PRIMARY KEY (kind, namespace, name));
            CREATE TABLE resource_labels (
                kind text NOT NULL, namespace text NOT NULL, name text NOT NULL, key text NOT NULL, value text NOT NULL,
                PRIMARY KEY (kind, namespace, name, key));
            CREATE INDEX ix_resource_labels_key_value ON resource_labels (kind, key, value);
            CREATE SEQUENCE resource_version_seq;
            CREATE TABLE events (
                seq bigserial PRIMARY KEY, namespace text NOT NULL, involved_kind text NOT NULL, involved_name text NOT NULL,
                type text NOT NULL, reason text NOT NULL, message text NOT NULL, time bigint NOT NULL);
            CREATE INDEX ix_events_namespace ON events (namespace, seq);
            CREATE INDEX ix_events_time ON events (time);
            CREATE TABLE blobs (digest text PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE partition_leases (partition int PRIMARY KEY, owner text NULL, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz NOT NULL DEFAULT '-infinity');
            CREATE TABLE silos (silo_id text PRIMARY KEY, channel text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL);
            """),
        (2, "orleans", """
            DROP TABLE grain_state;
            DROP TABLE reminders;
            DROP TABLE partition_leases;
            DROP TABLE silos;
            DELETE FROM fleet_meta WHERE key = 'partition_count';
            CREATE TABLE resource_changes (
                seq bigserial PRIMARY KEY, kind text NOT NULL, namespace text NOT NULL, name text NOT NULL,
                resource_version bigint NOT NULL, change text NOT NULL);
            """),
        (3, "orleans-adonet", OrleansAdoNetScripts.All),
        (4, "access", """
            CREATE TABLE api_tokens (
                id text PRIMARY KEY, name text NOT NULL, role text NOT NULL, namespaces text NULL, secret_hash text NOT NULL,
                expires_at bigint NULL, revoked_at bigint NULL, created_by text NOT NULL, created_at bigint NOT NULL);
            CREATE UNIQUE INDEX ux_api_tokens_name ON api_tokens (name) WHERE revoked_at IS NULL;
            CREATE TABLE registration_tokens (
                id text PRIMARY KEY, namespace text NOT NULL, name text NOT NULL, secret_hash text NOT NULL, expires_at bigint NOT NULL,
                max_uses int NOT NULL, uses int NOT NULL, cluster_labels text NOT NULL, revoked_at bigint NULL,
                created_by text NOT NULL, created_at bigint NOT NULL);
            CREATE UNIQUE INDEX ux_registration_tokens_name ON registration_tokens (namespace, name) WHERE revoked_at IS NULL;
            CREATE TABLE audit (
                seq bigserial PRIMARY KEY, time bigint NOT NULL, subject text NOT NULL, verb text NOT NULL,
                kind text NOT NULL, namespace text NOT NULL, name text NOT NULL, status int NOT NULL);
            CREATE INDEX ix_audit_time ON audit (time);
            """),
        (5, "change-objects", """
            ALTER TABLE resource_changes ADD COLUMN uid text NULL, ADD COLUMN generation bigint NULL, ADD COLUMN labels text NULL,
                ADD COLUMN annotations text NULL, ADD COLUMN spec text NULL, ADD COLUMN status text NULL, ADD COLUMN created_at bigint NULL;
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;

    public static async Task ApplyAsync(NpgsqlConnection c, string description, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await ExecAsync(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})", ct);
        await ExecAsync(c, tx, "CREATE TABLE IF NOT EXISTS fleet_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", ct);
        long current;
        await using (var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM fleet_migrations", c, tx))
        {
            current = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }

        if (current > LatestVersion)
        {
            throw new FleetStorageException($"{description} has schema version {current}, written by a newer Fleet; this Fleet knows schema versions up to {LatestVersion}. Upgrade Fleet.");
        }

        foreach (var (version, name, sql) in Migrations)
        {
            if (version <= current)
            {
                continue;
            }

            await ExecAsync(c, tx, sql, ct);
            await using var ins = new NpgsqlCommand("INSERT INTO fleet_migrations (version, name) VALUES (@v, @n)", c, tx);
            ins.Parameters.AddWithValue("v", version);
            ins.Parameters.AddWithValue("n", name);
            await ins.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    private static async Task ExecAsync(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
