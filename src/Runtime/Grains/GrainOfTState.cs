using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fleet.Runtime;

/// <summary>
/// A grain with persisted state: loaded before <c>OnActivateAsync</c>, written with <see cref="WriteStateAsync"/>
/// under optimistic concurrency (an etag) and the partition lease (fencing). Serialized with System.Text.Json;
/// override <see cref="StateTypeInfo"/> to use source-generated metadata.
/// </summary>
public abstract class Grain<TState> : Grain
    where TState : class, new()
{
    /// <summary>The state; replace or mutate it, then call <see cref="WriteStateAsync"/>.</summary>
    protected TState State { get; set; } = new();

    /// <summary>The etag of the stored state this activation last read or wrote; null when none is stored.</summary>
    protected string? Etag { get; private set; }

    /// <summary>
    /// The version of the state's shape this code writes. A stored record with a higher version (written by a newer
    /// Fleet) is refused on load with a clear error instead of being misread.
    /// </summary>
    protected virtual int StateVersion => 1;

    /// <summary>Source-generated JSON metadata for <typeparamref name="TState"/>; null uses reflection.</summary>
    protected virtual JsonTypeInfo<TState>? StateTypeInfo => null;

    /// <summary>Reloads the state from storage (a fresh <typeparamref name="TState"/> when none is stored).</summary>
    protected async Task ReadStateAsync(CancellationToken ct = default)
    {
        var a = ActivationContext;
        var record = await a.Runtime.Persistence.ReadAsync(a.Type.Name, a.Key, ct);
        if (record is null)
        {
            State = new TState();
            Etag = null;
            return;
        }

        if (record.StateVersion > StateVersion)
        {
            throw new StateVersionException($"State of grain {a.Type.Name}/{a.Key} has version {record.StateVersion}, written by a newer Fleet; this one understands up to version {StateVersion}. Upgrade this silo; the state was left untouched.");
        }

        try
        {
            State = (StateTypeInfo is { } info ? JsonSerializer.Deserialize(record.Json, info) : JsonSerializer.Deserialize<TState>(record.Json)) ?? new TState();
        }
        catch (JsonException ex)
        {
            throw new StateVersionException($"State of grain {a.Type.Name}/{a.Key} cannot be read as {typeof(TState).Name}: {ex.Message}");
        }

        Etag = record.Etag;
    }

    /// <summary>
    /// Writes the state. Throws <see cref="GrainStateConflictException"/> when the stored state changed since it was
    /// read, <see cref="PartitionLeaseLostException"/> when this silo lost the grain's partition (the activation is then
    /// deactivated). While the database is unreachable it retries, up to the configured write retry timeout; when it
    /// returns, the state is durably stored.
    /// </summary>
    protected async Task WriteStateAsync(CancellationToken ct = default)
    {
        var a = ActivationContext;
        var json = StateTypeInfo is { } info ? JsonSerializer.Serialize(State, info) : JsonSerializer.Serialize(State);
        Etag = await a.Runtime.Persistence.WriteAsync(a, json, StateVersion, Etag, ct);
    }

    /// <summary>Deletes the stored state and resets <see cref="State"/>.</summary>
    protected async Task ClearStateAsync(CancellationToken ct = default)
    {
        var a = ActivationContext;
        await a.Runtime.Persistence.ClearAsync(a, Etag, ct);
        State = new TState();
        Etag = null;
    }

    internal override Task LoadStateAsync(CancellationToken ct) => ReadStateAsync(ct);
}
