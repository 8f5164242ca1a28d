using Fleet.Abstractions;
using Npgsql;

namespace Fleet.Store.Storage.Postgres;

internal sealed class PostgresResourceStore(PostgresStorageProvider db, TimeProvider time, StoreChangeSignal signal) : IResourceStore
{
    private const string Columns = "r.kind, r.namespace, r.name, r.uid, r.generation, r.resource_version, r.labels, r.annotations, r.spec, r.status, r.created_at";

    public async Task<StoredResource?> GetAsync(string kind, string ns, string name, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await GetAsync(c, null, kind, ns, name, forUpdate: false, ct);
    }

    public async Task<IReadOnlyList<StoredResource?>> GetManyAsync(IReadOnlyList<(string Kind, string Namespace, string Name)> keys, CancellationToken ct = default)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenAsync(ct);
        return await GetManyAsync(c, null, keys, forUpdate: false, ct);
    }

    /// <summary>
    /// The objects of <paramref name="keys"/> in one statement, one entry per key in order (null where none exists);
    /// <paramref name="forUpdate"/> locks them, in key order, so that two writers never wait on each other in a cycle.
    /// </summary>
    private static async Task<StoredResource?[]> GetManyAsync(NpgsqlConnection c, NpgsqlTransaction? tx, IReadOnlyList<(string Kind, string Namespace, string Name)> keys, bool forUpdate, CancellationToken ct)
    {
        var found = new StoredResource?[keys.Count];
        await using var cmd = new NpgsqlCommand(
            $"SELECT {Columns}, k.i FROM unnest(@kinds, @nss, @names) WITH ORDINALITY AS k(kind, namespace, name, i) JOIN resources r ON r.kind = k.kind AND r.namespace = k.namespace AND r.name = k.name"
            + (forUpdate ? " ORDER BY r.kind, r.namespace, r.name FOR UPDATE OF r" : ""),
            c,
            tx);
        cmd.Parameters.AddWithValue("kinds", keys.Select(k => k.Kind).ToArray());
        cmd.Parameters.AddWithValue("nss", keys.Select(k => k.Namespace).ToArray());
        cmd.Parameters.AddWithValue("names", keys.Select(k => k.Name).ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            found[(int)r.GetInt64(11) - 1] = Read(r);
        }

        return found;
    }

    public async Task<IReadOnlyList<StoredResource>> ListAsync(string kind, string? ns, LabelSelector? selector = null, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand { Connection = c, Transaction = tx };
        cmd.Parameters.AddWithValue("kind", kind);
        if (ns is not null)
        {
            cmd.Parameters.AddWithValue("ns", ns);
        }

        cmd.CommandText = LabelSelectorSql.BuildList(Columns, ns is not null, selector, value =>
        {
            var p = "p" + cmd.Parameters.Count;
            cmd.Parameters.AddWithValue(p, value);
            return "@" + p;
        });
        if (selector is { IsEmpty: false })
        {
            // The selector query joins every object of the kind to its labels; a nested loop is never the right
            // plan for that, but stale statistics (right after a bulk load) made the planner pick one that took
            // minutes. Forbidding it for this transaction keeps the hash join.
            cmd.CommandText = "SET LOCAL enable_nestloop = off; " + cmd.CommandText;
        }

        var exact = selector is null || LabelSelectorSql.IsExact(selector);
        var list = new List<StoredResource>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
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
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);

        // Read before the rows: the page holds at least every change up to this version (a watch from it may repeat
        // a change the page already shows, never miss one).
        long version;
        await using (var rv = new NpgsqlCommand("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM resource_version_seq", c, tx))
        {
            version = (long)(await rv.ExecuteScalarAsync(ct))!;
        }

        await using var cmd = new NpgsqlCommand { Connection = c, Transaction = tx };
        cmd.Parameters.AddWithValue("kind", query.Kind);
        cmd.CommandText = LabelSelectorSql.BuildPage(Columns, query, value =>
        {
            var p = "p" + cmd.Parameters.Count;
            cmd.Parameters.AddWithValue(p, value);
            return "@" + p;
        });
        if (query.Selector is { IsEmpty: false })
        {
            // As in ListAsync: keep the hash join over the labels.
            cmd.CommandText = "SET LOCAL enable_nestloop = off; " + cmd.CommandText;
        }

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

    public async Task<IReadOnlyList<StoredResource>> PutManyAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        foreach (var w in writes)
        {
            StorageFormat.ValidateName(w.Kind, "kind");
            StorageFormat.ValidateName(w.Namespace, "namespace");
            StorageFormat.ValidateName(w.Name, "name");
            ArgumentNullException.ThrowIfNull(w.SpecJson);
        }

        await using var c = await db.OpenAsync(ct);
        while (true)
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            var stored = new List<StoredResource>(writes.Count);
            var changed = false;
            var raced = false;
            // Every existing object of the batch read and locked in one statement, rather than one round trip each.
            var existing = new Dictionary<(string, string, string), StoredResource>();
            foreach (var row in await GetManyAsync(c, tx, [.. writes.Select(w => (w.Kind, w.Namespace, w.Name))], forUpdate: true, ct))
            {
                if (row is not null)
                {
                    existing[(row.Kind, row.Namespace, row.Name)] = row;
                }
            }

            for (var i = 0; i < writes.Count; i++)
            {
                var w = writes[i];
                var (result, wrote) = await PutInTransactionAsync(c, tx, w, ct, existing.GetValueOrDefault((w.Kind, w.Namespace, w.Name)), lockedKnown: true);
                if (result is null)
                {
                    raced = true;
                    break;
                }

                // A later write of the same object in this batch builds on this one.
                existing[(w.Kind, w.Namespace, w.Name)] = result;
                stored.Add(result);
                changed |= wrote;
            }

            if (raced)
            {
                // An object was created concurrently by another writer between our read and insert: decide again.
                await tx.RollbackAsync(ct);
                continue;
            }

            await tx.CommitAsync(ct);
            if (changed)
            {
                signal.Raise();
            }

            return stored;
        }
    }

    /// <summary>One object of a put inside the caller's transaction; null when a concurrent create won the race (the caller rolls back and retries).</summary>
    /// <summary>
    /// One object of a put inside the caller's transaction, in one round trip (the write, its labels and its change
    /// row as one batch); null when a concurrent create won the race (the caller rolls back and retries).
    /// With <paramref name="lockedKnown"/>, the caller has read and locked the object already: <paramref name="locked"/>
    /// is it, or null when it does not exist.
    /// </summary>
    internal async Task<(StoredResource? Stored, bool Wrote)> PutInTransactionAsync(NpgsqlConnection c, NpgsqlTransaction tx, ResourceWrite w, CancellationToken ct,
        StoredResource? locked = null, bool lockedKnown = false)
    {
        var (kind, ns, name, specJson, labels) = (w.Kind, w.Namespace, w.Name, w.SpecJson, w.Labels);
        var labelsJson = StorageFormat.MapToJson(labels);
        var annotationsJson = StorageFormat.MapToJson(w.Annotations);
        var existing = lockedKnown ? locked : await GetAsync(c, tx, kind, ns, name, forUpdate: true, ct);
        if (w.ExpectedResourceVersion is { } expected && expected != (existing?.ResourceVersion ?? 0))
        {
            throw new ResourceConflictException(kind, ns, name, expected, existing?.ResourceVersion);
        }

        if (existing is not null && existing.SpecJson == specJson
            && StorageFormat.MapToJson(existing.Labels) == labelsJson && StorageFormat.MapToJson(existing.Annotations) == annotationsJson)
        {
            return (existing, false);
        }

        var generation = existing is null ? 1 : existing.SpecJson == specJson ? existing.Generation : existing.Generation + 1;
        var uid = existing?.Uid ?? Guid.NewGuid().ToString();
        var created = existing?.CreatedAt ?? StorageFormat.FromUnixMs(StorageFormat.ToUnixMs(time.GetUtcNow()));
        await using var batch = new NpgsqlBatch(c, tx);
        var write = existing is null
            ? KeyCommand(
                """
                INSERT INTO resources (kind, namespace, name, generation, labels, annotations, spec, uid, created_at, resource_version, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, nextval('resource_version_seq'), NULL)
                ON CONFLICT DO NOTHING RETURNING resource_version
                """, kind, ns, name)
            : KeyCommand(
                """
                UPDATE resources SET generation = $4, labels = $5, annotations = $6, spec = $7, resource_version = nextval('resource_version_seq')
                WHERE kind = $1 AND namespace = $2 AND name = $3 RETURNING resource_version
                """, kind, ns, name);
        foreach (var value in new object[] { generation, labelsJson, annotationsJson, specJson })
        {
            write.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        if (existing is null)
        {
            write.Parameters.Add(new NpgsqlParameter { Value = uid });
            write.Parameters.Add(new NpgsqlParameter { Value = StorageFormat.ToUnixMs(created) });
        }

        batch.BatchCommands.Add(write);
        // The labels index changes only with the labels (a placement's never do).
        var labelsChanged = existing is null || StorageFormat.MapToJson(existing.Labels) != labelsJson;
        if (labelsChanged && existing is not null)
        {
            batch.BatchCommands.Add(KeyCommand("DELETE FROM resource_labels WHERE kind = $1 AND namespace = $2 AND name = $3", kind, ns, name));
        }

        if (labelsChanged && labels.Count > 0)
        {
            var ins = KeyCommand("INSERT INTO resource_labels (kind, namespace, name, key, value) SELECT $1, $2, $3, k, v FROM unnest($4::text[], $5::text[]) AS t(k, v) WHERE EXISTS (" + WrittenHere + ")", kind, ns, name);
            ins.Parameters.Add(new NpgsqlParameter { Value = labels.Keys.ToArray() });
            ins.Parameters.Add(new NpgsqlParameter { Value = labels.Values.ToArray() });
            batch.BatchCommands.Add(ins);
        }

        // The change row copies the object as just written (its new resource version included).
        var change = KeyCommand(
            "INSERT INTO resource_changes (" + ChangeFeedSql.InsertColumns + ") SELECT kind, namespace, name, resource_version, $4, " + ChangeFeedSql.BodyColumns
            + " FROM resources WHERE kind = $1 AND namespace = $2 AND name = $3 AND resource_version = currval('resource_version_seq')", kind, ns, name);
        change.Parameters.Add(new NpgsqlParameter { Value = ResourceChangeType.Spec.ToString() });
        batch.BatchCommands.Add(change);
        long rv;
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return (null, false);
            }

            rv = r.GetInt64(0);
        }

        return (new StoredResource(kind, ns, name, uid, generation, rv, StorageFormat.MapFromJson(labelsJson), StorageFormat.MapFromJson(annotationsJson), specJson, existing?.StatusJson, created), true);
    }

    public async Task<StoredResource?> UpdateStatusAsync(string kind, string ns, string name, string statusJson, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statusJson);
        await using var c = await db.OpenAsync(ct);
        // One statement, one round trip: status writes are the most frequent writes (every placement outcome), and a
        // transaction of four round trips kept its row locked while a busy silo got round to the next one. The
        // update, its change-feed row and the read of an unchanged object share one snapshot; the WHERE clause is
        // re-checked on the newest row when a concurrent writer got there first.
        await using var cmd = new NpgsqlCommand(
            $"""
             WITH u AS (
                 UPDATE resources r SET status = @status, resource_version = nextval('resource_version_seq')
                 WHERE r.kind = @kind AND r.namespace = @ns AND r.name = @name AND r.status IS DISTINCT FROM @status
                 RETURNING {Columns}),
             ch AS (
                 INSERT INTO resource_changes ({ChangeFeedSql.InsertColumns})
                 SELECT kind, namespace, name, resource_version, @change, {ChangeFeedSql.BodyColumns} FROM u)
             SELECT u.*, true FROM u
             UNION ALL
             SELECT {Columns}, false FROM resources r
             WHERE r.kind = @kind AND r.namespace = @ns AND r.name = @name AND NOT EXISTS (SELECT 1 FROM u)
             """,
            c);
        cmd.Parameters.AddWithValue("status", statusJson);
        cmd.Parameters.AddWithValue("kind", kind);
        cmd.Parameters.AddWithValue("ns", ns);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("change", ResourceChangeType.Status.ToString());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        var stored = Read(r);
        if (r.GetBoolean(11))
        {
            signal.Raise();
        }

        return stored;
    }

    public async Task<bool> DeleteAsync(string kind, string ns, string name, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var labels = new NpgsqlCommand("DELETE FROM resource_labels WHERE kind = @kind AND namespace = @ns AND name = @name", c, tx))
        {
            labels.Parameters.AddWithValue("kind", kind);
            labels.Parameters.AddWithValue("ns", ns);
            labels.Parameters.AddWithValue("name", name);
            await labels.ExecuteNonQueryAsync(ct);
        }

        // The change row keeps the object's last state, taken from the deleted row itself.
        await using var cmd = new NpgsqlCommand(
            $"""
             WITH d AS (DELETE FROM resources WHERE kind = @kind AND namespace = @ns AND name = @name RETURNING *)
             INSERT INTO resource_changes ({ChangeFeedSql.InsertColumns})
             SELECT kind, namespace, name, nextval('resource_version_seq'), @change, {ChangeFeedSql.BodyColumns} FROM d
             """,
            c,
            tx);
        cmd.Parameters.AddWithValue("kind", kind);
        cmd.Parameters.AddWithValue("ns", ns);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("change", ResourceChangeType.Deleted.ToString());
        var deleted = await cmd.ExecuteNonQueryAsync(ct) > 0;
        await tx.CommitAsync(ct);
        if (deleted)
        {
            signal.Raise();
        }

        return deleted;
    }

    public Task<IReadOnlyList<ResourceChange>> ChangesAsync(long after, int limit, CancellationToken ct = default) => ReadChangesAsync(after, limit, withObjects: false, ct);

    public Task<IReadOnlyList<ResourceChange>> ChangesWithObjectsAsync(long after, int limit, CancellationToken ct = default) => ReadChangesAsync(after, limit, withObjects: true, ct);

    private async Task<IReadOnlyList<ResourceChange>> ReadChangesAsync(long after, int limit, bool withObjects, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(withObjects ? ChangeFeedSql.Select : ChangeFeedSql.SelectKeys, c);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("limit", limit);
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
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(seq), 0) FROM resource_changes", c);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<long?> ChangePositionAsync(long resourceVersion, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(ChangePositionSql.Query, c);
        cmd.Parameters.AddWithValue("rv", resourceVersion);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return ChangePositionSql.Decide(resourceVersion, r.IsDBNull(0) ? null : r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), r.GetInt64(3));
    }

    public async Task<int> TrimChangesAsync(int keep, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM resource_changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM resource_changes) - @keep", c);
        cmd.Parameters.AddWithValue("keep", (long)keep);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records a change of an object written in this transaction, with its row as it is now.</summary>
    private static async Task<StoredResource?> GetAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string kind, string ns, string name, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM resources r WHERE r.kind = @kind AND r.namespace = @ns AND r.name = @name" + (forUpdate ? " FOR UPDATE" : ""), c, tx);
        cmd.Parameters.AddWithValue("kind", kind);
        cmd.Parameters.AddWithValue("ns", ns);
        cmd.Parameters.AddWithValue("name", name);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    /// <summary>
    /// The object's row as this batch's write left it. A create that lost the race to another writer (ON CONFLICT DO
    /// NOTHING) still took its resource version, so the other writer's row does not match, and the statements after
    /// the write add nothing for it; the caller then rolls back and decides again.
    /// </summary>
    private const string WrittenHere = "SELECT 1 FROM resources WHERE kind = $1 AND namespace = $2 AND name = $3 AND resource_version = currval('resource_version_seq')";

    /// <summary>A batch statement whose first three parameters are the object's kind, namespace and name.</summary>
    private static NpgsqlBatchCommand KeyCommand(string sql, string kind, string ns, string name)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ns });
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        return cmd;
    }

    private static StoredResource Read(NpgsqlDataReader r) => new(
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
