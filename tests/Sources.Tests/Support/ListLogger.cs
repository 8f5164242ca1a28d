using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fleet.Sources.Tests.Support;

/// <summary>Keeps every formatted log line, so a test can say what was (and was not) logged.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
