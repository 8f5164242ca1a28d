using Fleet.Abstractions;
using Microsoft.Data.Sqlite;

namespace Fleet.Store.Storage.Sqlite;

internal sealed class SqliteResourceStore(SqliteStorageProvider db, TimeProvider time, StoreChangeSignal signal) : IResourceStore
{
    private const string Columns = "r.kind, r.namespace, r.name, r.uid, r.generation, r.resource_version, r.labels, r.annotations, r.spec, r.status, r.created_at";

    public async Task<StoredResource?> GetAsync(string kind, string ns, string name, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        return await GetAsync(c, null, kind, ns, name, ct);
    }

    public async Task<IReadOnlyList<StoredResource?>> GetManyAsync(IReadOnlyList<(string Kind, string Namespace, string Name)> keys, CancellationToken ct = default)
    {
        // In-process: a read per key costs no round trip; one connection for all of them.
        var found = new StoredResource?[keys.Count];
        await using var c = await db.OpenReadAsync(ct);
        for (var i = 0; i < keys.Count; i++)
        {
            found[i] = await GetAsync(c, null, keys[i].Kind, keys[i].Namespace, keys[i].Name, ct);
        }

        return found;
    }

    public async Task<IReadOnlyList<StoredResource>> ListAsync(string kind, string? ns, LabelSelector? selector = null, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.Parameters.AddWithValue("@kind", kind);
        if (ns is not null)
        {
            cmd.Parameters.AddWithValue("@ns", ns);
        }

        cmd.CommandText = LabelSelectorSql.BuildList(Columns, ns is not null, selector, value =>
        {
            var p = "@p" + cmd.Parameters.Count;
            cmd.Parameters.AddWithValue(p, value);
            return p;
        });
        var list = new List<StoredResource>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var exact = selector is null || LabelSelectorSql.IsExact(selector);
        while (await r.ReadAsync(ct))
        {
            var res = Read(r);
            if (exact || selector!.Matches(res.Labels))
            {
                list.Add(res);
            }
        }

        return list;
    }

    public async Task<ResourcePage> ListPageAsync(ResourceQuery query, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);

        // One read transaction: the resource version and the rows come from the same WAL snapshot.
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        long version;
        await using (var rv = c.CreateCommand())
        {
            rv.Transaction = tx;
            rv.CommandText = "SELECT value FROM counters WHERE name = 'resource_version'";
            version = (long)(await rv.ExecuteScalarAsync(ct))!;
        }

        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("@kind", query.Kind);
        cmd.CommandText = LabelSelectorSql.BuildPage(Columns, query, value =>
        {
            var p = "@p" + cmd.Parameters.Count;
            cmd.Parameters.AddWithValue(p, value);
            return p;
        });
        var rows = new List<StoredResource>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                rows.Add(Read(r));
            }
        }

        var (items, next) = LabelSelectorSql.FinishPage(rows, query);
        return new ResourcePage(items, next, version);
    }

    public async Task<StoredResource> PutAsync(
        string kind,
        string ns,
        string name,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string> annotations,
        string specJson,
        long? expectedResourceVersion = null,
        CancellationToken ct = default) =>
        (await PutManyAsync([new ResourceWrite(kind, ns, name, labels, annotations, specJson, expectedResourceVersion)], ct))[0];

    public Task<IReadOnlyList<StoredResource>> PutManyAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var w in writes)
        {
            StorageFormat.ValidateName(w.Kind, "kind");
            StorageFormat.ValidateName(w.Namespace, "namespace");
            StorageFormat.ValidateName(w.Name, "name");
            ArgumentNullException.ThrowIfNull(w.SpecJson);
        }

        return db.WriteAsync<IReadOnlyList<StoredResource>>(
            async c =>
            {
                await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
                var stored = new List<StoredResource>(writes.Count);
                var changed = false;
                foreach (var w in writes)
                {
                    var (result, wrote) = await PutInTransactionAsync(c, tx, w, ct);
                    stored.Add(result);
                    changed |= wrote;
                }

                await tx.CommitAsync(ct);
                if (changed)
                {
                    signal.Raise();
                }

                return stored;
            },
            ct);
    }

    /// <summary>One object of a put, inside the caller's transaction; whether anything was written.</summary>
    internal async Task<(StoredResource Stored, bool Wrote)> PutInTransactionAsync(SqliteConnection c, SqliteTransaction tx, ResourceWrite w, CancellationToken ct)
    {
        var (kind, ns, name, specJson) = (w.Kind, w.Namespace, w.Name, w.SpecJson);
        var labelsJson = StorageFormat.MapToJson(w.Labels);
        var annotationsJson = StorageFormat.MapToJson(w.Annotations);
        var existing = await GetAsync(c, tx, kind, ns, name, ct);
        if (w.ExpectedResourceVersion is { } expected && expected != (existing?.ResourceVersion ?? 0))
        {
            throw new ResourceConflictException(kind, ns, name, expected, existing?.ResourceVersion);
        }

        if (existing is not null && existing.SpecJson == specJson
            && StorageFormat.MapToJson(existing.Labels) == labelsJson && StorageFormat.MapToJson(existing.Annotations) == annotationsJson)
        {
            return (existing, false);
        }

        var rv = await NextResourceVersionAsync(c, tx, ct);
        var generation = existing is null ? 1 : existing.SpecJson == specJson ? existing.Generation : existing.Generation + 1;
        var uid = existing?.Uid ?? Guid.NewGuid().ToString();
        var created = existing?.CreatedAt ?? time.GetUtcNow();
        await using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = """
                INSERT INTO resources (kind, namespace, name, uid, generation, resource_version, labels, annotations, spec, status, created_at)
                VALUES (@kind, @ns, @name, @uid, @gen, @rv, @labels, @ann, @spec, NULL, @created)
                ON CONFLICT (kind, namespace, name) DO UPDATE SET generation = excluded.generation, resource_version = excluded.resource_version,
                    labels = excluded.labels, annotations = excluded.annotations, spec = excluded.spec
                """;
            cmd.Parameters.AddWithValue("@kind", kind);
            cmd.Parameters.AddWithValue("@ns", ns);
            cmd.Parameters.AddWithValue("@name", name);
            cmd.Parameters.AddWithValue("@uid", uid);
            cmd.Parameters.AddWithValue("@gen", generation);
            cmd.Parameters.AddWithValue("@rv", rv);
            cmd.Parameters.AddWithValue("@labels", labelsJson);
            cmd.Parameters.AddWithValue("@ann", annotationsJson);
            cmd.Parameters.AddWithValue("@spec", specJson);
            cmd.Parameters.AddWithValue("@created", StorageFormat.ToUnixMs(created));
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await ReplaceLabelsAsync(c, tx, kind, ns, name, w.Labels, ct);
        await RecordChangeAsync(c, tx, kind, ns, name, rv, ResourceChangeType.Spec, ct);
        return (new StoredResource(kind, ns, name, uid, generation, rv, StorageFormat.MapFromJson(labelsJson), StorageFormat.MapFromJson(annotationsJson), specJson, existing?.StatusJson, StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(created))), true);
    }

    public async Task<StoredResource?> UpdateStatusAsync(string kind, string ns, string name, string statusJson, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statusJson);
        // Status writes are the most frequent (every reconcile of every grain): they share transactions.
        var (stored, wrote) = await db.WriteBatchedAsync<(StoredResource?, bool)>(
            async (c, tx) =>
            {
                var existing = await GetAsync(c, tx, kind, ns, name, ct);
                if (existing is null)
                {
                    return (null, false);
                }

                if (existing.StatusJson == statusJson)
                {
                    return (existing, false);
                }

                var rv = await NextResourceVersionAsync(c, tx, ct);
                await using (var cmd = c.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "UPDATE resources SET status = @status, resource_version = @rv WHERE kind = @kind AND namespace = @ns AND name = @name";
                    cmd.Parameters.AddWithValue("@status", statusJson);
                    cmd.Parameters.AddWithValue("@rv", rv);
                    cmd.Parameters.AddWithValue("@kind", kind);
                    cmd.Parameters.AddWithValue("@ns", ns);
                    cmd.Parameters.AddWithValue("@name", name);
                    await cmd.ExecuteNonQueryAsync(ct);
                }

                await RecordChangeAsync(c, tx, kind, ns, name, rv, ResourceChangeType.Status, ct);
                return (existing with { StatusJson = statusJson, ResourceVersion = rv }, true);
            },
            ct);
        if (wrote)
        {
            signal.Raise();
        }

        return stored;
    }

    public Task<bool> DeleteAsync(string kind, string ns, string name, CancellationToken ct = default) =>
        db.WriteAsync(
            async c =>
            {
                await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);

                // The change row copies the object's last state, so it is written first; none means there was no
                // object, and the transaction (with the resource version it took) is rolled back.
                if (!await RecordChangeAsync(c, tx, kind, ns, name, await NextResourceVersionAsync(c, tx, ct), ResourceChangeType.Deleted, ct))
                {
                    return false;
                }

                await using (var cmd = c.CreateCommand())
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "DELETE FROM resources WHERE kind = @kind AND namespace = @ns AND name = @name; DELETE FROM resource_labels WHERE kind = @kind AND namespace = @ns AND name = @name";
                    cmd.Parameters.AddWithValue("@kind", kind);
                    cmd.Parameters.AddWithValue("@ns", ns);
                    cmd.Parameters.AddWithValue("@name", name);
                    await cmd.ExecuteNonQueryAsync(ct);
                }

                await tx.CommitAsync(ct);
                signal.Raise();
                return true;
            },
            ct);

    public Task<IReadOnlyList<ResourceChange>> ChangesAsync(long after, int limit, CancellationToken ct = default) => ReadChangesAsync(after, limit, withObjects: false, ct);

    public Task<IReadOnlyList<ResourceChange>> ChangesWithObjectsAsync(long after, int limit, CancellationToken ct = default) => ReadChangesAsync(after, limit, withObjects: true, ct);

    private async Task<IReadOnlyList<ResourceChange>> ReadChangesAsync(long after, int limit, bool withObjects, CancellationToken ct)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = withObjects ? ChangeFeedSql.Select : ChangeFeedSql.SelectKeys;
        cmd.Parameters.AddWithValue("@after", after);
        cmd.Parameters.AddWithValue("@limit", limit);
        var list = new List<ResourceChange>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(ChangeFeedSql.Read(r, withObjects));
        }

        return list;
    }

    public async Task<long> LatestChangeAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM resource_changes";
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<long?> ChangePositionAsync(long resourceVersion, CancellationToken ct = default)
    {
        await using var c = await db.OpenReadAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = ChangePositionSql.Query;
        cmd.Parameters.AddWithValue("@rv", resourceVersion);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return ChangePositionSql.Decide(resourceVersion, r.IsDBNull(0) ? null : r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetInt64(3));
    }

    public Task<int> TrimChangesAsync(int keep, CancellationToken ct = default) =>
        db.WriteAsync(
            async c =>
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "DELETE FROM resource_changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM resource_changes) - @keep";
                cmd.Parameters.AddWithValue("@keep", keep);
                return await cmd.ExecuteNonQueryAsync(ct);
            },
            ct);

    /// <summary>
    /// Records a change of an object that exists, with its row as it is now while a watch in this process wants the
    /// objects (copying them cost about a third of the status write rate, see ChangeFeedSql); false when there is
    /// no such object.
    /// </summary>
    private async Task<bool> RecordChangeAsync(SqliteConnection c, SqliteTransaction tx, string kind, string ns, string name, long rv, ResourceChangeType type, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = signal.ObjectsWanted ? ChangeFeedSql.InsertFromResource : ChangeFeedSql.InsertKeyFromResource;
        cmd.Parameters.AddWithValue("@kind", kind);
        cmd.Parameters.AddWithValue("@ns", ns);
        cmd.Parameters.AddWithValue("@name", name);
        cmd.Parameters.AddWithValue("@rv", rv);
        cmd.Parameters.AddWithValue("@change", type.ToString());
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    private static async Task ReplaceLabelsAsync(SqliteConnection c, SqliteTransaction tx, string kind, string ns, string name, IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        await using (var del = c.CreateCommand())
        {
            del.Transaction = tx;
            del.CommandText = "DELETE FROM resource_labels WHERE kind = @kind AND namespace = @ns AND name = @name";
            del.Parameters.AddWithValue("@kind", kind);
            del.Parameters.AddWithValue("@ns", ns);
            del.Parameters.AddWithValue("@name", name);
            await del.ExecuteNonQueryAsync(ct);
        }

        if (labels.Count == 0)
        {
            return;
        }

        await using var ins = c.CreateCommand();
        ins.Transaction = tx;
        ins.CommandText = "INSERT INTO resource_labels (kind, namespace, name, key, value) VALUES (@kind, @ns, @name, @k, @v)";
        ins.Parameters.AddWithValue("@kind", kind);
        ins.Parameters.AddWithValue("@ns", ns);
        ins.Parameters.AddWithValue("@name", name);
        var pk = ins.Parameters.Add("@k", SqliteType.Text);
        var pv = ins.Parameters.Add("@v", SqliteType.Text);
        foreach (var (k, v) in labels)
        {
            pk.Value = k;
            pv.Value = v;
            await ins.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<long> NextResourceVersionAsync(SqliteConnection c, SqliteTransaction tx, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "UPDATE counters SET value = value + 1 WHERE name = 'resource_version' RETURNING value";
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<StoredResource?> GetAsync(SqliteConnection c, SqliteTransaction? tx, string kind, string ns, string name, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {Columns} FROM resources r WHERE r.kind = @kind AND r.namespace = @ns AND r.name = @name";
        cmd.Parameters.AddWithValue("@kind", kind);
        cmd.Parameters.AddWithValue("@ns", ns);
        cmd.Parameters.AddWithValue("@name", name);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static StoredResource Read(SqliteDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        r.GetString(3),
        r.GetInt64(4),
        r.GetInt64(5),
        StorageFormat.MapFromJson(r.GetString(6)),
        StorageFormat.MapFromJson(r.GetString(7)),
        r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9),
        StorageFormat.FromUnixMs(r.GetInt64(10)));
}
