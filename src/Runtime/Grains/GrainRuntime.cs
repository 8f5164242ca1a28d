using Fleet.Abstractions;
using Fleet.Runtime.Diagnostics;
using Fleet.Runtime.Silo;
using Fleet.Runtime.Storage;
using Microsoft.Extensions.Logging;

namespace Fleet.Runtime.Grains;

/// <summary>
/// The heart of a silo: routes messages to local activations (creating them on first message) or to the owning
/// silo, and is the <see cref="IGrainFactory"/> handed to grains and other services.
/// </summary>
internal sealed class GrainRuntime : IGrainFactory
{
    private readonly CancellationTokenSource _stopping = new();

    public GrainRuntime(
        IServiceProvider services,
        GrainTypeRegistry registry,
        IStorageProvider storage,
        IPartitionOwnership ownership,
        FleetRuntimeOptions options,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        RuntimeMetrics metrics)
    {
        Services = services;
        Registry = registry;
        Storage = storage;
        Ownership = ownership;
        Options = options;
        Time = time;
        LoggerFactory = loggerFactory;
        Metrics = metrics;
        Log = new RuntimeLog(loggerFactory.CreateLogger("Fleet.Runtime"));
        Persistence = new GrainPersistence(storage, metrics, Log, options.WriteRetryTimeout);
    }

    public IServiceProvider Services { get; }

    public GrainTypeRegistry Registry { get; }

    public IStorageProvider Storage { get; }

    public IPartitionOwnership Ownership { get; }

    public ITellTransport? Transport { get; set; }

    public FleetRuntimeOptions Options { get; }

    public TimeProvider Time { get; }

    public ILoggerFactory LoggerFactory { get; }

    public RuntimeMetrics Metrics { get; }

    public RuntimeLog Log { get; }

    public GrainPersistence Persistence { get; }

    public IReminderStore Reminders => Storage.Reminders;

    public CancellationToken Stopping => _stopping.Token;

    public TGrain Get<TGrain>(string key)
        where TGrain : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var type = Registry.Get(typeof(TGrain));
        var proxy = System.Reflection.DispatchProxy.Create<TGrain, GrainReference>();
        ((GrainReference)(object)proxy).Bind(this, type, key);
        return proxy;
    }

    /// <summary>Sends a message: enqueued locally, or handed to the owning silo.</summary>
    public Task Send(GrainType type, string key, GrainMethod method, object?[] args)
    {
        var partition = Partitioner.PartitionOf(type.Name, key, Ownership.PartitionCount);
        if (Ownership.TryGetEpoch(partition, out var epoch))
        {
            Metrics.Tell(remote: false);
            if (method.IsAsk)
            {
                var ask = new AskItem(method, args);
                Enqueue(type, key, partition, epoch, ask);
                return method.ConvertAsk(ask.Result);
            }

            Enqueue(type, key, partition, epoch, new TellItem(method, args));
            return Task.CompletedTask;
        }

        if (method.IsAsk)
        {
            return method.Failed(new GrainCallException($"Grain {type.Name}/{key} lives on another silo; asks (methods returning Task<T>) reach only grains of the caller's silo. Read the grain's read-model from storage instead."));
        }

        var owner = Ownership.OwnerOf(partition);
        if (owner is null || Transport is null)
        {
            Log.TellDropped(type.Name, key, partition);
            return Task.CompletedTask;
        }

        Metrics.Tell(remote: true);
        return Transport.SendAsync(owner, new RemoteTell(type.Name, key, method.Name, method.SerializeArgs(args)), Stopping);
    }

    /// <summary>Delivers a tell that arrived from another silo.</summary>
    public void Deliver(RemoteTell tell)
    {
        var type = Registry.Find(tell.GrainType);
        if (type is null || !type.MethodsByName.TryGetValue(tell.Method, out var method) || method.IsAsk)
        {
            Log.RemoteTellRefused($"unknown grain type or method {tell.GrainType}.{tell.Method}");
            return;
        }

        object?[] args;
        try
        {
            args = method.DeserializeArgs(tell.Args);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or NotSupportedException)
        {
            Log.RemoteTellRefused($"arguments of {tell.GrainType}.{tell.Method} do not deserialize: {ex.Message}");
            return;
        }

        var partition = Partitioner.PartitionOf(type.Name, tell.Key, Ownership.PartitionCount);
        if (!Ownership.TryGetEpoch(partition, out var epoch))
        {
            // The partition moved on while the tell was in flight; the grain's reminder or the next tell covers it.
            Log.TellDropped(type.Name, tell.Key, partition);
            return;
        }

        Enqueue(type, tell.Key, partition, epoch, new TellItem(method, args));
    }

    /// <summary>Delivers a due reminder to its grain, activating it.</summary>
    public bool FireReminder(ReminderRecord reminder, Action<bool> completed)
    {
        var type = Registry.Find(reminder.GrainType);
        var partition = type is null ? -1 : Partitioner.PartitionOf(type.Name, reminder.Key, Ownership.PartitionCount);
        if (type is null || !Ownership.TryGetEpoch(partition, out var epoch))
        {
            return false;
        }

        Metrics.ReminderFired();
        Enqueue(type, reminder.Key, partition, epoch, new ReminderItem(reminder.Due, completed));
        return true;
    }

    public void Enqueue(GrainType type, string key, int partition, long epoch, WorkItem item)
    {
        while (true)
        {
            if (!type.Activations.TryGetValue(key, out var current))
            {
                var created = new GrainActivation(this, type, key, partition, epoch, null);
                if (!type.Activations.TryAdd(key, created))
                {
                    continue;
                }

                current = created;
            }

            if (current.Epoch == epoch && current.TryEnqueue(item))
            {
                return;
            }

            if (current.Epoch != epoch)
            {
                // The partition was lost and re-acquired under a new lease: the old activation may hold stale
                // state and its writes would be refused, so it makes way for a fresh one.
                current.TryEnqueue(new DeactivateItem(DeactivationReason.PartitionLost, onlyIfIdle: false));
            }

            var successor = new GrainActivation(this, type, key, partition, epoch, current);
            if (type.Activations.TryUpdate(key, successor, current) && successor.TryEnqueue(item))
            {
                return;
            }
        }
    }

    /// <summary>Deactivates the activations matching <paramref name="filter"/> and waits until they are done.</summary>
    public async Task<int> DeactivateAsync(Func<GrainActivation, bool> filter, DeactivationReason reason)
    {
        var waits = new List<Task>();
        foreach (var type in Registry.All)
        {
            foreach (var (_, a) in type.Activations)
            {
                if (filter(a) && a.TryEnqueue(new DeactivateItem(reason, onlyIfIdle: false)))
                {
                    waits.Add(a.Deactivated);
                }
            }
        }

        await Task.WhenAll(waits);
        return waits.Count;
    }

    /// <summary>Deactivates activations that were idle for the idle timeout.</summary>
    public void CollectIdle()
    {
        var cutoff = (Time.GetUtcNow() - Options.IdleTimeout).UtcTicks;
        foreach (var type in Registry.All)
        {
            foreach (var (_, a) in type.Activations)
            {
                if (a.IsIdleSince(cutoff))
                {
                    a.TryEnqueue(new DeactivateItem(DeactivationReason.Idle, onlyIfIdle: true));
                }
            }
        }
    }

    public int ActivationCount => Registry.All.Sum(t => t.Activations.Count);

    public void SignalStopping() => _stopping.Cancel();
}
