using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fleet.Bench.ScaleDrill;

/// <summary>
/// The embedded silo's log: warnings and errors counted per category (a drill of 10,000 clusters would drown the
/// console otherwise), the first few warnings and errors printed in full, and the first of each category (so that a
/// flood of one kind is named however late it starts). The counts go into the report.
/// </summary>
internal sealed class CountingLoggerProvider : ILoggerProvider
{
    private const int Printed = 10;
    private int _printedErrors;
    private int _printedWarnings;

    public ConcurrentDictionary<string, long> Warnings { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CountingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning)
            {
                return;
            }

            var counts = logLevel >= LogLevel.Error ? owner.Errors : owner.Warnings;
            var seen = counts.AddOrUpdate(category, 1, (_, n) => n + 1);
            if (Interlocked.Increment(ref logLevel >= LogLevel.Error ? ref owner._printedErrors : ref owner._printedWarnings) <= Printed || seen == 1)
            {
                Console.Error.WriteLine($"silo {logLevel}: {category}: {formatter(state, exception)}{(exception is null ? "" : " (" + exception.GetType().Name + ": " + exception.Message + ")")}");
            }
        }
    }
}
