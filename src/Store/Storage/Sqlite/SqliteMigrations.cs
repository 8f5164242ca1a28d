using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Fleet.Store.Storage.Sqlite;

/// <summary>Versioned schema of the SQLite provider; a migration once shipped is never changed, only followed.</summary>
internal static class SqliteMigrations
{
    private static readonly (int Version, string Name, string Sql)[] Migrations =
    [
        (1, "initial", """
            CREATE TABLE grain_state (
                grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, state_version INTEGER NOT NULL,
                etag TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (grain_type, grain_key)) WITHOUT ROWID;
            CREATE TABLE reminders (
                grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, partition INTEGER NOT NULL, due_at INTEGER NOT NULL,
                PRIMARY KEY (grain_type, grain_key)) WITHOUT ROWID;
            CREATE INDEX ix_reminders_due ON reminders (due_at);
            CREATE TABLE resources (
                kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL,
                generation INTEGER NOT NULL, resource_version INTEGER NOT NULL, labels TEXT NOT NULL, annotations TEXT NOT NULL,
                spec TEXT NOT NULL, status TEXT NULL, created_at INTEGER NOT NULL,
                PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
            CREATE TABLE resource_labels (
                kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                PRIMARY KEY (kind, namespace, name, key)) WITHOUT ROWID;
            CREATE INDEX ix_resource_labels_key_value ON resource_labels (kind, key, value);
            CREATE TABLE counters (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO counters (name, value) VALUES ('resource_version', 0);
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, involved_kind TEXT NOT NULL,
                involved_name TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL, time INTEGER NOT NULL);
            CREATE INDEX ix_events_namespace ON events (namespace, seq);
            CREATE INDEX ix_events_time ON events (time);
            CREATE TABLE blobs (digest TEXT NOT NULL PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
            """),
        (2, "orleans", """
            DROP TABLE grain_state;
            DROP TABLE reminders;
            CREATE TABLE orleans_state (
                grain_id TEXT NOT NULL, state_name TEXT NOT NULL, etag TEXT NOT NULL, data BLOB NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (grain_id, state_name)) WITHOUT ROWID;
            CREATE TABLE orleans_reminders (
                grain_id TEXT NOT NULL, name TEXT NOT NULL, grain_hash INTEGER NOT NULL, start_at INTEGER NOT NULL,
                period_ms INTEGER NOT NULL, etag TEXT NOT NULL,
                PRIMARY KEY (grain_id, name)) WITHOUT ROWID;
            CREATE INDEX ix_orleans_reminders_hash ON orleans_reminders (grain_hash);
            CREATE TABLE resource_changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                resource_version INTEGER NOT NULL, change TEXT NOT NULL);
            """),
        (3, "access", """
            CREATE TABLE api_tokens (
                id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, namespaces TEXT NULL, secret_hash TEXT NOT NULL,
                expires_at INTEGER NULL, revoked_at INTEGER NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE UNIQUE INDEX ux_api_tokens_name ON api_tokens (name) WHERE revoked_at IS NULL;
            CREATE TABLE registration_tokens (
                id TEXT NOT NULL PRIMARY KEY, namespace TEXT NOT NULL, name TEXT NOT NULL, secret_hash TEXT NOT NULL, expires_at INTEGER NOT NULL,
                max_uses INTEGER NOT NULL, uses INTEGER NOT NULL, cluster_labels TEXT NOT NULL, revoked_at INTEGER NULL,
                created_by TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE UNIQUE INDEX ux_registration_tokens_name ON registration_tokens (namespace, name) WHERE revoked_at IS NULL;
            CREATE TABLE audit (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, subject TEXT NOT NULL, verb TEXT NOT NULL,
                kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, status INTEGER NOT NULL);
            CREATE INDEX ix_audit_time ON audit (time);
            """),
        (4, "change-objects", """
            ALTER TABLE resource_changes ADD COLUMN uid TEXT NULL;
            ALTER TABLE resource_changes ADD COLUMN generation INTEGER NULL;
            ALTER TABLE resource_changes ADD COLUMN labels TEXT NULL;
            ALTER TABLE resource_changes ADD COLUMN annotations TEXT NULL;
            ALTER TABLE resource_changes ADD COLUMN spec TEXT NULL;
            ALTER TABLE resource_changes ADD COLUMN status TEXT NULL;
            ALTER TABLE resource_changes ADD COLUMN created_at INTEGER NULL;
            """),
    ];

    public static int LatestVersion => Migrations[^1].Version;

    public static async Task ApplyAsync(SqliteConnection c, string path, CancellationToken ct)
    {
        await SqliteStorageProvider.ExecAsync(c, "CREATE TABLE IF NOT EXISTS fleet_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", ct);
        long current;
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM fleet_migrations";
            current = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        if (current > LatestVersion)
        {
            throw new FleetStorageException($"The SQLite database {path} has schema version {current}, written by a newer Fleet; this Fleet knows schema versions up to {LatestVersion}. Upgrade Fleet, or use another data directory.");
        }

        foreach (var (version, name, sql) in Migrations)
        {
            if (version <= current)
            {
                continue;
            }

            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
            await SqliteStorageProvider.ExecAsync(c, sql, ct, tx);
            await using (var cmd = c.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO fleet_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
                cmd.Parameters.AddWithValue("@v", version);
                cmd.Parameters.AddWithValue("@n", name);
                cmd.Parameters.AddWithValue("@t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await cmd.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
        }
    }
}
