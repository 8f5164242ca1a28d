using System.Data.Common;

namespace Fleet.Store.Storage;

/// <summary>
/// The change feed's rows, the same on every provider. Each row keeps the object as it was at that change (its
/// labels, annotations, spec and status; for a delete, its last state), copied from the <c>resources</c> row inside
/// the writing transaction, so that a reader sees every version of an object even when two writes fall between two
/// reads (re-reading the object would show only the second). The copy is one <c>INSERT ... SELECT</c> in the same
/// statement or transaction as the write, with no extra round trip; bench/GrpcBench's <c>--status-writes</c> mode
/// measures what it costs the status write (docs/benchmarks.md). On PostgreSQL it cost nothing measurable and the
/// writers (silos) cannot know whether some gateway watches, so rows always keep objects there; on SQLite it cost
/// about a third of the status write rate, and every writer shares the process with the watches, so rows keep
/// objects only while a watch reader asks for them (<see cref="StoreChangeSignal.ObjectsWanted"/>).
/// </summary>
internal static class ChangeFeedSql
{
    /// <summary>The object columns a change row copies from <c>resources</c>.</summary>
    public const string BodyColumns = "uid, generation, labels, annotations, spec, status, created_at";

    /// <summary>The columns a change row is inserted with: its key, version and type, then <see cref="BodyColumns"/>.</summary>
    public const string InsertColumns = "kind, namespace, name, resource_version, change, " + BodyColumns;

    /// <summary>Binds <c>@after</c> and <c>@limit</c>; the rows as <see cref="Read"/> reads them.</summary>
    public const string Select = "SELECT seq, kind, namespace, name, resource_version, change, " + BodyColumns + " FROM resource_changes WHERE seq > @after ORDER BY seq LIMIT @limit";

    /// <summary>Binds <c>@after</c> and <c>@limit</c>; the rows without their objects.</summary>
    public const string SelectKeys = "SELECT seq, kind, namespace, name, resource_version, change FROM resource_changes WHERE seq > @after ORDER BY seq LIMIT @limit";

    /// <summary>
    /// Binds <c>@rv</c>, <c>@change</c>, <c>@kind</c>, <c>@ns</c> and <c>@name</c>: records a change of an object
    /// that still exists (write it after an update, before a delete), with the object's row as it is now.
    /// </summary>
    public const string InsertFromResource = "INSERT INTO resource_changes (" + InsertColumns + ") SELECT kind, namespace, name, @rv, @change, " + BodyColumns
        + " FROM resources WHERE kind = @kind AND namespace = @ns AND name = @name";

    /// <summary>As <see cref="InsertFromResource"/>, without the object (nobody reads it).</summary>
    public const string InsertKeyFromResource = "INSERT INTO resource_changes (kind, namespace, name, resource_version, change) SELECT kind, namespace, name, @rv, @change"
        + " FROM resources WHERE kind = @kind AND namespace = @ns AND name = @name";

    /// <summary>One row of <see cref="Select"/> (with its object) or <see cref="SelectKeys"/> (without).</summary>
    public static ResourceChange Read(DbDataReader r, bool withObject)
    {
        var (kind, ns, name, rv) = (r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4));
        StoredResource? body = null;
        // Rows written before the feed kept objects have none: a reader reads the object instead.
        if (withObject && !r.IsDBNull(6))
        {
            body = new StoredResource(
                kind,
                ns,
                name,
                r.GetString(6),
                r.GetInt64(7),
                rv,
                StorageFormat.MapFromJson(r.GetString(8)),
                StorageFormat.MapFromJson(r.GetString(9)),
                r.GetString(10),
                r.IsDBNull(11) ? null : r.GetString(11),
                StorageFormat.FromUnixMs(r.GetInt64(12)));
        }

        return new ResourceChange(r.GetInt64(0), kind, ns, name, rv, Enum.Parse<ResourceChangeType>(r.GetString(5)), body);
    }
}
