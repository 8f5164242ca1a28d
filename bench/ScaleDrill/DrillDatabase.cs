using Npgsql;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// Reads the drill's figures straight from PostgreSQL, so that counting 50,000 placements costs the silo nothing:
/// placements Ready (or at a revision) from the store's <c>resources</c> table, and the database's transaction and
/// row counters from <c>pg_stat_database</c>.
/// </summary>
internal sealed class DrillDatabase(string connectionString)
{
    /// <summary>
    /// The connection string the silos get: Npgsql's default pool of 100 connections and a 30 s wait for one, as a
    /// production deployment would have (the test server's strings keep pools small for parallel test processes).
    /// </summary>
    public static string ForSilos(string testConnectionString) =>
        new NpgsqlConnectionStringBuilder(testConnectionString) { MaxPoolSize = 100, Timeout = 30 }.ToString();

    /// <summary>Drops the drill's pooled connections: after PostgreSQL restarted, each of them is broken.</summary>
    public static void ForgetConnections() => NpgsqlConnection.ClearAllPools();

    /// <summary>Placements of the namespace whose Ready condition is True (and, when given, whose applied revision contains <paramref name="revision"/>).</summary>
    public async Task<long> ReadyPlacementsAsync(string ns, string? revision = null)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        // The status is Fleet's JSON, written with one serializer: a text match is far cheaper than parsing 50,000 documents.
        var sql = "SELECT count(*) FROM resources WHERE kind = 'Placement' AND namespace = @ns AND status LIKE '%\"type\":\"Ready\",\"status\":\"True\"%'" +
            (revision is null ? "" : " AND status LIKE @rev");
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("ns", ns);
        if (revision is not null)
        {
            cmd.Parameters.AddWithValue("rev", $"%\"lastAppliedRevision\":\"%{revision}%\"%");
        }

        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Rows of each kind in the store (what a drill compares before and after a failure).</summary>
    public async Task<Dictionary<string, long>> CountByKindAsync(string ns)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT kind, count(*) FROM resources WHERE namespace = @ns GROUP BY kind", c);
        cmd.Parameters.AddWithValue("ns", ns);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            counts[r.GetString(0)] = r.GetInt64(1);
        }

        return counts;
    }

    /// <summary>The database's counters: transactions (commits + rollbacks) and rows written and read.</summary>
    public async Task<DatabaseCounters> CountersAsync()
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        // pg_stat_database is updated by each backend at the end of a transaction (at most every 500 ms); clear this
        // session's snapshot so the numbers are current.
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", c))
        {
            await clear.ExecuteNonQueryAsync();
        }

        await using var cmd = new NpgsqlCommand(
            "SELECT xact_commit + xact_rollback, tup_inserted + tup_updated + tup_deleted, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()", c);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return new DatabaseCounters(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }
}

internal sealed record DatabaseCounters(long Transactions, long RowsWritten, long RowsRead)
{
    public static DatabaseCounters operator -(DatabaseCounters a, DatabaseCounters b) =>
        new(a.Transactions - b.Transactions, a.RowsWritten - b.RowsWritten, a.RowsRead - b.RowsRead);
}
