using Fleet.Gateway.Services;
using Fleet.WebConsole.Services;
using Microsoft.AspNetCore.Components;

namespace Fleet.WebConsole.Components;

/// <summary>
/// A page that shows Fleet as it is now: it loads once, then loads again when objects of the kinds it shows change or
/// new events arrive, without a reload of the browser page. Changes are gathered: a page loads at most once every
/// <see cref="Throttle"/> (one load at a time), however many objects change, so that a fleet where something changes
/// all the time costs a few renders a second, and a change still shows within a second.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    /// <summary>The shortest time between two live loads of a page.</summary>
    public static readonly TimeSpan Throttle = TimeSpan.FromMilliseconds(300);

    private readonly CancellationTokenSource _disposed = new();
    private bool _loading;
    private bool _again;
    private int _scheduled;
    private long _lastLoad;

    [Inject]
    internal FleetChanges Changes { get; set; } = null!;

    [Inject]
    internal FleetIndex Index { get; set; } = null!;

    [Inject]
    internal FleetView View { get; set; } = null!;

    [Inject]
    internal ConsoleSession Session { get; set; } = null!;

    [Inject]
    internal TimeProvider Time { get; set; } = null!;

    /// <summary>The kinds whose changes this page shows.</summary>
    protected abstract IReadOnlyCollection<string> Kinds { get; }

    /// <summary>Whether new events change this page.</summary>
    protected virtual bool ShowsEvents => false;

    /// <summary>Why the last load failed (not found, bad selector), or null.</summary>
    protected string? Error { get; set; }

    /// <summary>Whether the first load finished.</summary>
    protected bool Loaded { get; private set; }

    protected CancellationToken Aborted => _disposed.Token;

    protected Caller Caller => Session.Caller!;

    /// <summary>Reads what the page shows (through <see cref="View"/>).</summary>
    protected abstract Task LoadAsync(CancellationToken ct);

    protected override async Task OnInitializedAsync()
    {
        Changes.Changed += OnChanged;
        Changes.EventsAppended += OnEvents;
        Index.Changed += OnIndexChanged;
        await ReloadAsync();
    }

    protected override Task OnParametersSetAsync() => Loaded ? ReloadAsync() : Task.CompletedTask;

    /// <summary>Loads again now (after a filter change or an action), or once more after the load in flight.</summary>
    protected async Task ReloadAsync()
    {
        if (_loading)
        {
            _again = true;
            return;
        }
        _loading = true;
        try
        {
            do
            {
                _again = false;
                _lastLoad = Time.GetTimestamp();
                try
                {
                    await LoadAsync(_disposed.Token);
                    Error = null;
                }
                catch (ApiException ex)
                {
                    Error = ex.Message;
                }
                Loaded = true;
            }
            while (_again && !_disposed.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            _loading = false;
        }
        StateHasChanged();
    }

    /// <summary>Kinds the index keeps are heard from the index (its rows are current by then); the others from the change feed.</summary>
    private void OnChanged(IReadOnlySet<string> kinds)
    {
        if (Kinds.Any(k => kinds.Contains(k) && !FleetIndex.Kinds.Contains(k)))
        {
            Schedule();
        }
    }

    private void OnIndexChanged(string kind)
    {
        if (Kinds.Contains(kind))
        {
            Schedule();
        }
    }

    private void OnEvents()
    {
        if (ShowsEvents)
        {
            Schedule();
        }
    }

    /// <summary>One live load, <see cref="Throttle"/> after the last one began; changes that come meanwhile join it.</summary>
    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1 || _disposed.IsCancellationRequested)
        {
            return;
        }
        var wait = Throttle - Time.GetElapsedTime(Interlocked.Read(ref _lastLoad));
        _ = LoadLaterAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
    }

    private async Task LoadLaterAsync(TimeSpan wait)
    {
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, Time, _disposed.Token);
            }
            await InvokeAsync(() =>
            {
                Volatile.Write(ref _scheduled, 0);
                return ReloadAsync();
            });
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The page was closed.
        }
    }

    public void Dispose()
    {
        Changes.Changed -= OnChanged;
        Changes.EventsAppended -= OnEvents;
        Index.Changed -= OnIndexChanged;
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
