namespace Fleet.TestSupport;

/// <summary>
/// One private PostgreSQL per test process, started on first use and stopped (its directory deleted) when the
/// process exits; each test gets its own database from <see cref="CreateDatabaseAsync"/>. Use it as a class or
/// collection fixture; tests that need it use <see cref="PostgresFactAttribute"/>, which skips them with the reason
/// when PostgreSQL is not installed.
/// </summary>
public sealed class PostgresFixture
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? _server;

    /// <summary>The shared server, started on first call.</summary>
    public static async Task<PostgresServer> ServerAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_server is null)
            {
                _server = await PostgresServer.StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return _server;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates a new empty database on the shared server and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var server = await ServerAsync();
        return await server.CreateDatabaseAsync();
    }
}

/// <summary>A fact that needs PostgreSQL: skipped, with what is missing, where PostgreSQL is not installed.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.UnavailableReason() is { } reason)
        {
            Skip = reason;
        }
    }
}
