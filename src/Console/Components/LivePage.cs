using Fleet.Gateway.Services;
using Fleet.WebConsole.Services;
using Microsoft.AspNetCore.Components;

namespace Fleet.WebConsole.Components;

/// <summary>
/// A page that shows Fleet as it is now: it loads once, then loads again whenever objects of the kinds it shows
/// change or new events arrive (within <see cref="FleetChanges.Period"/>), one load at a time, without a reload of
/// the browser page.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private bool _loading;
    private bool _again;

    [Inject]
    internal FleetChanges Changes { get; set; } = null!;

    [Inject]
    internal FleetView View { get; set; } = null!;

    [Inject]
    internal ConsoleSession Session { get; set; } = null!;

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

    private void OnChanged(IReadOnlySet<string> kinds)
    {
        if (Kinds.Any(kinds.Contains))
        {
            _ = InvokeAsync(ReloadAsync);
        }
    }

    private void OnEvents()
    {
        if (ShowsEvents)
        {
            _ = InvokeAsync(ReloadAsync);
        }
    }

    public void Dispose()
    {
        Changes.Changed -= OnChanged;
        Changes.EventsAppended -= OnEvents;
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
